import { Module } from '@nestjs/common';

import { MarketPublisherService } from './market-publisher.service';

@Module({ providers: [MarketPublisherService], exports: [MarketPublisherService] })
export class PublishingModule {}
