import { Module } from '@nestjs/common';

import { SchemaModule } from '../schema/schema.module';
import { IngestService } from './ingest.service';

/** JetStream `MD_TRADES` → Postgres, batched, idempotent, acknowledged after commit. */
@Module({ imports: [SchemaModule], providers: [IngestService], exports: [IngestService] })
export class IngestModule {}
