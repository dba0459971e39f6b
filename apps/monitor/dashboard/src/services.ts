import { byId, el, setAttr, setText } from './dom';
import { bucketClass, ms, pct } from './format';
import type { DashboardState, InstanceView, UptimeReport } from './types';

const WINDOWS = ['24h', '7d', '30d'] as const;

interface Card {
  root: HTMLElement;
  status: HTMLElement;
  counts: HTMLElement;
  maint: HTMLElement;
  output: HTMLElement;
  instances: HTMLElement;
  bars: HTMLElement;
  pcts: HTMLElement;
}

/** Service cards with their instances and uptime bars, updated in place. */
export class ServicesView {
  private readonly cards = new Map<string, Card>();
  private readonly container = byId('services');
  private uptime = new Map<string, Partial<Record<(typeof WINDOWS)[number], UptimeReport>>>();

  setUptime(window: (typeof WINDOWS)[number], reports: UptimeReport[]): void {
    for (const r of reports) {
      const entry = this.uptime.get(r.service) ?? {};
      entry[window] = r;
      this.uptime.set(r.service, entry);
    }
  }

  render(s: DashboardState): void {
    const maintenance = s.silences.filter((x) => x.kind === 'maintenance' && x.startsAt <= s.time && s.time < x.endsAt);
    const inMaintenance = (svc: string) => maintenance.some((m) => m.matchers.some((mt) => mt.name === 'service' && new RegExp(`^(?:${mt.value})$`).test(svc)));
    const seen = new Set<string>();
    // Failing services first, then by name: what is wrong reads first.
    const order = { fail: 0, warn: 1, pass: 2 };
    const services = [...s.services].sort((a, b) => order[a.status] - order[b.status] || a.name.localeCompare(b.name));
    services.forEach((svc, index) => {
      seen.add(svc.name);
      let card = this.cards.get(svc.name);
      if (!card) {
        card = this.createCard(svc.name);
        this.cards.set(svc.name, card);
      }
      if (this.container.children[index] !== card.root) this.container.insertBefore(card.root, this.container.children[index] ?? null);
      setAttr(card.root, 'data-status', svc.status);
      setText(card.status, svc.flapping ? `${svc.status} · flapping` : svc.status);
      setText(card.counts, `${svc.instances.pass + svc.instances.warn}/${svc.instances.total} serving`);
      card.maint.hidden = !inMaintenance(svc.name);
      setText(card.output, svc.output ?? '');
      this.renderInstances(card.instances, s.instances.filter((i) => i.service === svc.name));
      this.renderUptime(card, svc.name);
    });
    for (const [name, card] of this.cards) {
      if (!seen.has(name)) {
        card.root.remove();
        this.cards.delete(name);
      }
    }
    if (!services.length && !this.container.querySelector('.empty')) this.container.append(el('div', 'empty', 'No instance heard from yet.'));
    if (services.length) this.container.querySelector('.empty')?.remove();
  }

  private createCard(name: string): Card {
    const root = el('div', 'svc');
    root.dataset['service'] = name;
    const head = el('div', 'svc-head');
    const status = el('span', 'svc-status');
    const counts = el('span', 'svc-counts');
    const maint = el('span', 'svc-maint', 'maintenance');
    head.append(el('span', 'svc-name', name), status, counts, maint);
    const output = el('div', 'svc-output');
    const instances = el('div', 'instances');
    const uptime = el('div', 'uptime');
    const bars = el('div', 'bars');
    bars.title = 'uptime per hour, last 24 h';
    const pcts = el('div', 'pct');
    uptime.append(bars, pcts);
    root.append(head, output, instances, uptime);
    return { root, status, counts, maint, output, instances, bars, pcts };
  }

  private renderInstances(box: HTMLElement, instances: InstanceView[]): void {
    const existing = new Map<string, HTMLElement>();
    for (const c of Array.from(box.children) as HTMLElement[]) existing.set(c.dataset['key'] ?? '', c);
    for (const i of instances) {
      let chip = existing.get(i.key);
      if (!chip) {
        chip = el('span', 'inst');
        chip.dataset['key'] = i.key;
        chip.dataset['instance'] = i.instance;
        chip.append(el('span', 'name', i.instance), el('span', 'flap'), el('span', 'ms'));
        box.append(chip);
      }
      existing.delete(i.key);
      setAttr(chip, 'data-status', i.stopping ? 'warn' : i.status);
      setText(chip.children[1] as HTMLElement, i.stopping ? 'stopping' : i.flapping ? 'flapping' : '');
      setText(chip.children[2] as HTMLElement, i.reachable === false ? 'down' : ms(i.responseMs));
      chip.title = `${i.key} ${i.version}\n${i.output ?? i.status}`;
    }
    for (const c of existing.values()) c.remove();
  }

  private renderUptime(card: Card, service: string): void {
    const u = this.uptime.get(service);
    const day = u?.['24h'];
    const buckets = day?.buckets ?? [];
    if (card.bars.children.length !== buckets.length) {
      card.bars.replaceChildren(...buckets.map(() => el('span', 'bar')));
    }
    buckets.forEach((b, i) => {
      const bar = card.bars.children[i] as HTMLElement;
      const cls = bucketClass(b.uptime);
      if (bar.className !== cls) bar.className = cls;
      bar.title = `${b.start.slice(0, 16).replace('T', ' ')} UTC · ${b.checks ? pct(b.uptime) : 'no data'}`;
    });
    const text = WINDOWS.map((w) => `${w} ${pct(u?.[w]?.uptime ?? null)}`).join('  ·  ');
    setText(card.pcts, u ? text : 'history unavailable');
  }
}
