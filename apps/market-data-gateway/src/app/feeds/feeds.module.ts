import { Module } from '@nestjs/common';

import { PublishingModule } from '../publishing/publishing.module';
import { FeedManager } from './feed-manager.service';
import { FeedsController } from './feeds.controller';

@Module({ imports: [PublishingModule], providers: [FeedManager], controllers: [FeedsController], exports: [FeedManager] })
export class FeedsModule {}
