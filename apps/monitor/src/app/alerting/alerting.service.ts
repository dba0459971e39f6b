import { MetricsRegistry } from '@cryptoscalp/metrics';

import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown, Optional } from '@nestjs/common';

import { AggregationService } from '../aggregation/aggregation.service';
import type { HealthSnapshot } from '../aggregation/health.types';
import type { Anomaly } from '../anomaly/anomaly.types';
import { InstanceLatencyWatch } from '../anomaly/instance-latency-watch';
import { createChannel } from '../channels/channel.factory';
import type { Notification } from '../channels/channel.types';
import { DeliveryQueue, type DeliveryStats } from '../channels/delivery-queue';
import { FeedsService } from '../feeds/feeds.service';
import { MetricsScraperService } from '../metrics/metrics-scraper.service';
import type { Alert, Silence } from './alert.types';
import { AlertEngine } from './alert-engine';
import { ALERTING_OPTIONS, type AlertingOptions, SILENCE_STORE, type SilenceStore } from './alerting.constants';
import { DEFAULT_ALERTING_CONFIG } from './default-rules';
import { Notifier } from './notifier';
import { evaluateRules } from './rule-evaluator';
import { type AlertingConfig, AlertingConfigSchema } from './rules.schema';
import { type NewSilence, SilenceRegistry } from './silence-registry';

/** Reads and validates the rules file; throws one line naming the file and the first problem. */
export function loadAlertingConfig(file: string | undefined): AlertingConfig {
  let raw: unknown = DEFAULT_ALERTING_CONFIG;
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`MONITOR_RULES_FILE ${file}: ${(err as Error).message}`);
    }
  }
  const parsed = AlertingConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`MONITOR_RULES_FILE ${file ?? '(built-in rules)'}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * Evaluates the rules on every snapshot, runs the alert state machine, applies silences and
 * inhibition, and hands notifications to the receivers' delivery queues.
 */
@Injectable()
export class AlertingService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AlertingService.name);
  readonly config: AlertingConfig;
  private readonly engine: AlertEngine;
  private readonly notifier: Notifier;
  readonly silences: SilenceRegistry;
  private readonly queues = new Map<string, DeliveryQueue[]>();
  private readonly latency: InstanceLatencyWatch;
  private current: Alert[] = [];
  private instanceAnomalies: Anomaly[] = [];
  private readonly notifications;

  constructor(
    private readonly aggregation: AggregationService,
    private readonly feeds: FeedsService,
    private readonly scraper: MetricsScraperService,
    metrics: MetricsRegistry,
    @Inject(ALERTING_OPTIONS) private readonly options: AlertingOptions,
    @Optional() @Inject(SILENCE_STORE) store?: SilenceStore,
  ) {
    this.config = loadAlertingConfig(options.rulesFile);
    this.engine = new AlertEngine(this.config.inhibit, this.config.keepResolved);
    this.silences = new SilenceRegistry(store);
    this.latency = new InstanceLatencyWatch({ ...options.latency });
    this.notifications = metrics.counter('monitor_notifications_total', 'Notification deliveries by receiver, channel and outcome', ['receiver', 'channel', 'outcome']);
    const current = () => this.current;
    metrics.gauge('monitor_alerts', 'Alerts by state', ['state'], function () {
      this.reset();
      for (const a of current()) this.inc({ state: a.state });
    });
    for (const r of this.config.receivers) {
      this.queues.set(
        r.name,
        r.channels.map(
          (c) =>
            new DeliveryQueue(r.name, createChannel(c), {
              ...options.delivery,
              onOutcome: (stats, outcome, error) => {
                this.notifications.inc({ receiver: stats.receiver, channel: stats.type, outcome });
                if (outcome !== 'sent') this.logger.warn(`notification to ${stats.receiver} (${stats.type} ${stats.target}) ${outcome === 'retry' ? 'failed, retrying' : 'given up'}: ${error}`);
              },
            }),
        ),
      );
    }
    const sendResolved = new Map(this.config.receivers.map((r) => [r.name, r.sendResolved]));
    this.notifier = new Notifier(this.config.route, {
      externalUrl: options.externalUrl(),
      sendResolved: (name) => sendResolved.get(name) ?? true,
      deliver: (receiver, n) => this.deliver(receiver, n),
    });
    this.logger.log(`${this.config.rules.length} alert rules, ${this.config.receivers.length} receivers${options.rulesFile ? ` from ${options.rulesFile}` : ' (built-in)'}`);
  }

  onApplicationBootstrap(): void {
    void this.silences.load().catch((err: Error) => this.logger.warn(`silences not loaded: ${err.message}`));
    this.aggregation.onSnapshot('alerting', (s) => void this.evaluate(s));
  }

  onApplicationShutdown(): void {
    for (const list of this.queues.values()) for (const q of list) q.stop();
  }

  evaluate(snapshot: HealthSnapshot, now = snapshot.time): Alert[] {
    const feeds = this.feeds.feeds(now);
    this.instanceAnomalies = this.latency.update(snapshot.instances, now);
    const candidates = evaluateRules(this.config.rules, {
      now,
      snapshot,
      feeds,
      venues: this.feeds.venues(feeds),
      instanceAnomalies: this.instanceAnomalies,
      metrics: this.scraper.store,
    });
    this.current = this.engine.evaluate(candidates, this.silences.active(now), now);
    this.notifier.process(this.current, now);
    return this.current;
  }

  alerts(): Alert[] {
    return this.current;
  }

  anomalies(): Anomaly[] {
    return this.instanceAnomalies;
  }

  deliveries(): DeliveryStats[] {
    return [...this.queues.values()].flat().map((q) => ({ ...q.stats }));
  }

  async addSilence(input: NewSilence): Promise<Silence & { persisted: boolean }> {
    const { silence: s, persisted, problem } = await this.silences.add(input);
    this.logger.log(`${s.kind} ${s.id} by ${s.createdBy} until ${new Date(s.endsAt).toISOString()}: ${s.comment}`);
    if (!persisted) this.logger.warn(`${s.kind} ${s.id} is active but not persisted: ${problem}`);
    return { ...s, persisted };
  }

  async expireSilence(id: string): Promise<Silence | undefined> {
    return this.silences.expire(id);
  }

  private deliver(receiver: string, n: Notification): void {
    const queues = this.queues.get(receiver) ?? [];
    this.logger.log(`notify ${receiver}: ${n.status} ${n.alerts.map((a) => `${a.labels['alertname']}(${a.status})`).join(', ')}`);
    for (const q of queues) q.enqueue(n);
  }
}
