// TypeORM loads its Postgres driver by name; importing it here puts `pg` in the image's package.json.
import 'pg';

import { loadConfigOrExit } from '@cryptoscalp/config';
import { runService } from '@cryptoscalp/platform';

import { AppModule } from './app/app.module';
import { DbProxyConfigSchema } from './app/db-proxy.config';
import { migrateCommand } from './app/schema/migrate.command';

// Stores trades durably in Postgres and serves history queries.
// `node main.js migrate` (`nx run db-proxy:migrate`) runs the pending migrations on the primary and exits.
const config = loadConfigOrExit('db-proxy', DbProxyConfigSchema, { envFiles: ['.env', 'apps/db-proxy/.env'] });
if (process.argv[2] === 'migrate') void migrateCommand(config).then((code) => process.exit(code));
else runService(AppModule.forRoot(config));
