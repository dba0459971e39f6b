import { byId, el, setText } from './dom';
import { since, until } from './format';
import type { DashboardState } from './types';

const STATUS = { firing: 'fail', pending: 'warn', resolved: 'pass' } as const;

/** Active alerts (firing, pending, recently resolved), silences and maintenance windows, delivery trouble. */
export function renderAlerts(s: DashboardState): void {
  const box = byId('alerts');
  const active = s.alerts.filter((a) => a.state !== 'resolved' || (a.resolvedAt ?? 0) > s.time - 600_000);
  const firing = s.alerts.filter((a) => a.state === 'firing' && !a.silencedBy.length && !a.inhibitedBy.length).length;
  setText(byId('alert-count'), firing ? String(firing) : '');
  const signature = JSON.stringify(active.map((a) => [a.fingerprint, a.state, a.silencedBy.length, a.inhibitedBy.length, a.annotations['summary']]));
  if (box.dataset['sig'] !== signature) {
    box.dataset['sig'] = signature;
    box.replaceChildren(
      ...(active.length
        ? active.map((a) => {
            const muted = a.silencedBy.length > 0 || a.inhibitedBy.length > 0;
            const item = el('div', `alert${muted ? ' muted' : ''}`);
            item.id = `alert-${a.fingerprint}`;
            item.dataset['status'] = STATUS[a.state];
            item.dataset['alertname'] = a.labels['alertname'] ?? '';
            const head = el('div');
            head.append(el('span', 'name', a.labels['alertname'] ?? a.rule), el('span', 'state', a.state));
            if (a.silencedBy.length) head.append(el('span', 'badge', 'silenced'));
            if (a.inhibitedBy.length) head.append(el('span', 'badge', 'inhibited'));
            const subject = ['service', 'instance', 'dependency', 'venue', 'symbol']
              .map((k) => a.labels[k])
              .filter(Boolean)
              .join(' · ');
            item.append(head, el('div', 'summary', `${subject}${subject ? ' — ' : ''}${a.annotations['summary'] ?? ''}`));
            item.append(el('div', 'summary', a.state === 'resolved' ? `resolved ${since(s.time - (a.resolvedAt ?? s.time))}` : `${a.state} ${since(s.time - (a.firingAt ?? a.activeAt))}`));
            return item;
          })
        : [el('div', 'empty', 'No active alert.')]),
    );
  }
  const sil = byId('silences');
  const current = s.silences.filter((x) => x.endsAt > s.time);
  sil.replaceChildren(
    ...(current.length
      ? current.map((x) => {
          const matchers = x.matchers.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}${m.value}`).join(', ');
          return el('div', 'silence', `${x.kind === 'maintenance' ? 'Maintenance' : 'Silence'}: ${matchers} — ${x.comment} (${x.startsAt > s.time ? 'starts later' : until(x.endsAt, s.time)}, by ${x.createdBy})`);
        })
      : [el('div', 'empty', 'None.')]),
  );
  const bad = s.deliveries.filter((d) => d.failed > 0 || d.pending > 0 || (d.lastErrorAt ?? 0) > s.time - 600_000);
  const del = byId('deliveries');
  del.replaceChildren(
    ...s.deliveries.map((d) => {
      const line = el('div', bad.includes(d) ? 'bad' : '', `${d.receiver} · ${d.type} ${d.target}: ${d.sent} sent`);
      if (d.retries) line.textContent += `, ${d.retries} retries`;
      if (d.failed) line.textContent += `, ${d.failed} failed`;
      if (d.lastError && bad.includes(d)) line.textContent += ` — ${d.lastError}`;
      return line;
    }),
  );
}
