import { type SpawnedService, testNamespace, waitFor } from '@cryptoscalp/testing';

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

import { API_TOKEN, control, startFake, startMonitor } from '../../testing/monitor-harness';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const OUTPUT = join(__dirname, '..', '..', '..', 'test-output');
const VENUES = ['binance', 'coinbase', 'kraken', 'okx', 'bybit'];
const BASES = ['BTC', 'ETH', 'SOL', 'XRP', 'ADA', 'DOGE', 'AVAX', 'DOT', 'LINK', 'LTC', 'BCH', 'TRX', 'ATOM', 'NEAR', 'APT', 'ARB', 'OP', 'FIL', 'ETC', 'UNI'];

describe('dashboard in headless Chromium (production build)', () => {
  const ns = testNamespace('mondash');
  let monitor: SpawnedService;
  let browser: Browser;
  const fakes: SpawnedService[] = [];

  beforeAll(async () => {
    monitor = await startMonitor({ INSTANCE_ID: 'mon-d', NATS_SUBJECT_PREFIX: ns.subjectPrefix, POSTGRES_SCHEMA: ns.schema, MONITOR_FEED_STALE_AFTER_MS: '2000' });
    // 200 symbols on five venues from two gateways, plus a cache-service and a db-proxy.
    const symbols = VENUES.flatMap((v) => BASES.flatMap((b) => [`${v}:${b}-USDT`, `${v}:${b}-USD`]));
    fakes.push(await startFake({ prefix: ns.subjectPrefix, service: 'market-data-gateway', instance: 'gw-1', symbols: symbols.slice(0, 100) }));
    fakes.push(await startFake({ prefix: ns.subjectPrefix, service: 'market-data-gateway', instance: 'gw-2', symbols: symbols.slice(100) }));
    fakes.push(await startFake({ prefix: ns.subjectPrefix, service: 'cache-service', instance: 'cache-1' }));
    fakes.push(await startFake({ prefix: ns.subjectPrefix, service: 'cache-service', instance: 'cache-2' }));
    fakes.push(await startFake({ prefix: ns.subjectPrefix, service: 'db-proxy', instance: 'db-1' }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(fakes.map((f) => f.stop('SIGKILL')));
    await monitor?.stop();
  });

  it('loads without console errors, shows services, feeds and charts, and a killed instance as failing within seconds', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1500 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(monitor.url);
    await page.waitForSelector('.inst[data-instance="cache-1"][data-status="pass"]', { timeout: 15_000 });
    await waitFor(async () => (await page.locator('#feeds tr').count()) === 200, 15_000, 200);
    expect(await page.locator('.venue').count()).toBe(5);
    expect(await page.locator('#chart-latency .uplot').count()).toBe(1);

    // A stalled feed and a maintenance window show up too.
    await control(fakes[0] as SpawnedService, { stall: 'binance:ETH-USDT' });
    await fetch(`${monitor.url}/api/maintenance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
      body: JSON.stringify({ services: ['db-proxy'], duration: '1h', comment: 'Postgres minor upgrade', createdBy: 'ops' }),
    });
    await page.waitForSelector('#feeds tr[data-key="binance/ETH-USDT"][data-status="warn"]', { timeout: 10_000 });
    // Problems first: every row above the stalled feed is a problem too, and its venue says so.
    const order = await page.locator('#feeds tr').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-key'), r.getAttribute('data-status')]));
    const at = order.findIndex(([key]) => key === 'binance/ETH-USDT');
    expect(order.slice(0, at + 1).every(([, status]) => status !== 'pass')).toBe(true);
    await page.waitForSelector('.venue[data-venue="binance"][data-status="warn"]', { timeout: 5000 });
    const healthy = Number(/^(\d+)\/40 healthy/.exec((await page.locator('.venue[data-venue="binance"] .vs').textContent()) ?? '')?.[1]);
    expect(healthy).toBeLessThanOrEqual(39);

    const killed = fakes[2] as SpawnedService;
    const killedAt = Date.now();
    await killed.stop('SIGKILL');
    await page.waitForSelector('.inst[data-instance="cache-1"][data-status="fail"]', { timeout: 10_000 });
    const seconds = (Date.now() - killedAt) / 1000;
    expect(seconds).toBeLessThan(5);
    await page.waitForSelector('.alert[data-alertname="InstanceDown"]', { timeout: 10_000 });
    await waitFor(async () => (await page.locator('.svc[data-service="cache-service"]').getAttribute('data-status')) === 'warn', 5000);

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
  }, 90_000);
});
