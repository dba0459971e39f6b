/** OKX v5 specifics of the simulator (`venueOptions.okx`); every field has the venue's default. */
export interface OkxOptions {
  /**
   * `books` checksum: `zero` as OKX sends it in production since 23 June 2026 (the field stays, always
   * 0; OKX notice "Order Book Channels Checksum Field Deprecation"), or `crc32`, the signed CRC32 of the
   * top 25 levels as in traffic recorded before that date.
   */
  checksum: 'zero' | 'crc32';
  /**
   * Where a `books` subscriber gets its first book: `ws`, the snapshot pushed on subscribe, or `rest`,
   * no WebSocket snapshot and `GET /api/v5/market/books` answering with the `seqId` to continue from
   * (the announced replacement of the WebSocket snapshot).
   */
  booksSnapshot: 'ws' | 'rest';
  /** A keepalive update (no levels, `seqId == prevSeqId`) after this long without a push of the book (ms). */
  booksKeepaliveMs: number;
  /** New connections accepted per second per IP (3 on the venue). */
  connectionsPerSecond: number;
  /** `subscribe`/`unsubscribe` requests per connection per hour (480 on the venue). */
  subscribeRequestsPerHour: number;
}

export const OKX_DEFAULTS: OkxOptions = {
  checksum: 'zero',
  booksSnapshot: 'ws',
  booksKeepaliveMs: 60_000,
  connectionsPerSecond: 3,
  subscribeRequestsPerHour: 480,
};

/**
 * OKX `seqId`s are not contiguous: they grow by arbitrary steps. Maps the simulator's book sequence
 * (one per market event) onto a strictly increasing id with steps of 1 to 19, deterministically.
 */
export function okxSeqId(offset: number, seq: number): number {
  return offset + seq * 10 + ((seq * 7919) % 10);
}
