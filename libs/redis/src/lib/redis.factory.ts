import { Backoff } from '@cryptoscalp/circuit-breaker';
import { redactUrl } from '@cryptoscalp/config';

import { Logger } from '@nestjs/common';
import Redis from 'ioredis';

import type { RedisConfig } from './redis.types';

/**
 * ioredis client that reconnects forever with capped backoff and fails commands fast while
 * disconnected (no offline queue), so health checks and callers see an outage at once.
 */
export function createRedisClient(config: RedisConfig, name: string): Redis {
  const logger = new Logger('Redis');
  const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 3000 });
  const client = new Redis(config.REDIS_URL, {
    password: config.REDIS_PASSWORD,
    keyPrefix: config.REDIS_KEY_PREFIX,
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: () => backoff.next(),
  });
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    // Reconnect errors repeat every attempt; log at most every 10 s.
    if (Date.now() - lastLogged > 10_000) {
      lastLogged = Date.now();
      logger.warn(`Redis ${redactUrl(config.REDIS_URL)}: ${err.message}`);
    }
  });
  client.on('ready', () => {
    backoff.reset();
    logger.log('Redis ready');
  });
  return client;
}
