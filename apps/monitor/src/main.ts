import { loadConfigOrExit } from '@cryptoscalp/config';
import { runService } from '@cryptoscalp/platform';

import { loadAlertingConfig } from './app/alerting/alerting.service';
import { AppModule } from './app/app.module';
import { MonitorConfigSchema } from './app/monitor.config';

// Aggregates the health of every instance, alerts, serves the health dashboard.
const config = loadConfigOrExit('monitor', MonitorConfigSchema, { envFiles: ['.env', 'apps/monitor/.env'] });
try {
  // The rules file is configuration too: a bad one stops the process with one line.
  loadAlertingConfig(config.MONITOR_RULES_FILE);
} catch (err) {
  process.stderr.write(`monitor: invalid configuration: ${(err as Error).message}\n`);
  process.exit(1);
}
runService(AppModule.forRoot(config));
