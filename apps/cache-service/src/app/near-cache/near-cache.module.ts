import { Module } from '@nestjs/common';

import { NearCacheService } from './near-cache.service';

@Module({ providers: [NearCacheService], exports: [NearCacheService] })
export class NearCacheModule {}
