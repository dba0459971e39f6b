import type { Channel, Notification } from './channel.types';
import { describeUrl, postJson } from './http-post';

/** Generic JSON webhook: the notification as is (Alertmanager webhook format). */
export class WebhookChannel implements Channel {
  readonly type = 'webhook';
  readonly target: string;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.target = describeUrl(url);
  }

  send(n: Notification): Promise<void> {
    return postJson(this.url, n, this.headers);
  }
}
