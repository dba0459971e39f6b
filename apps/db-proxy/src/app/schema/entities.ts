import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The tables db-proxy owns, as TypeORM sees them. The DDL itself lives in the migrations (daily
 * range partitions, indexes and functions are beyond what entity synchronisation expresses), so
 * every entity is `synchronize: false`. Hot paths (COPY ingest, history queries) use plain SQL.
 */
@Entity({ name: 'instruments', synchronize: false })
export class InstrumentEntity {
  @PrimaryColumn('text') venue!: string;
  @PrimaryColumn('text') symbol!: string;
  /** Trades stored (maintained by ingest from the rows it really inserted, and by retention). */
  @Column('bigint', { name: 'trade_count' }) tradeCount!: string;
  @Column('timestamptz', { name: 'first_ts', nullable: true }) firstTs!: Date | null;
  @Column('timestamptz', { name: 'last_ts', nullable: true }) lastTs!: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}

/** Partitioned by `day` (UTC date of `ts`); the key makes every write idempotent. */
@Entity({ name: 'trades', synchronize: false })
export class TradeEntity {
  @PrimaryColumn('text') venue!: string;
  @PrimaryColumn('text') symbol!: string;
  @PrimaryColumn('text', { name: 'trade_id' }) tradeId!: string;
  @PrimaryColumn('date') day!: string;
  @Column('timestamptz') ts!: Date;
  /** Decimal exactly as the exchange sent it (numeric keeps every digit, trailing zeros too). */
  @Column('numeric') price!: string;
  @Column('numeric') size!: string;
  @Column('text') side!: 'buy' | 'sell';
  @Column('timestamptz', { name: 'recv_ts' }) recvTs!: Date;
  @Column('bigint', { name: 'stream_seq', nullable: true }) streamSeq!: string | null;
}

/** One-minute OHLCV, merged from exactly the trades each ingest transaction inserted. */
@Entity({ name: 'candles_1m', synchronize: false })
export class Candle1mEntity {
  @PrimaryColumn('text') venue!: string;
  @PrimaryColumn('text') symbol!: string;
  @PrimaryColumn('timestamptz') bucket!: Date;
  @Column('numeric') open!: string;
  @Column('numeric') high!: string;
  @Column('numeric') low!: string;
  @Column('numeric') close!: string;
  @Column('numeric') volume!: string;
  @Column('integer', { name: 'trade_count' }) tradeCount!: number;
  @Column('timestamptz', { name: 'open_ts' }) openTs!: Date;
  @Column('text', { name: 'open_id' }) openId!: string;
  @Column('timestamptz', { name: 'close_ts' }) closeTs!: Date;
  @Column('text', { name: 'close_id' }) closeId!: string;
}

/** Per durable consumer: the highest stream sequence committed, and running totals. */
@Entity({ name: 'ingest_checkpoints', synchronize: false })
export class IngestCheckpointEntity {
  @PrimaryColumn('text') stream!: string;
  @PrimaryColumn('text') consumer!: string;
  @Column('bigint', { name: 'last_stream_seq' }) lastStreamSeq!: string;
  @Column('bigint', { name: 'trades_inserted' }) tradesInserted!: string;
  @Column('bigint', { name: 'trades_received' }) tradesReceived!: string;
  @Column('bigint') batches!: string;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt!: Date;
}

export const ENTITIES = [InstrumentEntity, TradeEntity, Candle1mEntity, IngestCheckpointEntity];
