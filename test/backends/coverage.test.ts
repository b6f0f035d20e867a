/**
 * The adapter contract holds every capability: each has a case, and each is exercised against at least one backend,
 * whose capabilities are written out literally in its contract file (test/backends/<vendor>/contract.test.ts), not
 * taken from the list the backend exports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type Capability, CAPABILITIES } from '../../src/backends/backend.js';
import { contractCases } from './contract.js';

const DIR = import.meta.dirname;

/** The capability lists of a contract file: every `capabilities:` property, which must be literal arrays of strings. */
function literalLists(file: string): string[][] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const lists: string[][] = [];
  const arrays = (e: ts.Expression): ts.ArrayLiteralExpression[] => {
    if (ts.isArrayLiteralExpression(e)) return [e];
    if (ts.isConditionalExpression(e)) return [...arrays(e.whenTrue), ...arrays(e.whenFalse)];
    if (ts.isParenthesizedExpression(e)) return arrays(e.expression);
    throw new Error(`${file}: capabilities must be written out as a literal list, not ${e.getText(source)}`);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && n.name.getText(source) === 'capabilities') {
      for (const a of arrays(n.initializer)) {
        lists.push(
          a.elements.map((el) => {
            if (!ts.isStringLiteral(el)) throw new Error(`${file}: ${el.getText(source)} is not a string literal`);
            return el.text;
          }),
        );
      }
    }
    n.forEachChild(visit);
  };
  visit(source);
  return lists;
}

const files = readdirSync(DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(DIR, d.name, 'contract.test.ts'))
  .filter((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
const lists = files.flatMap(literalLists);

describe('the adapter contract', () => {
  it('reads the literal lists of every backend (one per contract file, two for XiVO)', () => {
    expect(files.map((f) => f.split('/').at(-2)).sort()).toEqual(['ipbx', 'kalliope', 'pbxpress', 'sim', 'xcally', 'xivo']);
    expect(lists).toHaveLength(7);
    for (const l of lists) for (const c of l) expect(CAPABILITIES, c).toContain(c);
  });

  it('has a case for every capability', () => {
    const covered = new Set(contractCases(CAPABILITIES).flatMap((c) => c.covers));
    expect(CAPABILITIES.filter((c) => !covered.has(c))).toEqual([]);
  });

  it('exercises every capability against at least one backend', () => {
    const exercised = new Set<Capability>();
    for (const l of lists) for (const c of contractCases(l as Capability[])) for (const cap of c.covers) exercised.add(cap);
    expect(CAPABILITIES.filter((c) => !exercised.has(c))).toEqual([]);
  });

  it('registers only the cases a backend has the capabilities for (a dry run of a small list)', () => {
    const names = contractCases(['setDnd']).map((c) => c.name);
    expect(names).toContain('setDnd: on and off');
    expect(names.some((n) => n.startsWith('placeCall'))).toBe(false);
    expect(names).toContain('an action whose connection drops after it was carried out is outcome_unknown, sent once');
    expect(contractCases(['setDnd', 'activeCalls'], 'in-memory').map((c) => c.name).some((n) => /connection/.test(n))).toBe(false);
  });
});
