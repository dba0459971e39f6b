import type { Channel, Notification } from './channel.types';
import { describeUrl, postJson } from './http-post';

const SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

/**
 * PagerDuty Events API v2: one `trigger` per firing alert and one `resolve` per resolved alert,
 * deduplicated by the alert's fingerprint (PagerDuty groups repeats into one incident).
 */
export class PagerDutyChannel implements Channel {
  readonly type = 'pagerduty';
  readonly target: string;

  constructor(
    private readonly routingKey: string,
    private readonly url: string,
  ) {
    this.target = describeUrl(url);
  }

  async send(n: Notification): Promise<void> {
    for (const a of n.alerts) {
      const severity = SEVERITIES.has(a.labels['severity'] ?? '') ? (a.labels['severity'] as string) : 'error';
      await postJson(
        this.url,
        a.status === 'resolved'
          ? { routing_key: this.routingKey, event_action: 'resolve', dedup_key: a.fingerprint }
          : {
              routing_key: this.routingKey,
              event_action: 'trigger',
              dedup_key: a.fingerprint,
              payload: {
                summary: (a.annotations['summary'] ?? a.labels['alertname'] ?? 'alert').slice(0, 1024),
                source: a.labels['instance'] ?? a.labels['service'] ?? a.labels['dependency'] ?? a.labels['venue'] ?? 'cryptoscalp-monitor',
                severity,
                timestamp: a.startsAt,
                component: a.labels['service'] ?? a.labels['dependency'],
                group: a.labels['venue'] ?? a.labels['service'],
                class: a.labels['alertname'],
                custom_details: { labels: a.labels, annotations: a.annotations },
              },
              links: [{ href: n.externalURL, text: 'CryptoScalp monitor' }],
            },
      );
    }
  }
}
