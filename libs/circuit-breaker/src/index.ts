export * from './lib/resilience-policy';
export * from './lib/resilience-registry';
export { BrokenCircuitError, BulkheadRejectedError, IsolatedCircuitError, TaskCancelledError } from 'cockatiel';
export * from './lib/backoff';
export * from './lib/health-status';
