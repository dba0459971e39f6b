import { createTransport, type Transporter } from 'nodemailer';

import type { ChannelConfig } from '../alerting/rules.schema';
import type { Channel, Notification } from './channel.types';
import { title } from './slack.channel';

type EmailConfig = Extract<ChannelConfig, { type: 'email' }>;

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

/** Email over SMTP (nodemailer): one message per group notification, text and HTML. */
export class EmailChannel implements Channel {
  readonly type = 'email';
  readonly target: string;
  private readonly transport: Transporter;

  constructor(private readonly config: EmailConfig) {
    this.target = `smtp://${config.host}:${config.port} → ${[config.to].flat().join(', ')}`;
    this.transport = createTransport({
      host: config.host,
      port: config.port,
      secure: config.secure,
      requireTLS: config.requireTLS,
      ...(config.user ? { auth: { user: config.user, pass: config.pass ?? '' } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(n: Notification): Promise<void> {
    const lines = n.alerts.map(
      (a) =>
        `${a.status.toUpperCase()} ${a.labels['alertname'] ?? ''}: ${a.annotations['summary'] ?? ''}\n  ${Object.entries(a.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}\n  since ${a.startsAt}${a.endsAt ? `, resolved ${a.endsAt}` : ''}`,
    );
    const rows = n.alerts
      .map(
        (a) =>
          `<tr><td style="color:${a.status === 'firing' ? '#c62828' : '#2e7d32'};font-weight:600">${a.status}</td><td>${escape(a.labels['alertname'] ?? '')}</td><td>${escape(a.annotations['summary'] ?? '')}</td><td>${escape(a.startsAt)}</td></tr>`,
      )
      .join('');
    await this.transport.sendMail({
      from: this.config.from,
      to: this.config.to,
      subject: title(n),
      text: `${lines.join('\n\n')}\n\n${n.externalURL}\n`,
      html: `<table cellpadding="6" style="border-collapse:collapse;font-family:sans-serif">${rows}</table><p><a href="${escape(n.externalURL)}">CryptoScalp monitor</a></p>`,
    });
  }

  close(): void {
    this.transport.close();
  }
}
