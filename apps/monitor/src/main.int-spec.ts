import { describeServiceContract } from '@cryptoscalp/testing';

describeServiceContract({ app: 'monitor', dependencies: ['nats', 'postgres'] });
