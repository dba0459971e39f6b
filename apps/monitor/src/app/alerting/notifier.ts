import type { Notification, NotifiedAlert } from '../channels/channel.types';
import type { Alert } from './alert.types';
import type { RouteConfig } from './rules.schema';

interface ResolvedRoute {
  receiver: string;
  groupBy: string[];
  groupWait: number;
  groupInterval: number;
  repeatInterval: number;
}

interface Group {
  key: string;
  route: ResolvedRoute;
  labels: Record<string, string>;
  /** Fingerprint → the alert as last notified firing. */
  notified: Map<string, Alert>;
  flushAt?: number;
  lastSentAt?: number;
}

export interface NotifierOptions {
  externalUrl: string;
  /** Receivers that want resolve notifications. */
  sendResolved: (receiver: string) => boolean;
  deliver: (receiver: string, n: Notification) => void;
}

function matchRoute(route: RouteConfig, labels: Record<string, string>): ResolvedRoute[] {
  const base = { groupBy: route.groupBy, groupWait: route.groupWait, groupInterval: route.groupInterval, repeatInterval: route.repeatInterval };
  const out: ResolvedRoute[] = [];
  for (const child of route.routes) {
    const ok =
      Object.entries(child.match).every(([k, v]) => labels[k] === v) &&
      Object.entries(child.matchRe).every(([k, v]) => new RegExp(`^(?:${v})$`).test(labels[k] ?? ''));
    if (!ok) continue;
    out.push({
      receiver: child.receiver,
      groupBy: child.groupBy ?? base.groupBy,
      groupWait: child.groupWait ?? base.groupWait,
      groupInterval: child.groupInterval ?? base.groupInterval,
      repeatInterval: child.repeatInterval ?? base.repeatInterval,
    });
    if (!child.continue) return out;
  }
  return out.length ? out : [{ receiver: route.receiver, ...base }];
}

/**
 * Turns alert states into notifications, Alertmanager style: alerts are routed to receivers and
 * grouped by labels; a group's first notification waits `groupWait` (alerts arriving together go
 * out together), later changes wait `groupInterval`, an unchanged firing group is re-sent every
 * `repeatInterval`. An alert is notified once while it fires (dedup) and once when it resolves.
 * Silenced and inhibited alerts are not notified.
 */
export class Notifier {
  private readonly groups = new Map<string, Group>();

  constructor(
    private route: RouteConfig,
    private readonly options: NotifierOptions,
  ) {}

  configure(route: RouteConfig): void {
    this.route = route;
  }

  process(alerts: Alert[], now = Date.now()): void {
    const touched = new Set<string>();
    const members = new Map<string, Alert[]>();
    for (const a of alerts) {
      for (const r of matchRoute(this.route, a.labels)) {
        const labels: Record<string, string> = {};
        for (const l of r.groupBy) if (a.labels[l] !== undefined) labels[l] = a.labels[l] as string;
        const key = `${r.receiver}:${JSON.stringify(labels)}`;
        if (!this.groups.has(key)) this.groups.set(key, { key, route: r, labels, notified: new Map() });
        const list = members.get(key) ?? [];
        list.push(a);
        members.set(key, list);
        touched.add(key);
      }
    }
    for (const g of this.groups.values()) this.step(g, members.get(g.key) ?? [], now);
    for (const [key, g] of this.groups) if (!touched.has(key) && g.notified.size === 0 && g.flushAt === undefined) this.groups.delete(key);
  }

  private step(g: Group, alerts: Alert[], now: number): void {
    const byFp = new Map(alerts.map((a) => [a.fingerprint, a]));
    const notifiable = alerts.filter((a) => a.state === 'firing' && a.silencedBy.length === 0 && a.inhibitedBy.length === 0);
    const resolved: Alert[] = [];
    for (const [fp, prev] of g.notified) {
      const cur = byFp.get(fp);
      if (cur && cur.state === 'firing') {
        // Still firing but now silenced or inhibited: stop notifying it, without a resolve.
        if (cur.silencedBy.length || cur.inhibitedBy.length) g.notified.delete(fp);
        continue;
      }
      resolved.push(cur ?? { ...prev, state: 'resolved', resolvedAt: now });
    }
    const fresh = notifiable.filter((a) => !g.notified.has(a.fingerprint));
    if ((fresh.length || resolved.length) && g.flushAt === undefined) {
      g.flushAt = g.lastSentAt === undefined ? now + g.route.groupWait : Math.max(now, g.lastSentAt + g.route.groupInterval);
    }
    if (g.flushAt !== undefined && now >= g.flushAt) {
      g.flushAt = undefined;
      const stillFresh = fresh.length > 0;
      const sendResolved = resolved.length > 0 && this.options.sendResolved(g.route.receiver);
      for (const r of resolved) g.notified.delete(r.fingerprint);
      if (stillFresh || sendResolved) this.send(g, notifiable, sendResolved ? resolved : [], now);
      for (const a of notifiable) g.notified.set(a.fingerprint, a);
      return;
    }
    if (g.flushAt === undefined && notifiable.length && g.lastSentAt !== undefined && now - g.lastSentAt >= g.route.repeatInterval) {
      this.send(g, notifiable, [], now);
    }
  }

  private send(g: Group, firing: Alert[], resolved: Alert[], now: number): void {
    g.lastSentAt = now;
    const all = [...firing, ...resolved];
    if (!all.length) return;
    const common = (pick: (a: Alert) => Record<string, string>) => {
      const first = pick(all[0] as Alert);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(first)) if (all.every((a) => pick(a)[k] === v)) out[k] = v;
      return out;
    };
    const toDto = (a: Alert, status: 'firing' | 'resolved'): NotifiedAlert => ({
      status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.firingAt ?? a.activeAt).toISOString(),
      ...(status === 'resolved' ? { endsAt: new Date(a.resolvedAt ?? now).toISOString() } : {}),
      fingerprint: a.fingerprint,
      generatorURL: `${this.options.externalUrl}/#alert-${a.fingerprint}`,
    });
    this.options.deliver(g.route.receiver, {
      version: '4',
      receiver: g.route.receiver,
      status: firing.length ? 'firing' : 'resolved',
      groupKey: g.key,
      groupLabels: g.labels,
      commonLabels: common((a) => a.labels),
      commonAnnotations: common((a) => a.annotations),
      externalURL: this.options.externalUrl,
      alerts: [...firing.map((a) => toDto(a, 'firing')), ...resolved.map((a) => toDto(a, 'resolved'))],
    });
  }
}
