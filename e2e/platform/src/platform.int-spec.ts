import { getJson, waitFor } from '@cryptoscalp/testing';

import { canonicalDecimal, canonicalLevels } from './decimal';
import { MARKETS, type Platform, setRate, simJson, startPlatform } from './platform-harness';

/**
 * The cross-service checks of issues 9, 10 and 11 with the whole platform running from its
 * production builds: exchange simulator → gateway → NATS/JetStream → cache-service (Redis) and
 * db-proxy (Postgres) → monitor. The simulator is the oracle: its books (`/api/book`) and its ground
 * truth of trades sent (`/api/ground-truth`).
 */
const BOOK_DEPTH = 20; // cache-service's CACHE_BOOK_DEPTH default (every gateway book is deeper)

describe('platform end to end (simulator → gateway → cache-service, db-proxy → monitor)', () => {
  let p: Platform;

  const gatewaySymbols = async () => {
    const r = await getJson(`${p.gateway.url}/v1/feeds`);
    return (r.body.venues as any[]).flatMap((v) => (v.symbols as any[]).map((s) => ({ venue: v.venue as string, ...s })));
  };
  /** Every trade id db-proxy stores for a market, page by page. */
  const storedTradeIds = async (venue: string, symbol: string) => {
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const q = `from=0&limit=5000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const r = await getJson(`${p.db.url}/v1/trades/${venue}/${symbol}?${q}`);
      if (r.status !== 200) throw new Error(`${venue}/${symbol} trades: HTTP ${r.status} ${JSON.stringify(r.body)}`);
      ids.push(...r.body.items.map((t: any) => Number(t.id)));
      cursor = r.body.next;
    } while (cursor);
    return ids;
  };
  const instanceStatus = async (service: string) => {
    const r = await getJson(`${p.monitor.url}/api/instances`);
    return (r.body.instances as any[]).find((i) => i.service === service)?.status as string | undefined;
  };
  /** Waits until the monitor has evaluated `n` more times (its chart points: one per evaluation). */
  const evaluationsPass = async (n: number) => {
    const points = async () => ((await getJson(`${p.monitor.url}/api/series`)).body.points as unknown[]).length;
    const start = await points();
    await waitFor(async () => (await points()) >= start + n, 20_000, 100);
  };
  const explain = (what: string) => (err: Error) => {
    throw new Error(`${what}: ${err.message}\n${p.logs()}`);
  };

  beforeAll(async () => {
    p = await startPlatform({ rate: 20, seed: 7 });
    // Every book of every venue live in the gateway, and trades flowing on every market.
    await waitFor(async () => {
      const symbols = await gatewaySymbols();
      return symbols.length === MARKETS.length && symbols.every((s) => s.state === 'live');
    }, 60_000).catch(explain('gateway books not all live'));
    await waitFor(async () => {
      const gt = await simJson(p.sim, '/api/ground-truth');
      return MARKETS.every(({ venue, symbol }) => gt.venues[venue][symbol].tradesSent >= 3);
    }, 30_000).catch(explain('trades not flowing on every market'));
  }, 180_000);

  afterAll(async () => {
    await p?.stop();
  }, 60_000);

  it('issue 11: the monitor lists every instance as pass and every venue/symbol fresh', async () => {
    const services = ['market-data-gateway', 'cache-service', 'db-proxy', 'monitor']; // the simulator sends no heartbeats
    const instances = await waitFor(async () => {
      const r = await getJson(`${p.monitor.url}/api/instances`);
      const list = r.body.instances as any[];
      return services.every((s) => list.some((i) => i.service === s && i.status === 'pass')) ? list : undefined;
    }, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify((await getJson(`${p.monitor.url}/api/instances`)).body, null, 1)}`);
    });
    expect(instances.map((i) => `${i.service} ${i.status}`).sort()).toEqual(services.map((s) => `${s} pass`).sort());

    const feeds = await waitFor(async () => {
      const r = await getJson(`${p.monitor.url}/api/feeds`);
      const list = r.body.feeds as any[];
      // Fresh: polled from the gateway (age and rate known), passing, data within the last 5 s, flowing.
      const fresh = (f: any) => f.health === 'pass' && f.ageMs !== null && f.ageMs < 5000 && f.rate > 0;
      return list.length === MARKETS.length && list.every(fresh) ? list : undefined;
    }, 30_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify((await getJson(`${p.monitor.url}/api/feeds`)).body, null, 1)}`);
    });
    expect(feeds.map((f) => `${f.venue}/${f.symbol}`).sort()).toEqual(MARKETS.map((m) => `${m.venue}/${m.symbol}`).sort());
    for (const f of feeds) {
      expect(['live', 'connected']).toContain(f.state); // the gateway's /v1/feeds state or the last md.status
      expect(f.ageMs).toBeLessThan(5000);
      expect(f.rate).toBeGreaterThan(0);
    }
    const health = await getJson(`${p.monitor.url}/api/health`);
    expect(health.body.status).toBe('pass');
  }, 90_000);

  describe('after the simulator is paused', () => {
    beforeAll(async () => {
      await setRate(p.sim, 0);
    });

    it('issue 9: the cache book (top 20) and L1 of every venue and symbol equal the simulator', async () => {
      const mismatches = async () => {
        const out: string[] = [];
        for (const { venue, symbol } of MARKETS) {
          const [sim, book, l1] = await Promise.all([
            simJson(p.sim, `/api/book/${venue}/${symbol}?depth=${BOOK_DEPTH}`),
            getJson(`${p.cache.url}/v1/book/${venue}/${symbol}?depth=${BOOK_DEPTH}`),
            getJson(`${p.cache.url}/v1/l1/${venue}/${symbol}`),
          ]);
          const want = { bids: canonicalLevels(sim.bids), asks: canonicalLevels(sim.asks) };
          if (book.status !== 200) out.push(`${venue}/${symbol} book: HTTP ${book.status} ${JSON.stringify(book.body)}`);
          else {
            const got = { bids: canonicalLevels(book.body.bids), asks: canonicalLevels(book.body.asks) };
            if (JSON.stringify(got) !== JSON.stringify(want))
              out.push(`${venue}/${symbol} book: cache ${JSON.stringify(got)} ≠ simulator ${JSON.stringify(want)}`);
          }
          const top = { bidPx: want.bids[0]?.[0], bidSz: want.bids[0]?.[1], askPx: want.asks[0]?.[0], askSz: want.asks[0]?.[1] };
          if (l1.status !== 200) out.push(`${venue}/${symbol} l1: HTTP ${l1.status} ${JSON.stringify(l1.body)}`);
          else {
            const b = l1.body;
            const got = {
              bidPx: canonicalDecimal(b.bidPx),
              bidSz: canonicalDecimal(b.bidSz),
              askPx: canonicalDecimal(b.askPx),
              askSz: canonicalDecimal(b.askSz),
            };
            if (JSON.stringify(got) !== JSON.stringify(top))
              out.push(`${venue}/${symbol} l1: cache ${JSON.stringify(got)} ≠ simulator top ${JSON.stringify(top)}`);
          }
        }
        return out;
      };
      let last: string[] = [];
      await waitFor(async () => {
        last = await mismatches();
        return last.length === 0;
      }, 20_000).catch(() => {
        throw new Error(`cache ≠ simulator after the pause:\n${last.join('\n')}`);
      });
      expect(last).toEqual([]);
    }, 60_000);

    it('issue 10: db-proxy stores every trade the simulator sent, once (lag 0)', async () => {
      const gt = await simJson(p.sim, '/api/ground-truth');
      // Nothing is lost on a healthy connection: the distinct trade ids stored for a market are
      // exactly as many as the ground truth says went out (`tradesSent`: live trades, Kraken's trade
      // snapshot and Coinbase's last_match included), each one a trade the market made, the last
      // one among them.
      const sent = new Map(
        MARKETS.map(({ venue, symbol }) => {
          const t = gt.venues[venue][symbol];
          return [`${venue}/${symbol}`, { first: t.firstTradeId as number, last: t.lastTradeId as number, tradesSent: t.tradesSent as number }];
        }),
      );
      // Caught up: the consumer's lag is 0 and every market holds at least what was sent.
      await waitFor(async () => {
        const stats = (await getJson(`${p.db.url}/v1/stats`)).body;
        const count = (key: string) => Number(stats.items.find((i: any) => `${i.venue}/${i.symbol}` === key)?.count ?? 0);
        return stats.lag === 0 && [...sent].every(([key, s]) => count(key) >= s.tradesSent);
      }, 30_000).catch(async (err: Error) => {
        throw new Error(
          `db-proxy not caught up: ${err.message}\nstats ${JSON.stringify((await getJson(`${p.db.url}/v1/stats`)).body)}\nsent ${JSON.stringify([...sent])}`,
        );
      });

      const problems: string[] = [];
      for (const { venue, symbol } of MARKETS) {
        const s = sent.get(`${venue}/${symbol}`) as { first: number; last: number; tradesSent: number };
        const ids = await storedTradeIds(venue, symbol);
        const distinct = [...new Set(ids)].sort((a, b) => a - b);
        if (distinct.length !== ids.length) problems.push(`${venue}/${symbol}: ${ids.length - distinct.length} duplicate rows`);
        if (distinct.length !== s.tradesSent) problems.push(`${venue}/${symbol}: stored ${distinct.length} distinct trades, sent ${s.tradesSent}`);
        if (distinct[distinct.length - 1] !== s.last) problems.push(`${venue}/${symbol}: last stored ${distinct[distinct.length - 1]}, last made ${s.last}`);
        if (distinct.some((id) => id < s.first || id > s.last)) problems.push(`${venue}/${symbol}: ids outside ${s.first}..${s.last}`);
      }
      const stats = (await getJson(`${p.db.url}/v1/stats`)).body;
      expect(stats.lag).toBe(0);
      expect(problems).toEqual([]);
    }, 60_000);
  });

  describe('when the gateway is killed', () => {
    beforeAll(async () => {
      await setRate(p.sim, 20);
    });

    it('issue 11: the monitor shows the gateway fail within a few seconds and sends one alert', async () => {
      // A quiet start: feeds fresh again after the pause, nothing firing or pending.
      await waitFor(async () => {
        const [feeds, alerts] = await Promise.all([getJson(`${p.monitor.url}/api/feeds`), getJson(`${p.monitor.url}/api/alerts`)]);
        const active = (alerts.body.alerts as any[]).filter((a) => a.state !== 'resolved');
        return feeds.body.feeds.every((f: any) => f.health === 'pass') && active.length === 0;
      }, 30_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${JSON.stringify((await getJson(`${p.monitor.url}/api/alerts`)).body.alerts)}`);
      });

      const killedAt = Date.now();
      p.gateway.child.kill('SIGKILL');
      await waitFor(async () => (await instanceStatus('market-data-gateway')) === 'fail', 10_000, 50);
      const detectedMs = Date.now() - killedAt;
      expect(detectedMs).toBeLessThan(5000);

      // Its feeds go stale and its venues down; those alerts fire but are inhibited (caused by the dead gateway).
      await waitFor(async () => {
        const alerts = (await getJson(`${p.monitor.url}/api/alerts?state=firing`)).body.alerts as any[];
        const of = (name: string) => alerts.filter((a) => a.labels.alertname === name);
        return (
          of('FeedStale').length === MARKETS.length &&
          of('VenueDown').length === 5 &&
          alerts.every((a) => a.labels.alertname === 'ServiceDown' || a.inhibitedBy?.length)
        );
      }, 30_000).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${JSON.stringify((await getJson(`${p.monitor.url}/api/alerts`)).body.alerts, null, 1)}`);
      });
      await evaluationsPass(8); // ≥ 2 s more, beyond the route's group interval: nothing else is sent
      const notified = p.hook.alerts(killedAt).filter((a) => a.status === 'firing');
      expect(notified.map((a) => `${a.labels['alertname']} ${a.labels['service']}`)).toEqual(['ServiceDown market-data-gateway']);
    }, 90_000);
  });
});
