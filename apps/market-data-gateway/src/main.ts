import { loadConfigOrExit } from '@cryptoscalp/config';
import { runService } from '@cryptoscalp/platform';

import { AppModule } from './app/app.module';
import { GatewayConfigSchema } from './app/market-data-gateway.config';

// Connects to exchange WebSockets, keeps order books in sync, publishes normalized market data on NATS.
const config = loadConfigOrExit('market-data-gateway', GatewayConfigSchema, { envFiles: ['.env', 'apps/market-data-gateway/.env'] });
runService(AppModule.forRoot(config));
