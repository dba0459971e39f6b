import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';

import type { Silence } from '../alerting/alert.types';
import type { SilenceStore } from '../alerting/alerting.constants';
import { HistoryService } from './history.service';
import { SilenceEntity } from './silence.entity';

/** Silences in Postgres (waits for the history schema; writes fail loudly when Postgres is down). */
@Injectable()
export class PostgresSilenceStore implements SilenceStore {
  constructor(
    @InjectRepository(SilenceEntity) private readonly repo: Repository<SilenceEntity>,
    private readonly history: HistoryService,
  ) {}

  async load(): Promise<Silence[]> {
    await this.waitReady();
    const rows = await this.repo.find();
    return rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      matchers: r.matchers,
      startsAt: r.startsAt.getTime(),
      endsAt: r.endsAt.getTime(),
      createdBy: r.createdBy,
      comment: r.comment,
      createdAt: r.createdAt.getTime(),
    }));
  }

  async save(s: Silence): Promise<void> {
    if (!this.history.available) throw new Error('Postgres is not available: the silence would not survive a restart');
    await this.repo.save({
      id: s.id,
      kind: s.kind,
      matchers: s.matchers,
      startsAt: new Date(s.startsAt),
      endsAt: new Date(s.endsAt),
      createdBy: s.createdBy,
      comment: s.comment,
      createdAt: new Date(s.createdAt),
    });
  }

  async delete(id: string): Promise<void> {
    await this.repo.delete({ id });
  }

  private async waitReady(): Promise<void> {
    while (!this.history.available) await new Promise((r) => setTimeout(r, 250));
  }
}
