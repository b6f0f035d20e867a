#!/usr/bin/env node
// npm run bench: every benchmark, side by side with its floor in the same run, written to bench/RESULTS.md.
// Machines are noisy: compare ratios, not absolute times.
import { cpus } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { latency } from './latency.mjs';
import { throughput } from './throughput.mjs';
import { coldstart, coldstartModern } from './coldstart.mjs';
import { memory } from './memory.mjs';
import { vendors } from './vendors.mjs';
import { soak } from './soak.mjs';
import { dnc } from './dnc.mjs';
import { redisOverhead, replicaThroughput } from './replicas.mjs';
import { NGINX, REDIS_SERVER } from './deployment.mjs';

const only = process.argv.slice(2);
const want = (name) => only.length === 0 || only.includes(name);
const sections = [];
const run = async (name, fn) => {
  if (!want(name)) return;
  process.stderr.write(`bench: ${name}...\n`);
  const r = await fn();
  for (const t of Array.isArray(r) ? r : [r]) sections.push(t);
};
await run('latency', () => latency());
await run('latency', () => latency({ era: 'modern' }));
await run('vendors', () => vendors());
await run('throughput', () => throughput());
await run('throughput', () => throughput({ era: 'modern' }));
await run('coldstart', () => coldstart());
await run('coldstart', () => coldstartModern());
await run('memory', () => memory());
await run('soak', () => soak());
await run('dnc', () => dnc());
if (REDIS_SERVER && NGINX) {
  await run('replicas', () => redisOverhead());
  await run('replicas', () => replicaThroughput());
} else if (want('replicas')) {
  process.stderr.write('bench: replicas SKIPPED: it needs redis-server and nginx (Debian: apt-get install -y redis-server nginx)\n');
}

const table = (t) =>
  [`### ${t.title}`, '', `| ${t.header.join(' | ')} |`, `|${t.header.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.join(' | ')} |`), ...(t.note ? ['', t.note] : []), ''].join('\n');
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const md = [
  '# Benchmark results',
  '',
  `Command: \`npm run bench\` (or \`node bench/run.mjs [latency|vendors|throughput|coldstart|memory|soak|dnc|replicas]\` after \`npm run build\`).`,
  `Run: ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} x ${cpu}.`,
  'Each measurement runs its floor in the same run; rounds alternate where noise could favour one side. Compare the',
  'ratios: absolute times move with the machine.',
  '',
  ...sections.map(table),
  // The before/after record of what the numbers led to is kept by hand next to this script.
  ...(only.length === 0 ? [readFileSync(new URL('CHANGES.md', import.meta.url), 'utf8')] : []),
].join('\n');
const out = fileURLToPath(new URL('RESULTS.md', import.meta.url));
if (only.length === 0) writeFileSync(out, md);
process.stdout.write(`${md}\n`);
