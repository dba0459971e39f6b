import type { IncomingMessage, ServerResponse } from 'node:http';

import { installProcessHandlers } from './bootstrap';
import { httpLogLevel, httpLogLevelFor } from './http-logging';
import { platformConfigSchema } from './platform.types';
import { advertisedUrl, ServiceAddress } from './service-address';

describe('advertised URL', () => {
  it('defaults to the hostname and the bound port, never loopback', () => {
    expect(advertisedUrl({}, 43121, 'cache-7f9c')).toBe('http://cache-7f9c:43121');
    const address = new ServiceAddress({ HTTP_PORT: 3002 });
    address.setBoundPort(40001);
    expect(address.url).toMatch(/^http:\/\/[^/]+:40001$/);
    expect(address.url).not.toContain('127.0.0.1');
  });

  it('PUBLIC_URL overrides it (without a trailing slash)', () => {
    expect(advertisedUrl({ PUBLIC_URL: 'https://gw-1.prod.example/' }, 43121, 'h')).toBe('https://gw-1.prod.example');
  });
});

describe('HTTP access log level', () => {
  const req = (url: string) => ({ url }) as IncomingMessage;
  const res = (statusCode: number) => ({ statusCode }) as ServerResponse;

  it('health and metrics probes below info, the API at info, failures at warn/error', () => {
    expect(httpLogLevel(req('/health/readiness'), res(200))).toBe('debug');
    expect(httpLogLevel(req('/health/readiness'), res(503))).toBe('debug');
    expect(httpLogLevel(req('/metrics'), res(200))).toBe('debug');
    expect(httpLogLevel(req('/healthy-looking/api'), res(200))).toBe('info');
    expect(httpLogLevel(req('/api/instances'), res(200))).toBe('info');
    expect(httpLogLevel(req('/api/instances'), res(404))).toBe('warn');
    expect(httpLogLevel(req('/api/instances'), res(500))).toBe('error');
    expect(httpLogLevel(req('/health/status'), res(500), new Error('boom'))).toBe('error');
  });

  it('a service\'s hot read routes at debug when they succeed; their failures, writes and other routes unchanged', () => {
    const level = httpLogLevelFor(['/v1/l1/', '/v1/kv/']);
    const at = (method: string, url: string) => ({ method, url }) as IncomingMessage;
    expect(level(at('GET', '/v1/l1/binance/BTC-USDT'), res(200))).toBe('debug');
    expect(level(at('GET', '/v1/kv/sessions/a?x=1'), res(200))).toBe('debug');
    expect(level(at('GET', '/v1/l1/binance/BTC-USDT'), res(404))).toBe('warn');
    expect(level(at('GET', '/v1/l1/binance/BTC-USDT'), res(503))).toBe('error');
    expect(level(at('PUT', '/v1/kv/sessions/a'), res(200))).toBe('info');
    expect(level(at('GET', '/v1/trades/binance/BTC-USDT'), res(200))).toBe('info');
    expect(level(at('GET', '/health/readiness'), res(200))).toBe('debug');
    expect(httpLogLevelFor([])).toBe(httpLogLevel);
  });
});

describe('platform config', () => {
  it('CORS_ORIGINS is empty by default and parsed from a comma-separated list', () => {
    expect(platformConfigSchema.parse({}).CORS_ORIGINS).toEqual([]);
    expect(platformConfigSchema.parse({ CORS_ORIGINS: ' https://a.example,https://b.example ,' }).CORS_ORIGINS).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });
});

describe('process handlers', () => {
  it('log an unhandled rejection with its stack and context, and keep the process running', async () => {
    const lines: string[] = [];
    const fatal = jest.fn();
    const remove = installProcessHandlers({ error: (m) => lines.push(m) }, fatal, 'SpecModule');
    try {
      const p = Promise.reject(new Error('deserializer exploded'));
      p.catch(() => undefined); // keep Jest itself calm; the event below is what Node would emit
      process.emit('unhandledRejection', new Error('deserializer exploded'), p);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/unhandled promise rejection in SpecModule \(process keeps running\): Error: deserializer exploded\n\s+at /);
      expect(fatal).not.toHaveBeenCalled();

      (process.emit as (event: string, ...args: unknown[]) => boolean)('uncaughtException', new Error('sync bug'), 'uncaughtException');
      expect(lines[1]).toMatch(/uncaught exception \(uncaughtException\) in SpecModule, shutting down: Error: sync bug/);
      expect(fatal).toHaveBeenCalledTimes(1);
    } finally {
      remove();
    }
  });
});
