import { Column, Entity, PrimaryColumn } from 'typeorm';

import type { Matcher } from '../alerting/alert.types';

/** Silences and maintenance windows, so they survive a restart. */
@Entity({ name: 'monitor_silence' })
export class SilenceEntity {
  @PrimaryColumn({ type: 'uuid' })
  id!: string;

  @Column({ type: 'text' })
  kind!: 'silence' | 'maintenance';

  @Column({ type: 'jsonb' })
  matchers!: Matcher[];

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt!: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt!: Date;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @Column({ type: 'text' })
  comment!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
