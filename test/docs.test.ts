import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { capabilityTable, TABLE_END, TABLE_START } from '../src/docs.js';
import { REPO } from './helpers/mcp.js';

it("the README's capability table is the one the code generates (npm run docs updates it)", async () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END) + TABLE_END.length);
  expect(section).toBe(await capabilityTable());
});
