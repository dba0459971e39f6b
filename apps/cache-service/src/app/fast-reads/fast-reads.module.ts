import { Module } from '@nestjs/common';

import { KvModule } from '../kv/kv.module';
import { QueriesModule } from '../queries/queries.module';
import { FastReadsService } from './fast-reads.service';

@Module({
  imports: [QueriesModule, KvModule],
  providers: [FastReadsService],
})
export class FastReadsModule {}
