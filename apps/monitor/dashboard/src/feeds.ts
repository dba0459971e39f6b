import { byId, el, setAttr, setText } from './dom';
import { ago, ms, rate } from './format';
import type { DashboardState, FeedRow } from './types';

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  text: string;
  health: string;
}

/**
 * The venue/symbol table. Rows are created once and updated cell by cell (only changed text is
 * written), rows off screen skip layout (`content-visibility`): hundreds of symbols stay cheap.
 */
export class FeedsView {
  private readonly rows = new Map<string, Row>();
  private readonly body = byId<HTMLTableSectionElement>('feeds');
  private readonly filter = byId<HTMLInputElement>('feed-filter');
  private readonly problems = byId<HTMLInputElement>('feed-problems');
  private last: DashboardState | undefined;

  constructor() {
    const rerender = () => this.last && this.applyFilter();
    this.filter.addEventListener('input', rerender);
    this.problems.addEventListener('change', rerender);
  }

  render(s: DashboardState): void {
    this.last = s;
    this.renderVenues(s);
    const seen = new Set<string>();
    let previous: HTMLTableRowElement | null = null;
    // Problems first (fail, then warn), then the server's order (venue, symbol).
    const rank = { fail: 0, warn: 1, pass: 2 };
    const ordered = s.feeds.map((f, i) => [f, i] as const).sort((a, b) => rank[a[0][4]] - rank[b[0][4]] || a[1] - b[1]);
    for (const [f] of ordered) {
      seen.add(f[0]);
      const row = this.rows.get(f[0]) ?? this.create(f);
      this.update(row, f);
      // Move a row only when it is out of place.
      const expected: ChildNode | null = previous ? previous.nextSibling : this.body.firstChild;
      if (expected !== row.tr) this.body.insertBefore(row.tr, expected);
      previous = row.tr;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.tr.remove();
        this.rows.delete(key);
      }
    }
    byId('feeds-empty').hidden = s.feeds.length > 0;
    const bad = s.feeds.filter((f) => f[4] !== 'pass').length;
    setText(byId('feed-count'), `${s.feeds.length} symbols on ${s.venues.length} venues${bad ? ` · ${bad} not healthy` : ''}`);
    this.applyFilter();
  }

  private create(f: FeedRow): Row {
    const tr = el('tr');
    tr.dataset['key'] = f[0];
    const cells = Array.from({ length: 8 }, (_, i) => el('td', i >= 3 && i <= 6 ? 'num' : ''));
    (cells[2] as HTMLTableCellElement).className = 'state';
    (cells[7] as HTMLTableCellElement).className = 'note';
    tr.append(...cells);
    const row = { tr, cells, text: `${f[1]} ${f[2]}`.toLowerCase(), health: f[4] };
    this.rows.set(f[0], row);
    return row;
  }

  private update(row: Row, f: FeedRow): void {
    const [, venue, symbol, state, health, ageMs, r, latency, seq, note] = f;
    const c = row.cells as HTMLTableCellElement[];
    row.health = health;
    setAttr(row.tr, 'data-status', health);
    setText(c[0] as HTMLElement, venue);
    setText(c[1] as HTMLElement, symbol);
    setText(c[2] as HTMLElement, state);
    setAttr(c[2] as HTMLElement, 'data-status', health);
    setText(c[3] as HTMLElement, ago(ageMs));
    setText(c[4] as HTMLElement, rate(r));
    setText(c[5] as HTMLElement, ms(latency));
    setText(c[6] as HTMLElement, seq === null ? '–' : String(seq));
    setText(c[7] as HTMLElement, note);
    (c[7] as HTMLElement).title = note;
  }

  private applyFilter(): void {
    const q = this.filter.value.trim().toLowerCase();
    const onlyBad = this.problems.checked;
    for (const row of this.rows.values()) {
      const hide = (q !== '' && !row.text.includes(q)) || (onlyBad && row.health === 'pass');
      if (row.tr.hidden !== hide) row.tr.hidden = hide;
    }
  }

  private renderVenues(s: DashboardState): void {
    const box = byId('venues');
    const sig = JSON.stringify(s.venues.map((v) => [v.venue, v.health, v.pass, v.symbols, Math.round(v.rate)]));
    if (box.dataset['sig'] === sig) return;
    box.dataset['sig'] = sig;
    box.replaceChildren(
      ...s.venues.map((v) => {
        const card = el('div', 'venue');
        card.dataset['status'] = v.health;
        card.dataset['venue'] = v.venue;
        card.append(el('div', 'vn', v.venue), el('div', 'vs', `${v.pass}/${v.symbols} healthy · ${rate(v.rate)}`));
        return card;
      }),
    );
  }
}
