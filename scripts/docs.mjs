#!/usr/bin/env node
// npm run docs: regenerate the README's capability table from the code (run after npm run build).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { capabilityTable, withTable } from '../dist/docs.js';

const path = fileURLToPath(new URL('../README.md', import.meta.url));
writeFileSync(path, withTable(readFileSync(path, 'utf8'), await capabilityTable()));
process.stderr.write('README.md: capability table regenerated\n');
