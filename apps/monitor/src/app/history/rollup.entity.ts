import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Uptime and response-time counts per bucket: `m` (minute), `h` (hour) and `d` (day). `instance`
 * is empty for the service as a whole. Hours are rebuilt from minutes and days from hours, so a
 * restart or a late flush never double counts.
 */
@Entity({ name: 'monitor_rollup' })
export class RollupEntity {
  @PrimaryColumn({ type: 'char', length: 1 })
  resolution!: 'm' | 'h' | 'd';

  @PrimaryColumn({ type: 'timestamptz' })
  bucket!: Date;

  @PrimaryColumn({ type: 'text' })
  service!: string;

  @PrimaryColumn({ type: 'text' })
  instance!: string;

  @Column({ type: 'integer' })
  checks!: number;

  @Column({ type: 'integer' })
  pass!: number;

  @Column({ type: 'integer' })
  warn!: number;

  @Column({ type: 'integer' })
  fail!: number;

  @Column({ name: 'response_ms_sum', type: 'double precision' })
  responseMsSum!: number;

  @Column({ name: 'response_count', type: 'integer' })
  responseCount!: number;

  @Column({ name: 'response_ms_max', type: 'double precision' })
  responseMsMax!: number;
}
