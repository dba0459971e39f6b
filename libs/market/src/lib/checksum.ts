import { crc32 } from 'node:zlib';

type Lvl = readonly [price: string, size: string];

/**
 * Kraken (v1 and v2) book checksum: top 10 asks (best first) then top 10 bids; for each level
 * the price and then the quantity with the decimal point removed and leading zeros stripped,
 * concatenated; CRC32 as an unsigned 32-bit integer.
 */
export function krakenChecksum(bids: readonly Lvl[], asks: readonly Lvl[]): number {
  const strip = (s: string) => s.replace('.', '').replace(/^0+/, '');
  let text = '';
  for (const [p, q] of asks.slice(0, 10)) text += strip(p) + strip(q);
  for (const [p, q] of bids.slice(0, 10)) text += strip(p) + strip(q);
  return crc32(text) >>> 0;
}

/**
 * OKX v5 `books` checksum: the best 25 bids and asks interleaved `bidPx:bidSz:askPx:askSz:…`
 * (the longer side continues alone), CRC32 as a signed 32-bit integer.
 */
export function okxChecksum(bids: readonly Lvl[], asks: readonly Lvl[]): number {
  const parts: string[] = [];
  for (let i = 0; i < 25; i++) {
    const b = bids[i];
    const a = asks[i];
    if (b) parts.push(b[0], b[1]);
    if (a) parts.push(a[0], a[1]);
  }
  return crc32(parts.join(':')) | 0;
}
