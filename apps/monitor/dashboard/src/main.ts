import { renderAlerts } from './alerts';
import { LiveChart } from './charts';
import { byId, setAttr, setText } from './dom';
import { FeedsView } from './feeds';
import { ServicesView } from './services';
import type { DashboardState, SeriesPoint, UptimeReport } from './types';

const services = new ServicesView();
const feeds = new FeedsView();
const latency = new LiveChart(byId('chart-latency'), (p) => p.latency, 'ms');
const throughput = new LiveChart(byId('chart-throughput'), (p) => p.throughput, 'msg/s');
let latest: DashboardState | undefined;
let scheduled = false;

function renderCauses(s: DashboardState): void {
  const box = byId('causes');
  const causes = s.rootCauses;
  box.hidden = causes.length === 0;
  const sig = JSON.stringify(causes);
  if (box.dataset['sig'] === sig) return;
  box.dataset['sig'] = sig;
  const primary = causes.filter((c) => c.primary);
  const rest = causes.filter((c) => !c.primary);
  const title = document.createElement('div');
  title.className = 'title';
  title.textContent = primary.length === 1 ? 'Likely root cause' : 'Likely root causes';
  const lines = primary.map((c) => {
    const d = document.createElement('div');
    d.className = 'cause';
    d.dataset['dependency'] = c.dependency;
    const b = document.createElement('b');
    b.textContent = c.dependency;
    d.append(b, ` — ${c.summary}`);
    return d;
  });
  const consequences = rest.map((c) => {
    const d = document.createElement('div');
    d.className = 'consequence';
    d.textContent = `also failing, explained by the above: ${c.summary}`;
    return d;
  });
  box.replaceChildren(title, ...lines, ...consequences);
}

function render(): void {
  scheduled = false;
  const s = latest;
  if (!s) return;
  const overall = byId('overall');
  setAttr(overall, 'data-status', s.status);
  setText(overall, s.status);
  setText(byId('overall-output'), s.output ?? 'all systems operating normally');
  renderCauses(s);
  services.render(s);
  renderAlerts(s);
  feeds.render(s);
}

function connect(): void {
  const conn = byId('conn');
  const source = new EventSource('api/stream');
  source.addEventListener('state', (e) => {
    latest = JSON.parse((e as MessageEvent<string>).data) as DashboardState;
    latency.push(latest.point);
    throughput.push(latest.point);
    setAttr(conn, 'data-state', 'live');
    setText(conn, `live · ${new Date(latest.time).toISOString().slice(11, 19)} UTC`);
    // At most one DOM pass per frame, however fast updates arrive.
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  });
  source.addEventListener('error', () => {
    setAttr(conn, 'data-state', 'down');
    setText(conn, 'reconnecting…');
  });
}

async function loadSeries(): Promise<void> {
  const res = await fetch('api/series');
  if (!res.ok) return;
  const { points } = (await res.json()) as { points: SeriesPoint[] };
  latency.load(points);
  throughput.load(points);
}

async function loadUptime(): Promise<void> {
  for (const window of ['24h', '7d', '30d'] as const) {
    const res = await fetch(`api/uptime?window=${window}`);
    if (!res.ok) continue; // history unavailable (Postgres down): the cards say so
    const body = (await res.json()) as { services: UptimeReport[] };
    services.setUptime(window, body.services);
  }
  if (!scheduled && latest) render();
}

void loadSeries().finally(connect);
void loadUptime();
setInterval(() => void loadUptime(), 60_000);
