import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rollups (minute/hour/day) and silences. */
export class MonitorHistory1767225600000 implements MigrationInterface {
  name = 'MonitorHistory1767225600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE monitor_rollup (
      resolution char(1) NOT NULL CHECK (resolution IN ('m', 'h', 'd')),
      bucket timestamptz NOT NULL,
      service text NOT NULL,
      instance text NOT NULL DEFAULT '',
      checks integer NOT NULL DEFAULT 0,
      pass integer NOT NULL DEFAULT 0,
      warn integer NOT NULL DEFAULT 0,
      fail integer NOT NULL DEFAULT 0,
      response_ms_sum double precision NOT NULL DEFAULT 0,
      response_count integer NOT NULL DEFAULT 0,
      response_ms_max double precision NOT NULL DEFAULT 0,
      PRIMARY KEY (resolution, service, instance, bucket)
    )`);
    await q.query(`CREATE INDEX monitor_rollup_bucket ON monitor_rollup (resolution, bucket)`);
    await q.query(`CREATE TABLE monitor_silence (
      id uuid PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('silence', 'maintenance')),
      matchers jsonb NOT NULL,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      created_by text NOT NULL,
      comment text NOT NULL,
      created_at timestamptz NOT NULL
    )`);
    await q.query(`CREATE INDEX monitor_silence_ends ON monitor_silence (ends_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE monitor_silence');
    await q.query('DROP TABLE monitor_rollup');
  }
}
