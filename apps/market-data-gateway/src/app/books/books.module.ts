import { Module } from '@nestjs/common';

import { FeedsModule } from '../feeds/feeds.module';
import { BooksController } from './books.controller';

@Module({ imports: [FeedsModule], controllers: [BooksController] })
export class BooksModule {}
