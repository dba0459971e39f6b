import uPlot from 'uplot';

import type { SeriesPoint } from './types';

const PALETTE = ['#5b8cff', '#2fbf71', '#f2b233', '#ef4f4f', '#b36bff', '#36c5d6', '#ff8a5b', '#a3be8c'];
const MAX_POINTS = 3600;

/** One uPlot line chart per figure (latency per service, throughput per venue); rebuilt when the set of lines changes. */
export class LiveChart {
  private chart: uPlot | undefined;
  private names: string[] = [];
  private readonly times: number[] = [];
  private readonly values = new Map<string, (number | null)[]>();

  constructor(
    private readonly container: HTMLElement,
    private readonly pick: (p: SeriesPoint) => Record<string, number>,
    private readonly unit: string,
  ) {
    new ResizeObserver(() => this.chart?.setSize(this.size())).observe(container);
  }

  load(points: SeriesPoint[]): void {
    for (const p of points) this.push(p, false);
    this.draw();
  }

  push(p: SeriesPoint, draw = true): void {
    const row = this.pick(p);
    const index = this.times.length;
    this.times.push(p.t / 1000);
    for (const name of Object.keys(row)) {
      if (!this.values.has(name)) this.values.set(name, new Array<number | null>(index).fill(null));
    }
    for (const [name, list] of this.values) list.push(row[name] ?? null);
    if (this.times.length > MAX_POINTS) {
      this.times.shift();
      for (const list of this.values.values()) list.shift();
    }
    if (draw) this.draw();
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(300, this.container.clientWidth), height: 200 };
  }

  private draw(): void {
    const names = [...this.values.keys()].sort();
    const data = [this.times, ...names.map((n) => this.values.get(n) as (number | null)[])] as uPlot.AlignedData;
    if (!this.chart || names.join() !== this.names.join()) {
      this.chart?.destroy();
      this.names = names;
      const axis = { stroke: '#8d99b3', grid: { stroke: '#222c42', width: 1 }, ticks: { stroke: '#222c42' } };
      this.chart = new uPlot(
        {
          ...this.size(),
          series: [
            {},
            ...names.map((n, i) => ({
              label: n,
              stroke: PALETTE[i % PALETTE.length],
              width: 1.6,
              spanGaps: false,
              value: (_u: uPlot, v: number | null) => (v === null ? '–' : `${v} ${this.unit}`),
            })),
          ],
          axes: [axis, { ...axis, size: 56 }],
          legend: { live: true },
          cursor: { drag: { x: false, y: false } },
        },
        data,
        this.container,
      );
      return;
    }
    this.chart.setData(data);
  }
}
