import type { Channel, Notification } from './channel.types';
import { describeUrl, postJson } from './http-post';

/**
 * Forwards to a Prometheus Alertmanager (`POST <url>/api/v2/alerts`), which then groups, silences
 * and routes them itself. Resolved alerts carry `endsAt`; firing ones none (Alertmanager applies
 * its resolve_timeout if the monitor goes away).
 */
export class AlertmanagerChannel implements Channel {
  readonly type = 'alertmanager';
  readonly target: string;
  private readonly endpoint: string;

  constructor(
    url: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.endpoint = `${url.replace(/\/+$/, '')}/api/v2/alerts`;
    this.target = describeUrl(url);
  }

  send(n: Notification): Promise<void> {
    return postJson(
      this.endpoint,
      n.alerts.map((a) => ({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: a.startsAt,
        ...(a.endsAt ? { endsAt: a.endsAt } : {}),
        generatorURL: a.generatorURL,
      })),
      this.headers,
    );
  }
}
