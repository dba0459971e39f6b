import { Module } from '@nestjs/common';

import { IngestModule } from '../ingest/ingest.module';
import { CacheHealthService } from './cache-health.service';

@Module({ imports: [IngestModule], providers: [CacheHealthService] })
export class CacheHealthModule {}
