/** Wall-clock time in epoch microseconds (sub-millisecond resolution, for `recvTs` and latencies). */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
