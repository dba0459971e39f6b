import { createServer } from 'node:net';

import { freePort, testNamespace, waitFor } from './namespace';
import { parsePrometheusText } from './prometheus-text';

describe('test helpers', () => {
  it('namespaces are unique and valid as subject prefix, key prefix and SQL schema', () => {
    const a = testNamespace('cache');
    const b = testNamespace('cache');
    expect(a.id).not.toBe(b.id);
    expect(a.subjectPrefix).toMatch(/^[a-z0-9]+\.$/);
    expect(a.keyPrefix).toBe(`${a.id}:`);
    expect(a.schema).toMatch(/^[a-z_][a-z0-9_]{0,62}$/);
  });

  it('freePort returns a port that can be bound', async () => {
    const port = await freePort();
    await new Promise<void>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
    });
  });

  it('waitFor resolves with the first truthy value and times out with the last error', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), 1000, 5)).resolves.toBe(3);
    await expect(
      waitFor(
        () => {
          throw new Error('still down');
        },
        50,
        10,
      ),
    ).rejects.toThrow('waitFor timed out after 50 ms: still down');
  });

  it('parses Prometheus text and rejects garbage', () => {
    expect(parsePrometheusText('# HELP x_total X\n# TYPE x_total counter\nx_total{a="b"} 2\n')[0]).toMatchObject({
      name: 'x_total',
      type: 'COUNTER',
    });
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="b" 1\n')).toThrow();
  });
});
