import type { ChannelConfig } from '../alerting/rules.schema';
import { AlertmanagerChannel } from './alertmanager.channel';
import type { Channel } from './channel.types';
import { EmailChannel } from './email.channel';
import { PagerDutyChannel } from './pagerduty.channel';
import { SlackChannel } from './slack.channel';
import { WebhookChannel } from './webhook.channel';

/** The one place that knows every channel type (adding one touches this switch and its file). */
export function createChannel(config: ChannelConfig): Channel {
  switch (config.type) {
    case 'webhook':
      return new WebhookChannel(config.url, config.headers);
    case 'slack':
      return new SlackChannel(config.url, config.channel, config.username);
    case 'pagerduty':
      return new PagerDutyChannel(config.routingKey, config.url);
    case 'email':
      return new EmailChannel(config);
    case 'alertmanager':
      return new AlertmanagerChannel(config.url, config.headers);
  }
}
