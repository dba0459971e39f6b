export * from './lib/venues';
export * from './lib/messages';
export * from './lib/subjects';
export * from './lib/codec';
export * from './lib/nats-connection';
export * from './lib/heartbeat';
