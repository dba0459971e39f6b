import { describeServiceContract } from '@cryptoscalp/testing';

describeServiceContract({ app: 'market-data-gateway', dependencies: ['nats'] });
