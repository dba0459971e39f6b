import type { ServerResponse } from 'node:http';

import type { FaultEngine } from '../faults';
import { sendJson, type VenueName } from './venue';

/**
 * REST faults shared by the venues: 429/418 with Retry-After, and slow answers. Returns true
 * when the response was taken over by a fault; `answer` is called (later, for rest_slow) otherwise.
 */
export function withRestFaults(
  faults: FaultEngine,
  venue: VenueName,
  symbol: string | undefined,
  res: ServerResponse,
  answer: () => void,
  errorBody: (status: number) => unknown,
): void {
  const target = { venue, symbol };
  for (const type of ['rest_418', 'rest_429'] as const) {
    const f = faults.take(type, target);
    if (f) {
      const status = type === 'rest_418' ? 418 : 429;
      sendJson(res, status, errorBody(status), { 'retry-after': String(f.retryAfterSec ?? 2) });
      return;
    }
  }
  const slow = faults.take('rest_slow', target);
  if (slow) {
    setTimeout(answer, slow.durationMs ?? 3000);
    return;
  }
  answer();
}
