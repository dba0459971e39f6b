// TypeORM loads its Postgres driver by name; importing it here puts `pg` in the image's package.json.
import 'pg';

import { loadConfigOrExit } from '@cryptoscalp/config';
import { runService } from '@cryptoscalp/platform';

import { AppModule } from './app/app.module';
import { DbProxyConfigSchema } from './app/db-proxy.config';

// Stores trades durably in Postgres and serves history queries.
const config = loadConfigOrExit('db-proxy', DbProxyConfigSchema, { envFiles: ['.env', 'apps/db-proxy/.env'] });
runService(AppModule.forRoot(config));
