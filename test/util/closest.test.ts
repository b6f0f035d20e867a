import { describe, expect, it } from 'vitest';
import { closest } from '../../src/util/closest.js';

describe('closest: the name someone probably meant', () => {
  it('finds case slips, extra or missing parts, and small typos', () => {
    expect(closest('Sales', ['support', 'sales'])).toBe('sales');
    expect(closest('Sales-typo', ['support', 'sales'])).toBe('sales');
    expect(closest('suport', ['support', 'sales'])).toBe('support');
    expect(closest('defaultUsr', ['type', 'defaultUser', 'label'])).toBe('defaultUser');
    expect(closest('pasword', ['url', 'login', 'password'])).toBe('password');
    expect(closest('tiemoutMs', ['timeoutMs', 'type'])).toBe('timeoutMs');
  });

  it('suggests nothing when nothing is close', () => {
    expect(closest('billing', ['support', 'sales'])).toBeUndefined();
    expect(closest('s', ['support', 'sales'])).toBeUndefined();
    expect(closest('x', [])).toBeUndefined();
  });
});
