import { readFileSync } from 'node:fs';

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
 * Plays one recorded connection's exchange frames to a sender at the recorded pace divided by
 * `speed` (Infinity = as fast as possible, in order). Returns a stop function.
 */
export function playFrames(conn: RecordedConnection, speed: number, send: (text: string) => boolean, done: () => void): () => void {
  let i = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const frames = conn.received;
  const start = Date.now();
  const t0 = frames[0]?.t ?? 0;
  const pump = () => {
    if (stopped) return;
    const elapsed = (Date.now() - start) / 1000;
    let sentThisTurn = 0;
    while (i < frames.length) {
      const f = frames[i] as { t: number; text: string };
      const due = Number.isFinite(speed) ? (f.t - t0) / speed : 0;
      if (due > elapsed) break;
      if (!send(f.text)) {
        stopped = true;
        return;
      }
      i++;
      if (++sentThisTurn >= 5000) break; // yield to the event loop
    }
    if (i >= frames.length) {
      done();
      return;
    }
    const next = frames[i] as { t: number };
    const wait = Number.isFinite(speed) ? Math.max(0, ((next.t - t0) / speed - (Date.now() - start) / 1000) * 1000) : 0;
    timer = setTimeout(pump, Math.min(wait, 1000));
  };
  pump();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
