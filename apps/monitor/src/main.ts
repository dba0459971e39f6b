import { loadConfigOrExit } from '@cryptoscalp/config';
import { runService } from '@cryptoscalp/platform';

import { AppModule } from './app/app.module';
import { MonitorConfigSchema } from './app/monitor.config';

// Aggregates the health of every instance, alerts, serves the health dashboard.
const config = loadConfigOrExit('monitor', MonitorConfigSchema, { envFiles: ['.env', 'apps/monitor/.env'] });
runService(AppModule.forRoot(config));
