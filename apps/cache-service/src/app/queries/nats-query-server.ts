import { type DataSubscription, type Decoder, encodeJson, type NatsConnector, PayloadError } from '@cryptoscalp/messaging';

import type { Logger } from '@nestjs/common';

import type { QueryResult } from './api-error';
import { errorReply } from './api-error.filter';
import type { Params } from './market-queries';

const text = new TextDecoder();

/** A request body: a JSON object (or nothing, for queries without parameters). */
export const ParamsDecoder: Decoder<Params> = {
  decode(data, subject) {
    if (data.length === 0) return {};
    let value: unknown;
    try {
      value = JSON.parse(text.decode(data));
    } catch (err) {
      throw new PayloadError(subject, `not JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new PayloadError(subject, 'expected a JSON object of parameters');
    return value as Params;
  },
};

export type QueryHandler = (params: Params) => Promise<QueryResult> | QueryResult;

/**
 * Serves `cache.<name>` request-reply on the data plane (not the Nest transport: the subject
 * carries the deployment's NATS_SUBJECT_PREFIX, known only at runtime). One replica answers each
 * request (queue group `q.cache-service`). Reply: `{"status":200,"data":…,"stale"?:…}` or
 * `{"status":400|404|503,"error":"…"}` — the HTTP status and body of the same query.
 */
export function serveQueries(
  nats: NatsConnector,
  subjectOf: (name: string) => string,
  queue: string,
  handlers: Record<string, QueryHandler>,
  logger: Logger,
): DataSubscription<Params>[] {
  return Object.entries(handlers).map(([name, handler]) =>
    nats.subscribe<Params>(
      subjectOf(name),
      async (params, msg) => {
        let reply: object;
        try {
          const r = await handler(params);
          reply = { status: 200, ...r };
        } catch (err) {
          reply = errorReply(err);
          if (!(err instanceof Error && err.name === 'ApiError'))
            logger.error(`cache.${name} failed: ${String((err as Error)?.stack ?? err).slice(0, 1000)}`);
        }
        if (msg.reply) msg.respond(encodeJson(reply));
      },
      {
        queue,
        decoder: ParamsDecoder,
        concurrency: 64,
        invalidReply: (problem) => encodeJson({ status: 400, error: `invalid request: ${problem.slice(0, 200)}` }),
      },
    ),
  );
}
