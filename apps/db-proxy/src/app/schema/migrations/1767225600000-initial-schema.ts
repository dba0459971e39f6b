import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Instruments, day-partitioned trades, 1-minute candles, ingest checkpoints, and the function that
 * creates a day's partition (safe under concurrent callers). Unqualified names land in the
 * service's schema (first on every connection's search_path).
 */
export class InitialSchema1767225600000 implements MigrationInterface {
  name = 'InitialSchema1767225600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE instruments (
        venue text NOT NULL,
        symbol text NOT NULL,
        trade_count bigint NOT NULL DEFAULT 0,
        first_ts timestamptz,
        last_ts timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (venue, symbol)
      )`);
    await q.query(`
      CREATE TABLE trades (
        venue text NOT NULL,
        symbol text NOT NULL,
        trade_id text NOT NULL,
        day date NOT NULL,
        ts timestamptz NOT NULL,
        price numeric NOT NULL,
        size numeric NOT NULL,
        side text NOT NULL CHECK (side IN ('buy', 'sell')),
        recv_ts timestamptz NOT NULL,
        stream_seq bigint,
        PRIMARY KEY (venue, symbol, trade_id, day)
      ) PARTITION BY RANGE (day)`);
    // Range reads: one instrument, a time window, in (ts, trade id) order (the cursor's order).
    await q.query(`CREATE INDEX trades_range_idx ON trades (venue, symbol, ts, trade_id)`);
    await q.query(`
      CREATE TABLE candles_1m (
        venue text NOT NULL,
        symbol text NOT NULL,
        bucket timestamptz NOT NULL,
        open numeric NOT NULL,
        high numeric NOT NULL,
        low numeric NOT NULL,
        close numeric NOT NULL,
        volume numeric NOT NULL,
        trade_count integer NOT NULL,
        open_ts timestamptz NOT NULL,
        open_id text NOT NULL,
        close_ts timestamptz NOT NULL,
        close_id text NOT NULL,
        PRIMARY KEY (venue, symbol, bucket)
      )`);
    await q.query(`
      CREATE TABLE ingest_checkpoints (
        stream text NOT NULL,
        consumer text NOT NULL,
        last_stream_seq bigint NOT NULL DEFAULT 0,
        trades_inserted bigint NOT NULL DEFAULT 0,
        trades_received bigint NOT NULL DEFAULT 0,
        batches bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream, consumer)
      )`);
    // Creates trades_YYYYMMDD for one UTC day in the schema of the trades table; true if created.
    await q.query(`
      CREATE FUNCTION cs_ensure_trades_partition(d date) RETURNS boolean LANGUAGE plpgsql AS $$
      DECLARE
        parent regclass := 'trades'::regclass;
        ns text := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = parent);
        part text := 'trades_' || to_char(d, 'YYYYMMDD');
      BEGIN
        IF to_regclass(format('%I.%I', ns, part)) IS NOT NULL THEN
          RETURN false;
        END IF;
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', ns, part, parent, d, d + 1);
        RETURN true;
      EXCEPTION WHEN duplicate_table OR unique_violation THEN
        RETURN false; -- created by a concurrent caller
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION IF EXISTS cs_ensure_trades_partition(date)');
    await q.query('DROP TABLE IF EXISTS ingest_checkpoints, candles_1m, trades, instruments');
  }
}
