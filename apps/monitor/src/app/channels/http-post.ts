/** POSTs JSON; a non-2xx answer is an error carrying the status and the start of the body. */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<void> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    throw new Error(`${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`);
  }
  await res.arrayBuffer().catch(() => undefined);
}

/** A URL for display: no credentials, no query string, no path beyond the first segment (webhook URLs embed tokens). */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    const first = u.pathname.split('/').filter(Boolean)[0];
    return `${u.protocol}//${u.host}${first ? `/${first}/…` : '/'}`;
  } catch {
    return 'invalid URL';
  }
}
