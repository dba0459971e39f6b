import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Inject, NotFoundException, Param, Res, Sse } from '@nestjs/common';
import type { Response } from 'express';
import { map, merge, type Observable, of } from 'rxjs';

import { DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard.constants';
import { DashboardStateService, type SeriesPoint } from './dashboard-state.service';

const TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'uPlot.min.css': 'text/css; charset=utf-8',
};

/** The dashboard page, its assets (bundled by the build, uPlot included: no CDN) and the live stream. */
@Controller()
export class DashboardController {
  private readonly files = new Map<string, Buffer>();

  constructor(
    private readonly state: DashboardStateService,
    @Inject(DASHBOARD_OPTIONS) private readonly options: DashboardOptions,
  ) {}

  @Get()
  index(@Res() res: Response): void {
    this.send(res, 'index.html');
  }

  @Get('dashboard/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    this.send(res, file);
  }

  /** Server-sent events: a `state` event after every evaluation (the first one at once). */
  @Sse('api/stream')
  stream(): Observable<{ type: string; data: unknown }> {
    return merge(of(this.state.current()), this.state.updates).pipe(map((data) => ({ type: 'state', data })));
  }

  /** Recent chart points (the page loads them once, then appends streamed ones). */
  @Get('api/series')
  series(): { points: SeriesPoint[] } {
    return { points: this.state.points() };
  }

  private send(res: Response, file: string): void {
    const type = TYPES[file];
    if (!type) throw new NotFoundException();
    let body = this.files.get(file);
    if (!body) {
      const sub = file.startsWith('uPlot') ? join('vendor', file) : file;
      try {
        body = readFileSync(join(this.options.assetsDir, sub));
      } catch {
        throw new NotFoundException(`${file} is missing from the build (${this.options.assetsDir})`);
      }
      this.files.set(file, body);
    }
    res.status(200).setHeader('Cache-Control', file === 'index.html' ? 'no-cache' : 'public, max-age=300');
    res.type(type).send(body);
  }
}
