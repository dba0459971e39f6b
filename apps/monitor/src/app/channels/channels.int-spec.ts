import { SMTPServer } from 'smtp-server';

import { Receiver } from '../../testing/monitor-harness';
import { createChannel } from './channel.factory';
import type { Notification } from './channel.types';
import { DeliveryQueue } from './delivery-queue';

const notification = (status: 'firing' | 'resolved'): Notification => ({
  version: '4',
  receiver: 'ops',
  status,
  groupKey: 'ops:{"alertname":"InstanceDown"}',
  groupLabels: { alertname: 'InstanceDown' },
  commonLabels: { alertname: 'InstanceDown', service: 'cache-service', severity: 'critical' },
  commonAnnotations: {},
  externalURL: 'http://monitor.example:3000',
  alerts: [
    {
      status,
      labels: { alertname: 'InstanceDown', service: 'cache-service', instance: 'c1', severity: 'critical' },
      annotations: { summary: 'cache-service/c1 is failing' },
      startsAt: '2026-01-01T00:00:00.000Z',
      ...(status === 'resolved' ? { endsAt: '2026-01-01T00:05:00.000Z' } : {}),
      fingerprint: 'abcd1234',
      generatorURL: 'http://monitor.example:3000/#alert-abcd1234',
    },
  ],
});

const fast = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 100 };

async function deliver(channel: ReturnType<typeof createChannel>, n: Notification, opts = fast) {
  const q = new DeliveryQueue('ops', channel, opts);
  q.enqueue(n);
  await new Promise((r) => setTimeout(r, 10));
  await q.idle();
  return q.stats;
}

describe('notification channels against real local receivers', () => {
  const http = new Receiver();
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: { from: string; to: string[]; data: string }[] = [];

  beforeAll(async () => {
    await http.start();
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        let data = '';
        stream.on('data', (c: Buffer) => (data += c.toString()));
        stream.on('end', () => {
          mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), data });
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await http.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
  });

  it('generic webhook: the notification as JSON with its custom headers', async () => {
    const stats = await deliver(createChannel({ type: 'webhook', url: `${http.url}/generic?token=s3cret`, headers: { 'x-team': 'md' } }), notification('firing'));
    expect(stats).toMatchObject({ sent: 1, failed: 0, type: 'webhook', target: `${http.url}/generic/…` });
    const got = http.received.find((r) => r.path.startsWith('/generic'));
    expect(got?.headers['x-team']).toBe('md');
    expect(got?.body).toMatchObject({ version: '4', status: 'firing', alerts: [{ labels: { instance: 'c1' } }] });
  });

  it('Slack-compatible webhook: a title line and one attachment per alert', async () => {
    await deliver(createChannel({ type: 'slack', url: `${http.url}/slack`, channel: '#alerts' }), notification('resolved'));
    const got = http.received.find((r) => r.path === '/slack')?.body;
    expect(got.text).toBe('[RESOLVED:1] InstanceDown');
    expect(got.channel).toBe('#alerts');
    expect(got.attachments[0]).toMatchObject({ color: '#2eb67d', text: 'cache-service/c1 is failing' });
  });

  it('PagerDuty Events v2: trigger then resolve with the same dedup key', async () => {
    const pd = createChannel({ type: 'pagerduty', routingKey: 'R0UT1NGKEY', url: `${http.url}/v2/enqueue` });
    await deliver(pd, notification('firing'));
    await deliver(pd, notification('resolved'));
    const events = http.received.filter((r) => r.path === '/v2/enqueue').map((r) => r.body);
    expect(events[0]).toMatchObject({ routing_key: 'R0UT1NGKEY', event_action: 'trigger', dedup_key: 'abcd1234', payload: { severity: 'critical', source: 'c1', summary: 'cache-service/c1 is failing' } });
    expect(events[1]).toEqual({ routing_key: 'R0UT1NGKEY', event_action: 'resolve', dedup_key: 'abcd1234' });
  });

  it('Alertmanager: POST /api/v2/alerts with labels, annotations, startsAt and endsAt when resolved', async () => {
    await deliver(createChannel({ type: 'alertmanager', url: `${http.url}/am/`, headers: {} }), notification('resolved'));
    const got = http.received.find((r) => r.path === '/am/api/v2/alerts')?.body;
    expect(got).toEqual([
      {
        labels: { alertname: 'InstanceDown', service: 'cache-service', instance: 'c1', severity: 'critical' },
        annotations: { summary: 'cache-service/c1 is failing' },
        startsAt: '2026-01-01T00:00:00.000Z',
        endsAt: '2026-01-01T00:05:00.000Z',
        generatorURL: 'http://monitor.example:3000/#alert-abcd1234',
      },
    ]);
  });

  it('email over SMTP to a real local server', async () => {
    const stats = await deliver(createChannel({ type: 'email', host: '127.0.0.1', port: smtpPort, secure: false, requireTLS: false, from: 'monitor@cs.test', to: ['ops@cs.test'] }), notification('firing'));
    expect(stats.sent).toBe(1);
    expect(mails[0]).toMatchObject({ from: 'monitor@cs.test', to: ['ops@cs.test'] });
    expect(mails[0]?.data).toContain('Subject: [FIRING:1] InstanceDown');
    expect(mails[0]?.data).toContain('cache-service/c1 is failing');
  });

  it('retries with backoff until the receiver accepts, and makes a receiver that keeps failing visible', async () => {
    http.failWith = [500, 503];
    const ok = await deliver(createChannel({ type: 'webhook', url: `${http.url}/flaky`, headers: {} }), notification('firing'));
    expect(ok).toMatchObject({ sent: 1, retries: 2, failed: 0 });
    expect(http.received.filter((r) => r.path === '/flaky')).toHaveLength(1);

    http.failWith = [500, 500, 500, 500];
    const bad = await deliver(createChannel({ type: 'webhook', url: `${http.url}/down`, headers: {} }), notification('firing'));
    expect(bad).toMatchObject({ sent: 0, retries: 3, failed: 1, lastError: expect.stringContaining('500') });
    http.failWith = [];
  });
});
