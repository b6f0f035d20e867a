import { describe, expect, it } from 'vitest';
import { Breaker, CircuitOpenError } from '../../src/backends/breaker.js';

class Away extends Error {}
class Refused extends Error {}

function breaker(threshold = 2, openMs = 1000) {
  let t = 0;
  const events: string[] = [];
  const b = new Breaker({
    threshold,
    openMs,
    counts: (e) => e instanceof Away,
    onBreak: () => events.push('break'),
    onReset: () => events.push('reset'),
    now: () => t,
  });
  return { b, events, advance: (ms: number) => (t += ms) };
}

const away = () => Promise.reject(new Away());
const refused = () => Promise.reject(new Refused());
const ok = () => Promise.resolve('ok');

describe('Breaker', () => {
  it('opens after the threshold of consecutive counted failures, and fails fast without running the request', async () => {
    const { b, events } = breaker(2);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    expect(events).toEqual(['break']);
    let ran = false;
    await expect(b.execute(async () => ((ran = true), 'x'))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(ran).toBe(false);
  });

  it('a success resets the count; a failure that does not count neither counts nor resets', async () => {
    const { b, events } = breaker(2);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    await b.execute(ok);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    await expect(b.execute(refused)).rejects.toBeInstanceOf(Refused);
    expect(events).toEqual([]);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    expect(events).toEqual(['break']);
  });

  it('after the break one trial runs while others wait for it; its success closes the circuit', async () => {
    const { b, events, advance } = breaker(1, 1000);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    advance(999);
    await expect(b.execute(ok)).rejects.toBeInstanceOf(CircuitOpenError);
    advance(1);
    let release!: () => void;
    const order: string[] = [];
    const trial = b.execute(() => new Promise<string>((r) => (release = () => (order.push('trial'), r('t')))));
    const waiter = b.execute(async () => (order.push('waiter'), 'w'));
    await Promise.resolve();
    expect(order).toEqual([]);
    release();
    expect(await trial).toBe('t');
    expect(await waiter).toBe('w');
    expect(order).toEqual(['trial', 'waiter']);
    expect(events).toEqual(['break', 'reset']);
  });

  it('a failed trial opens the circuit again, and the waiters fail fast', async () => {
    const { b, events, advance } = breaker(1, 1000);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    advance(1000);
    const trial = b.execute(away);
    const waiter = b.execute(ok);
    await expect(trial).rejects.toBeInstanceOf(Away);
    await expect(waiter).rejects.toBeInstanceOf(CircuitOpenError);
    expect(events).toEqual(['break', 'break']);
  });

  it('a trial answered with a refusal closes the circuit (the PBX answered)', async () => {
    const { b, events, advance } = breaker(1, 1000);
    await expect(b.execute(away)).rejects.toBeInstanceOf(Away);
    advance(1000);
    await expect(b.execute(refused)).rejects.toBeInstanceOf(Refused);
    expect(await b.execute(ok)).toBe('ok');
    expect(events).toEqual(['break', 'reset']);
  });
});
