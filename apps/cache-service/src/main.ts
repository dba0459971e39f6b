import { loadConfigOrExit } from '@cryptoscalp/config';
import { runService } from '@cryptoscalp/platform';

import { AppModule } from './app/app.module';
import { CacheConfigSchema } from './app/cache-service.config';

// Keeps the latest market state hot in Redis and serves it.
const config = loadConfigOrExit('cache-service', CacheConfigSchema, { envFiles: ['.env', 'apps/cache-service/.env'] });
runService(AppModule.forRoot(config));
