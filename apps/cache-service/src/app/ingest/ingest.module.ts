import { Module } from '@nestjs/common';

import { NearCacheModule } from '../near-cache/near-cache.module';
import { IngestService } from './ingest.service';

@Module({ imports: [NearCacheModule], providers: [IngestService], exports: [IngestService] })
export class IngestModule {}
