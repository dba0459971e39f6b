import { type DataSubscription, encodeJson, NatsConnector, Subjects } from '@cryptoscalp/messaging';

import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Msg } from 'nats';

import { SERVICE_NAME } from '../db-proxy.constants';
import { QUERY_NAMES, QueryApi, type QueryName } from './query-api';
import { QueryError } from './query-params';

const text = new TextDecoder();

/**
 * History over NATS request-reply: `db.trades`, `db.candles`, `db.latest`, `db.stats` in the
 * `q.db-proxy` queue group (one replica answers). The request is either a plain JSON object of
 * parameters (reply: the result, or `{"error":{statusCode,message,parameter}}`) or a Nest packet
 * `{pattern,data,id}` (reply: `{id,response}` or `{id,err}`, as the platform's other handlers).
 * Subscribed through NatsConnector (namespaced subjects, re-bound on reconnect, bad payloads
 * counted and answered, never thrown).
 */
@Injectable()
export class QueriesNatsResponder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueriesNatsResponder.name);
  private subs: DataSubscription<Uint8Array>[] = [];

  constructor(
    private readonly nats: NatsConnector,
    private readonly subjects: Subjects,
    private readonly api: QueryApi,
  ) {}

  onApplicationBootstrap(): void {
    for (const name of QUERY_NAMES) {
      this.subs.push(
        this.nats.subscribe(this.subjects.query('db', name), (data, msg) => this.answer(name, data, msg), {
          queue: this.subjects.queueGroup(SERVICE_NAME),
          concurrency: 16,
        }),
      );
    }
  }

  private async answer(name: QueryName, data: Uint8Array, msg: Msg): Promise<void> {
    if (!msg.reply) return;
    let request: unknown;
    try {
      request = data.length === 0 ? {} : JSON.parse(text.decode(data));
    } catch {
      msg.respond(encodeJson({ error: new QueryError(400, 'expected a JSON object of parameters', '(body)').body() }));
      return;
    }
    const packet = request as { pattern?: unknown; id?: unknown; data?: unknown } | null;
    const nest = packet !== null && typeof packet === 'object' && 'pattern' in packet && typeof packet.id === 'string';
    try {
      const result = await this.api.run(name, nest ? packet.data : request);
      msg.respond(encodeJson(nest ? { id: packet.id, response: result, isDisposed: true } : result));
    } catch (err) {
      const error = err instanceof QueryError ? err.body() : { statusCode: 500, error: 'Internal Server Error', message: 'query failed' };
      if (!(err instanceof QueryError)) this.logger.warn(`db.${name} failed: ${(err as Error).message}`);
      msg.respond(encodeJson(nest ? { id: packet.id, err: error, isDisposed: true } : { error }));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.subs.splice(0).map((s) => s.drain()));
  }
}
