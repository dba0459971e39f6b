/**
 * Which failures say "this node is unusable right now" (count against its breaker, eject it,
 * route idempotent work elsewhere) and which are the query's own fault (bad input, statement
 * timeout): those are returned to the caller as they are and never retried.
 */
const NODE_SQLSTATE_CLASSES = ['08', '53', '57P', '58'];
const NODE_SQLSTATES = new Set([
  '25006', // read_only_sql_transaction: we wrote to a node that is (now) a replica
  '40001', // serialization_failure after a recovery conflict on a replica
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
]);
const NODE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const NODE_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'terminating connection',
  'the database system is',
  'server closed the connection',
  'synchronous replication',
];

export function isNodeFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (code === '57014') return false; // query_canceled (statement_timeout): the query's fault
  if (NODE_SQLSTATES.has(code) || NODE_ERRNOS.has(code)) return true;
  if (code.length === 5 && NODE_SQLSTATE_CLASSES.some((c) => code.startsWith(c))) return true;
  const message = typeof e?.message === 'string' ? e.message : '';
  return NODE_MESSAGES.some((m) => message.includes(m));
}

/** A node was unusable and no other could take the work. */
export class NoNodeAvailableError extends Error {
  constructor(target: string, detail: string) {
    super(`no Postgres ${target} available: ${detail}`);
    this.name = 'NoNodeAvailableError';
  }
}
