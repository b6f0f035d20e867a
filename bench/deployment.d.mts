// Types of bench/deployment.mjs for the tests that use it.
export declare const REDIS_SERVER: string | undefined;
export declare const NGINX: string | undefined;
export declare function findBinary(name: string, fallbacks?: string[]): string | undefined;
export declare function freePort(): Promise<number>;
export declare function waitForPort(port: number, ms?: number): Promise<void>;

export interface RedisServer {
  port: number;
  url: string;
  /** Stops it (SIGTERM; SIGKILL with `hard`); its data is gone. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port (after stop). */
  start(): Promise<void>;
  /** Its process id while it runs. */
  pid(): number | undefined;
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
  log(): string;
}
export declare function startRedis(opts?: { password?: string; cpus?: string }): Promise<RedisServer>;

export interface Nginx {
  port: number;
  url: string;
  dir: string;
  stop(): Promise<void>;
}
export declare function startNginx(http: string, port: number): Promise<Nginx>;
export declare function readmeNginx(ports: readonly number[], listen: number): string;
