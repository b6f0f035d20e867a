// The real parts of a deployment of several servers, for the benchmarks and the tests alike: Debian's redis-server
// and nginx on free loopback ports with everything of theirs in a temp dir (nginx: -p/-c/-e, daemon off, pid, logs
// and temp paths there, so no root path is touched), and the nginx configuration of README.md's deployment section
// with its addresses put on loopback, so the example users copy is the one the tests and the benchmark run.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** An executable by name on PATH, or at one of `fallbacks` (nginx lives in /usr/sbin, often not on a user's PATH). */
export function findBinary(name, fallbacks = []) {
  try {
    const found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on PATH
  }
  return fallbacks.find((f) => existsSync(f));
}

export const REDIS_SERVER = findBinary('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
export const NGINX = findBinary('nginx', ['/usr/sbin/nginx', '/usr/local/sbin/nginx']);

/** A TCP port nothing listens on right now (the OS's choice). */
export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** Resolves once something accepts connections on `port`, or rejects after `ms`. */
export async function waitForPort(port, ms = 10_000) {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((res) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => {
        c.destroy();
        res(true);
      });
      c.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const exited = (child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));

/**
 * redis-server on a free loopback port, its files in a temp dir; no persistence (a restart forgets everything).
 * `cpus`: a taskset CPU list to run it on (benchmarks).
 */
export async function startRedis({ password, cpus } = {}) {
  if (!REDIS_SERVER) throw new Error('redis-server not found (Debian: apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-redis-'));
  const port = await freePort();
  let child;
  let out = '';
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    if (password) args.push('--requirepass', password);
    const c = cpus ? spawn('taskset', ['-c', cpus, REDIS_SERVER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout.on('data', (d) => (out = (out + d).slice(-20_000)));
    c.stderr.on('data', (d) => (out = (out + d).slice(-20_000)));
    child = c;
    await waitForPort(port);
  };
  await start();
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    async stop(hard = false) {
      if (!child) return;
      const c = child;
      child = undefined;
      c.kill('SIGCONT');
      c.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited(c);
    },
    start,
    pid: () => child?.pid,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    log: () => out,
  };
}

/** nginx with `http` (the inside of its http block) on `port`, everything of its own in a temp dir. */
export async function startNginx(http, port) {
  if (!NGINX) throw new Error('nginx not found (Debian: apt-get install -y nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-nginx-'));
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'tmp'));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`).join('\n');
  // As root, nginx's workers would run as an unprivileged user that cannot write into this private temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
${user}master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} info;
events { worker_connections 4096; }
http {
  log_format upstreamlog '$status $upstream_addr $http_mcp_session_id';
  access_log ${join(dir, 'logs', 'access.log')} upstreamlog;
${temp}
${http}
}
`,
  );
  // -e: the error log before the config is read (the compiled-in default is a root path).
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  child.stderr.on('data', (d) => (out += d));
  const failed = new Promise((_, rej) =>
    child.once('exit', (code) => rej(new Error(`nginx exited (${code}): ${out}${existsSync(join(dir, 'logs', 'error.log')) ? readFileSync(join(dir, 'logs', 'error.log'), 'utf8') : ''}`))),
  );
  failed.catch(() => {});
  await Promise.race([waitForPort(port), failed]);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    async stop() {
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited(child);
      clearTimeout(t);
    },
  };
}

/** README.md's addresses of the replicas, in order (r1, r2, r3), and the port nginx listens on there. */
const README_REPLICAS = ['10.0.0.11:3000', '10.0.0.12:3000', '10.0.0.13:3000'];
const README_LISTEN = 'listen 8080;';

/**
 * The nginx configuration of README.md's deployment section (the ```nginx block) for replicas on loopback `ports`
 * (r1, r2, r3 in order) and nginx on `listen`. With fewer than three, the others leave the round-robin pool and
 * their addresses elsewhere (their own pools, backups) become the first replica's. Throws when the README no longer
 * has the block this expects.
 */
export function readmeNginx(ports, listen) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /```nginx\n([\s\S]*?)```/.exec(readme);
  if (!m || !m[1].includes(README_LISTEN) || !m[1].includes('upstream mcp_all') || !README_REPLICAS.every((a) => m[1].includes(a))) {
    throw new Error(`README.md has no nginx block with "${README_LISTEN}", upstream mcp_all and the replicas ${README_REPLICAS.join(', ')}`);
  }
  let inAll = false;
  const lines = m[1].split('\n').filter((l) => {
    if (/upstream mcp_all\b/.test(l)) inAll = true;
    else if (inAll && l.includes('}')) inAll = false;
    return !(inAll && README_REPLICAS.findIndex((a) => l.includes(a)) >= ports.length);
  });
  let conf = lines.join('\n').replace(README_LISTEN, `listen 127.0.0.1:${listen};`);
  README_REPLICAS.forEach((a, i) => (conf = conf.replaceAll(a, `127.0.0.1:${ports[i] ?? ports[0]}`)));
  return conf;
}
