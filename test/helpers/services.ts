/**
 * The real parts a deployment of several servers needs, run by the tests on free loopback ports with their files in
 * a temp dir: Debian's redis-server (no persistence unless asked), and nginx in front of the replicas (-p/-c, daemon
 * off, pid, logs and temp paths in the temp dir, so no root path is touched). A missing binary fails under CI=true
 * (.ci/run installs both) and is skipped loudly elsewhere (see `needBinaries`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';

/** An executable by name on PATH, or at one of `fallbacks` (nginx lives in /usr/sbin, often not on a user's PATH). */
export function findBinary(name: string, fallbacks: string[] = []): string | undefined {
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

/**
 * Whether the binaries `names` need are here. When one is missing: under CI=true a failing test says so (.ci/run
 * installs them; a CI run that lacks them is broken), elsewhere a skipped test whose name says what to install, in
 * every run's summary. Call it inside a describe; when it returns false, define no other test there.
 */
export function needBinaries(names: ('redis-server' | 'nginx')[]): boolean {
  const missing = names.filter((n) => (n === 'redis-server' ? !REDIS_SERVER : !NGINX));
  if (missing.length === 0) return true;
  const what = `${missing.join(' and ')} not found (Debian: apt-get install -y ${missing.join(' ')}; .ci/run installs ${missing.length === 1 ? 'it' : 'them'})`;
  if (process.env.CI === 'true') {
    it(`has ${missing.join(' and ')} to run the deployment tests`, () => {
      throw new Error(what);
    });
  } else {
    process.stderr.write(`\n*** SKIPPED: ${what} ***\n\n`);
    it.skip(`SKIPPED: ${what}`, () => {});
  }
  return false;
}

/** A TCP port nothing listens on right now (the OS's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on `port`, or rejects after `ms`. */
export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stops it (SIGTERM; SIGKILL with `hard`); its data is gone unless it persists. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
  log(): string;
}

/** redis-server on a free loopback port, its files in a temp dir; no persistence (a restart forgets everything). */
export async function startRedis(opts: { password?: string } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let out = '';
  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
    if (opts.password) args.push('--requirepass', opts.password);
    const c = spawn(REDIS_SERVER!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    c.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    c.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    child = c;
    await waitForPort(port);
  };
  await start();
  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
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
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    log: () => out,
  };
}

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  /** Requests nginx passed to each upstream address, from its access log (status and upstream per request). */
  accessLog(): { status: number; upstream: string; session: string }[];
  stop(): Promise<void>;
}

/**
 * nginx with `http` (the contents of the http block: maps, upstreams, a server listening on the port it is given),
 * on `port` or a free loopback one, everything of its own in a temp dir.
 */
export async function startNginx(http: (port: number) => string, port?: number): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'tmcp-nginx-'));
  mkdirSync(join(dir, 'logs'));
  mkdirSync(join(dir, 'tmp'));
  port ??= await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`).join('\n');
  // As root, nginx's workers would run as an unprivileged user that cannot write into this private temp dir.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const conf = `daemon off;
${user}master_process on;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'logs', 'error.log')} info;
events { worker_connections 1024; }
http {
  log_format upstreamlog '$status $upstream_addr $http_mcp_session_id';
  access_log ${join(dir, 'logs', 'access.log')} upstreamlog;
${temp}
${http(port)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  // -e: the error log before the config is read (the compiled-in default is a root path).
  const child = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'logs', 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const listening = port;
  const failed = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`nginx exited (${code}): ${out}${existsSync(join(dir, 'logs', 'error.log')) ? readFileSync(join(dir, 'logs', 'error.log'), 'utf8') : ''}`))),
  );
  await Promise.race([waitForPort(listening), failed]);
  return {
    port: listening,
    url: `http://127.0.0.1:${listening}`,
    dir,
    accessLog: () =>
      readFileSync(join(dir, 'logs', 'access.log'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [status, upstream, session] = l.split(' ');
          return { status: Number(status), upstream: upstream ?? '', session: session ?? '' };
        }),
    async stop() {
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited(child);
      clearTimeout(t);
    },
  };
}
