import { describeServiceContract } from '@cryptoscalp/testing';

describeServiceContract({ app: 'db-proxy', dependencies: ['nats', 'postgres'] });
