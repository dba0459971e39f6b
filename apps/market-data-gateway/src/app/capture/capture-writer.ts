import type { Venue } from '@cryptoscalp/messaging';

import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { redactSecrets } from '../feeds/connection-context';

const seconds = (ms: number) => (ms / 1000).toFixed(6);

/**
 * Optional raw capture (`GATEWAY_CAPTURE_DIR`) in the fixture format (fixtures/README.md), so
 * `npm run replay -- <dir>/<VENUE>.ws.<n>.<m>` replays it: one `<VENUE>.ws.<shard>.<k>` file per
 * connection (`<url> <-> <t>`, then `<url> <- <t>: <sent>` and `<t>: <received>`), and the REST
 * answers in `<VENUE>.http.0.0` (`<url> -> <t>: <body>`). Sent frames are redacted (a signed
 * subscribe's key, passphrase and signature never reach the disk). Writes are synchronous appends
 * (a debugging tool, not for the hot path of a production deployment).
 */
export class CaptureWriter {
  private connections = 0;

  constructor(
    private readonly dir: string,
    private readonly venue: Venue,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private get prefix(): string {
    return this.venue.toUpperCase();
  }

  /** A new connection: returns its recorder. */
  connection(shard: number, url: string): ConnectionCapture {
    const file = join(this.dir, `${this.prefix}.ws.${shard}.${this.connections++}`);
    appendFileSync(file, `${url} <-> ${seconds(Date.now())}\n`);
    return new ConnectionCapture(file, url);
  }

  rest(url: string, body: string): void {
    appendFileSync(join(this.dir, `${this.prefix}.http.0.0`), `${redactSecrets(url)} -> ${seconds(Date.now())}: ${body.replace(/\n/g, ' ')}\n`);
  }
}

export class ConnectionCapture {
  constructor(
    readonly file: string,
    private readonly url: string,
  ) {}

  sent(text: string): void {
    appendFileSync(this.file, `${this.url} <- ${seconds(Date.now())}: ${redactSecrets(text).replace(/\n/g, ' ')}\n`);
  }

  received(text: string, recvUs: number): void {
    appendFileSync(this.file, `${(recvUs / 1e6).toFixed(6)}: ${text.replace(/\n/g, ' ')}\n`);
  }
}
