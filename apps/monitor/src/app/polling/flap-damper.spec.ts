import { FlapDamper } from './flap-damper';

const opts = { failAfter: 3, passAfter: 2, flapChanges: 3, flapWindowMs: 10_000 };

describe('FlapDamper', () => {
  it('needs failAfter consecutive failures to fail and passAfter passes to recover', () => {
    const d = new FlapDamper(opts, 'pass', 0);
    expect(d.observe('fail', 1).state).toBe('pass');
    expect(d.observe('fail', 2).state).toBe('pass');
    expect(d.observe('pass', 3).state).toBe('pass'); // streak broken
    expect(d.observe('fail', 4).state).toBe('pass');
    expect(d.observe('fail', 5).state).toBe('pass');
    expect(d.observe('fail', 6)).toMatchObject({ state: 'fail', since: 6 });
    expect(d.observe('pass', 7).state).toBe('fail');
    expect(d.observe('pass', 8)).toMatchObject({ state: 'pass', since: 8 });
  });

  it('takes the first observation as is when there is no initial state', () => {
    expect(new FlapDamper(opts).observe('warn', 5)).toMatchObject({ state: 'warn', since: 5, flapping: false });
  });

  it('marks a target flapping after flapChanges changes in the window, until changes leave the window', () => {
    const d = new FlapDamper({ ...opts, failAfter: 1, passAfter: 1 }, 'pass', 0);
    d.observe('fail', 1000);
    d.observe('pass', 2000);
    expect(d.read(2000).flapping).toBe(false);
    expect(d.observe('fail', 3000)).toMatchObject({ flapping: true, changes: 3 });
    expect(d.read(10_999).flapping).toBe(true);
    // The first change leaves the window: fewer than flapChanges remain.
    expect(d.read(11_001)).toMatchObject({ flapping: false, state: 'fail', changes: 2 });
  });
});
