import { describeServiceContract } from '@cryptoscalp/testing';

describeServiceContract({ app: 'cache-service', dependencies: ['nats', 'redis'] });
