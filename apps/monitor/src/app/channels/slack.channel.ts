import type { Channel, Notification } from './channel.types';
import { describeUrl, postJson } from './http-post';

const COLORS = { firing: '#d93f3f', resolved: '#2eb67d' };

/** The title line every chat message starts with: `[FIRING:2] InstanceDown cache-service`. */
export function title(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const count = n.status === 'firing' ? firing : n.alerts.length;
  return `[${n.status.toUpperCase()}:${count}] ${Object.values(n.groupLabels).join(' ')}`;
}

/** Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): text plus one attachment per alert. */
export class SlackChannel implements Channel {
  readonly type = 'slack';
  readonly target: string;

  constructor(
    private readonly url: string,
    private readonly channel?: string,
    private readonly username?: string,
  ) {
    this.target = describeUrl(url);
  }

  send(n: Notification): Promise<void> {
    return postJson(this.url, {
      ...(this.channel ? { channel: this.channel } : {}),
      ...(this.username ? { username: this.username } : {}),
      text: title(n),
      attachments: n.alerts.map((a) => ({
        color: COLORS[a.status],
        title: `${a.status === 'firing' ? '🔴' : '✅'} ${a.labels['alertname'] ?? 'alert'}`,
        text: a.annotations['summary'] ?? a.annotations['description'] ?? '',
        fields: Object.entries(a.labels)
          .filter(([k]) => k !== 'alertname')
          .map(([k, v]) => ({ title: k, value: v, short: true })),
        footer: n.externalURL,
        ts: Math.floor(Date.parse(a.endsAt ?? a.startsAt) / 1000),
      })),
    });
  }
}
