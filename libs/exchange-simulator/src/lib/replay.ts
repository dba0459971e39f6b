import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';

import type { FaultEngine } from './faults';
import type { GroundTruth } from './ground-truth';
import { SimConnection, SLOW_CLOSE_GRACE_MS } from './venues/sim-connection';
import type { ConnectionInfo, VenueName } from './venues/venue';

export interface RecordedConnection {
  url: string;
  openedAt: number;
  /** Frames the client sent (subscriptions), in order. */
  sent: { t: number; text: string }[];
  /** Frames the exchange sent, in order, with their receive time (epoch seconds). */
  received: { t: number; text: string }[];
}

export interface Capture {
  connections: RecordedConnection[];
  /** REST responses: path+query → bodies in recorded order. */
  http: Map<string, { t: number; body: string }[]>;
}

/**
 * Parses the capture format of fixtures/README.md:
 * `<url> <-> <t>` opens a connection, `<url> <- <t>: <json>` is a client frame, `<t>: <json>` an
 * exchange frame, `<url> -> <t>: <body>` a REST response.
 */
export function parseCapture(text: string): Capture {
  const connections: RecordedConnection[] = [];
  const http = new Map<string, { t: number; body: string }[]>();
  let current: RecordedConnection | undefined;
  for (const line of text.split('\n')) {
    if (!line) continue;
    let m = /^(\S+) <-> ([\d.]+)$/.exec(line);
    if (m) {
      current = { url: m[1] as string, openedAt: Number(m[2]), sent: [], received: [] };
      connections.push(current);
      continue;
    }
    m = /^(\S+) <- ([\d.]+): (.*)$/.exec(line);
    if (m) {
      current?.sent.push({ t: Number(m[2]), text: m[3] as string });
      continue;
    }
    m = /^(\S+) -> ([\d.]+): (.*)$/.exec(line);
    if (m) {
      const u = new URL(m[1] as string);
      const key = u.pathname + u.search;
      const list = http.get(key) ?? [];
      list.push({ t: Number(m[2]), body: m[3] as string });
      http.set(key, list);
      continue;
    }
    m = /^([\d.]+): (.*)$/.exec(line);
    if (m && current) current.received.push({ t: Number(m[1]), text: m[2] as string });
  }
  return { connections, http };
}

export function loadCapture(...files: string[]): Capture {
  const merged: Capture = { connections: [], http: new Map() };
  for (const f of files) {
    const c = parseCapture(readFileSync(f, 'utf8'));
    merged.connections.push(...c.connections);
    for (const [k, v] of c.http) merged.http.set(k, [...(merged.http.get(k) ?? []), ...v]);
  }
  return merged;
}

/**
 * How a recorded feed is served: the protocol (and version) its frames belong to, told by the
 * venue and the recorded URL. `other` serves every frame to any client that sent something.
 */
export type ReplayProtocol = 'binance' | 'coinbase' | 'kraken-v1' | 'other';

/** One recorded exchange frame with the subscription it belongs to (`channel|instrument`). */
export interface ReplayFrame {
  t: number;
  text: string;
  key: string;
}

/** Every recorded connection of a capture merged into one timeline, ready to serve. */
export interface ReplaySource {
  venue: VenueName;
  protocol: ReplayProtocol;
  /** WebSocket paths the recorded connections used (`/stream`, `/`): the only paths served. */
  paths: Set<string>;
  /** Data frames of all recorded connections, by recorded time. */
  frames: ReplayFrame[];
  /** Kraken v1: the recorded `subscriptionStatus` per key (`book-1000|XMR/USD`), replayed as acks. */
  acks: Map<string, Record<string, unknown>>;
  /** Kraken v1: the recorded systemStatus version. */
  version?: string;
}

export function replayProtocol(venue: VenueName, url: string): ReplayProtocol {
  const path = new URL(url).pathname;
  if (venue === 'binance') return 'binance';
  if (venue === 'coinbase') return 'coinbase';
  if (venue === 'kraken' && !path.startsWith('/v2')) return 'kraken-v1';
  return 'other';
}

const COINBASE_CHANNEL: Record<string, string> = {
  snapshot: 'level2',
  l2update: 'level2',
  ticker: 'ticker',
  match: 'matches',
  last_match: 'matches',
  heartbeat: 'heartbeat',
  status: 'status',
};

/**
 * Tags every recorded exchange frame with its subscription key; control frames (acks,
 * heartbeats, status) are left out — the replay answers and generates those itself.
 */
export function replaySource(venue: VenueName, capture: Capture): ReplaySource {
  const first = capture.connections[0];
  if (!first) throw new Error(`replay ${venue}: the capture has no WebSocket connection`);
  const protocol = replayProtocol(venue, first.url);
  const source: ReplaySource = { venue, protocol, paths: new Set(), frames: [], acks: new Map() };
  for (const conn of capture.connections) {
    if (replayProtocol(venue, conn.url) !== protocol)
      throw new Error(`replay ${venue}: connections of different protocols in one capture (${first.url}, ${conn.url})`);
    source.paths.add(new URL(conn.url).pathname);
    for (const f of conn.received) {
      const key = frameKey(protocol, f.text, source);
      if (key !== undefined) source.frames.push({ t: f.t, text: f.text, key });
    }
  }
  source.frames.sort((a, b) => a.t - b.t); // stable: each connection's own order is kept
  return source;
}

function frameKey(protocol: ReplayProtocol, text: string, source: ReplaySource): string | undefined {
  switch (protocol) {
    case 'binance':
      return /^\{"stream":"([^"]+)"/.exec(text)?.[1];
    case 'coinbase': {
      const channel = COINBASE_CHANNEL[/"type":"([^"]+)"/.exec(text)?.[1] ?? ''];
      const product = /"product_id":"([^"]+)"/.exec(text)?.[1];
      return channel && product ? `${channel}|${product}` : undefined;
    }
    case 'kraken-v1': {
      let msg: unknown;
      try {
        msg = JSON.parse(text);
      } catch {
        return undefined;
      }
      if (Array.isArray(msg)) return msg.length >= 4 ? `${String(msg[msg.length - 2])}|${String(msg[msg.length - 1])}` : undefined;
      const o = msg as Record<string, unknown>;
      if (o['event'] === 'systemStatus') source.version ??= String(o['version']);
      if (o['event'] === 'subscriptionStatus' && o['status'] === 'subscribed')
        source.acks.set(`${String(o['channelName'])}|${String(o['pair'])}`, o);
      return undefined;
    }
    case 'other':
      return '*';
  }
}

/**
 * Plays frames to a sender at the recorded pace divided by `speed` (Infinity = as fast as
 * possible, in order), from the first frame's time. `send` returns false to stop. Returns a stop
 * function.
 */
export function playFrames<F extends { t: number }>(
  frames: readonly F[],
  speed: number,
  send: (frame: F) => boolean,
  done: () => void,
): () => void {
  let i = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const start = Date.now();
  const t0 = frames[0]?.t ?? 0;
  const paced = Number.isFinite(speed);
  const pump = () => {
    if (stopped) return;
    const elapsed = (Date.now() - start) / 1000;
    let sentThisTurn = 0;
    while (i < frames.length) {
      const f = frames[i] as F;
      if (paced && (f.t - t0) / speed > elapsed) break;
      if (!send(f)) {
        stopped = true;
        return;
      }
      i++;
      if (++sentThisTurn >= 5000) break; // yield to the event loop
    }
    if (i >= frames.length) return done();
    const next = frames[i] as F;
    const wait = paced ? Math.max(0, ((next.t - t0) / speed - (Date.now() - start) / 1000) * 1000) : 0;
    timer = setTimeout(pump, Math.min(wait, 1000));
  };
  pump();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

export interface ReplayFeedDeps {
  faults: FaultEngine;
  truth: GroundTruth;
  /** Per-connection queue limit (slow consumers are disconnected, 1008). */
  maxQueuedBytes: number;
}

/** One client of a replayed venue: its subscriptions and its own playback of the capture. */
interface ReplaySession {
  conn: SimConnection;
  subs: Set<string>;
  /** Binance `/ws/...`: raw streams (the `data` of each combined-stream frame). */
  raw: boolean;
  stop?: () => void;
  lastSentAt: number;
}

/**
 * Serves a recorded capture as the venue did: at the recorded path and protocol version, with
 * the protocol's acks and keepalives answered, each client receiving (at the recorded pace
 * divided by `speed`, from the capture's start) only the frames of what it subscribed to, from
 * every recorded connection of the capture. Faults and the slow-consumer limit apply.
 */
export class ReplayFeed {
  private readonly sessions = new Set<ReplaySession>();
  private readonly heartbeat: NodeJS.Timeout;
  private nextChannelId = 1;

  constructor(
    readonly source: ReplaySource,
    readonly speed: number,
    private readonly deps: ReplayFeedDeps,
  ) {
    this.heartbeat = setInterval(() => this.keepalive(), 1000);
    this.heartbeat.unref();
  }

  /** The WebSocket path clients connect to (the first recorded connection's). */
  get path(): string {
    return [...this.source.paths][0] ?? '/';
  }

  /** Whether a WebSocket upgrade on this path belongs to the recorded protocol (others get 404). */
  accepts(pathname: string): boolean {
    if (this.source.protocol === 'binance') return pathname === '/stream' || pathname === '/ws' || pathname.startsWith('/ws/');
    return this.source.paths.has(pathname);
  }

  accept(ws: WebSocket, req: IncomingMessage, id: number): void {
    const venue = this.source.venue;
    const conn = new SimConnection(id, venue, ws, this.deps.faults, {
      maxQueuedBytes: this.deps.maxQueuedBytes,
      onSlow: (c, queuedBytes) => {
        this.deps.truth.disconnected({ id: c.id, venue, reason: 'slow_consumer', queuedBytes, at: Date.now() });
        this.end(session);
        c.closeThenTerminate(1008, 'slow consumer: too much data queued', SLOW_CLOSE_GRACE_MS);
      },
    });
    const url = new URL(req.url ?? '/', 'http://localhost');
    const session: ReplaySession = { conn, subs: new Set(), raw: false, lastSentAt: Date.now() };
    this.sessions.add(session);
    ws.on('close', () => this.end(session));
    ws.on('error', () => this.end(session));
    ws.on('message', (data: Buffer) => {
      conn.lastReceived = Date.now();
      this.onMessage(session, data.toString());
    });
    switch (this.source.protocol) {
      case 'binance': {
        session.raw = url.pathname !== '/stream';
        const streams = session.raw ? url.pathname.replace(/^\/ws\/?/, '') : (url.searchParams.get('streams') ?? '');
        for (const s of streams.split('/').filter(Boolean)) session.subs.add(s);
        if (session.subs.size) this.play(session);
        return;
      }
      case 'kraken-v1':
        return this.reply(session, { connectionID: id, event: 'systemStatus', status: 'online', version: this.source.version ?? '1.8.3' });
      case 'other':
        session.subs.add('*');
        return;
      case 'coinbase':
        return;
    }
  }

  private reply(session: ReplaySession, msg: unknown): void {
    session.conn.send(JSON.stringify(msg));
    session.lastSentAt = Date.now();
  }

  /** Starts the session's playback (once): from the capture's start, at the recorded pace. */
  private play(session: ReplaySession): void {
    if (session.stop) return;
    const venue = this.source.venue;
    session.stop = playFrames(
      this.source.frames,
      this.speed,
      (f) => {
        if (!session.conn.open) return false;
        if (!session.subs.has(f.key)) return true;
        const text = session.raw ? f.text.slice(f.text.indexOf('"data":') + 7, -1) : f.text;
        if (session.conn.send(text)) {
          session.lastSentAt = Date.now();
          this.deps.truth.sent(venue, 'replay', 'frame');
        }
        return true;
      },
      () => undefined,
    );
  }

  private end(session: ReplaySession): void {
    session.stop?.();
    this.sessions.delete(session);
  }

  private onMessage(session: ReplaySession, text: string): void {
    let msg: Record<string, unknown> | undefined;
    try {
      const v: unknown = JSON.parse(text);
      if (v && typeof v === 'object' && !Array.isArray(v)) msg = v as Record<string, unknown>;
    } catch {
      msg = undefined;
    }
    switch (this.source.protocol) {
      case 'binance':
        return this.binance(session, msg);
      case 'coinbase':
        return this.coinbase(session, msg);
      case 'kraken-v1':
        return this.kraken(session, msg);
      case 'other':
        return this.play(session);
    }
  }

  /** Binance: SUBSCRIBE / UNSUBSCRIBE → `{"result":null,"id"}`, LIST_SUBSCRIPTIONS. */
  private binance(session: ReplaySession, msg: Record<string, unknown> | undefined): void {
    const id = msg?.['id'] ?? null;
    if (!msg) return this.reply(session, { error: { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' }, id });
    const params = Array.isArray(msg['params']) ? (msg['params'] as unknown[]).filter((p): p is string => typeof p === 'string') : [];
    switch (msg['method']) {
      case 'SUBSCRIBE':
        for (const p of params) session.subs.add(p);
        this.reply(session, { result: null, id });
        return this.play(session);
      case 'UNSUBSCRIBE':
        for (const p of params) session.subs.delete(p);
        return this.reply(session, { result: null, id });
      case 'LIST_SUBSCRIPTIONS':
        return this.reply(session, { result: [...session.subs], id });
      default:
        return this.reply(session, { error: { code: 2, msg: `Invalid request: unknown variant \`${String(msg['method'])}\`` }, id });
    }
  }

  /** Coinbase: subscribe / unsubscribe (channel names or objects) → `subscriptions`. */
  private coinbase(session: ReplaySession, msg: Record<string, unknown> | undefined): void {
    const type = msg?.['type'];
    if (!msg || (type !== 'subscribe' && type !== 'unsubscribe'))
      return this.reply(session, { type: 'error', message: 'Failed to subscribe', reason: `${String(type)} is not a valid type` });
    const products = Array.isArray(msg['product_ids']) ? (msg['product_ids'] as unknown[]).map(String) : [];
    for (const ch of Array.isArray(msg['channels']) ? (msg['channels'] as unknown[]) : []) {
      const o = typeof ch === 'object' && ch ? (ch as { name?: unknown; product_ids?: unknown }) : undefined;
      const name = String(o ? o.name : ch).replace(/^level2_batch$/, 'level2');
      const ids = o && Array.isArray(o.product_ids) ? o.product_ids.map(String) : products;
      for (const p of ids) {
        if (type === 'subscribe') session.subs.add(`${name}|${p}`);
        else session.subs.delete(`${name}|${p}`);
      }
    }
    const byChannel = new Map<string, string[]>();
    for (const k of session.subs) {
      const [name, p] = k.split('|') as [string, string];
      byChannel.set(name, [...(byChannel.get(name) ?? []), p]);
    }
    this.reply(session, { type: 'subscriptions', channels: [...byChannel].map(([name, product_ids]) => ({ name, product_ids })) });
    if (type === 'subscribe') this.play(session);
  }

  /** Kraken v1: ping → pong; subscribe / unsubscribe → one subscriptionStatus per pair (the recorded one when there is one). */
  private kraken(session: ReplaySession, msg: Record<string, unknown> | undefined): void {
    if (!msg) return this.reply(session, { errorMessage: 'Malformed request', event: 'error' });
    const reqid = msg['reqid'] !== undefined ? { reqid: msg['reqid'] } : {};
    const event = msg['event'];
    if (event === 'ping') return this.reply(session, { event: 'pong', ...reqid });
    if (event !== 'subscribe' && event !== 'unsubscribe')
      return this.reply(session, { errorMessage: 'Unsupported event', event: 'error', ...reqid });
    const sub = (msg['subscription'] ?? {}) as { name?: unknown; depth?: unknown; interval?: unknown };
    const name = String(sub.name);
    if (!['book', 'trade', 'ticker', 'spread', 'ohlc'].includes(name))
      return this.reply(session, {
        errorMessage: 'Subscription name invalid',
        event: 'subscriptionStatus',
        status: 'error',
        subscription: sub,
        ...reqid,
      });
    const channelName = name === 'book' ? `book-${Number(sub.depth ?? 10)}` : name === 'ohlc' ? `ohlc-${Number(sub.interval ?? 1)}` : name;
    for (const pair of Array.isArray(msg['pair']) ? (msg['pair'] as unknown[]).map(String) : []) {
      const key = `${channelName}|${pair}`;
      const recorded = this.source.acks.get(key);
      const ack = recorded
        ? { ...recorded, ...reqid }
        : {
            channelID: this.nextChannelId++,
            channelName,
            event: 'subscriptionStatus',
            pair,
            status: 'subscribed',
            subscription: sub,
            ...reqid,
          };
      if (event === 'subscribe') session.subs.add(key);
      else session.subs.delete(key);
      this.reply(session, event === 'subscribe' ? ack : { ...ack, status: 'unsubscribed' });
    }
    if (event === 'subscribe') this.play(session);
  }

  /** Kraken v1 sends a heartbeat after a second without other frames. */
  private keepalive(): void {
    if (this.source.protocol !== 'kraken-v1') return;
    const now = Date.now();
    for (const s of this.sessions) if (s.subs.size && now - s.lastSentAt >= 1000) this.reply(s, { event: 'heartbeat' });
  }

  connections(): ConnectionInfo[] {
    return [...this.sessions].map((s) => ({
      id: s.conn.id,
      venue: this.source.venue,
      subscriptions: [...s.subs],
      openedAt: s.conn.openedAt,
      sent: s.conn.sent,
      queuedBytes: s.conn.queuedBytes,
    }));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const s of this.sessions) {
      s.stop?.();
      s.conn.drop();
    }
    this.sessions.clear();
  }
}
