import { isVenue, type Venue } from '@cryptoscalp/messaging';

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One recorded WebSocket connection: its URL, what the client sent, what it received. */
export interface RecordedConnection {
  url: string;
  openedAt: number;
  sent: string[];
  /** Received frames with their receive time (epoch seconds, as recorded). */
  frames: { t: number; text: string }[];
}

export interface RecordedResponse {
  url: string;
  t: number;
  body: string;
}

const OPEN = /^(\S+) <-> ([\d.]+)\s*$/;
const SENT = /^(\S+) <- ([\d.]+): (.*)$/;
const RECV = /^([\d.]+): (.*)$/;
const HTTP = /^(\S+) -> ([\d.]+): (.*)$/;

/** Parses a `*.ws.*` capture (format in fixtures/README.md); blank lines are ignored. */
export function parseWsCapture(text: string): RecordedConnection[] {
  const conns: RecordedConnection[] = [];
  let current: RecordedConnection | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const open = OPEN.exec(line);
    if (open) {
      current = { url: open[1] as string, openedAt: Number(open[2]), sent: [], frames: [] };
      conns.push(current);
      continue;
    }
    const sent = SENT.exec(line);
    if (sent && current) {
      current.sent.push(sent[3] as string);
      continue;
    }
    const recv = RECV.exec(line);
    if (recv && current) current.frames.push({ t: Number(recv[1]), text: recv[2] as string });
  }
  return conns;
}

export function parseHttpCapture(text: string): RecordedResponse[] {
  const out: RecordedResponse[] = [];
  for (const line of text.split('\n')) {
    const m = HTTP.exec(line);
    if (m) out.push({ url: m[1] as string, t: Number(m[2]), body: m[3] as string });
  }
  return out;
}

/** The venue from a capture's URLs (`stream.binance.com` → binance). */
export function venueOfUrl(url: string): Venue | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const token = ['binance', 'coinbase', 'kraken', 'okx', 'okex', 'bybit'].find((v) => host.includes(v));
  if (!token) return undefined;
  const venue = token === 'okex' ? 'okx' : token;
  return isVenue(venue) ? venue : undefined;
}

/** The venue from a capture's file name (`BINANCE.ws.1.0` → binance). */
export function venueOfFile(file: string): Venue | undefined {
  const prefix = basename(file).split('.')[0]?.toLowerCase() ?? '';
  return isVenue(prefix) ? prefix : undefined;
}

/** The REST responses recorded beside a capture: `<VENUE>.http.*` files in the same folder. */
export function recordedResponsesBeside(wsFile: string): RecordedResponse[] {
  const dir = dirname(wsFile);
  const prefix = basename(wsFile).split('.')[0];
  if (!prefix || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith(`${prefix}.http.`))
    .sort()
    .flatMap((f) => parseHttpCapture(readFileSync(join(dir, f), 'utf8')));
}
