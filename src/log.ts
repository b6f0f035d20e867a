/**
 * Logging to stderr only (stdout belongs to the stdio transport), every line passed through the redactor.
 * Sinks can be added (the MCP logging notifications of a session hook in here).
 */
import { redact } from './safety/redact.js';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];
export type Fields = Record<string, unknown>;

export interface LogRecord {
  level: Level;
  msg: string;
  fields: Fields;
  time: string;
}

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

type Sink = (r: LogRecord) => void;
interface SinkEntry {
  sink: Sink;
  /** The least level this sink wants now (it may change: a client sets its logging level). */
  wants: () => Level;
}

const rank = (l: Level) => LEVELS.indexOf(l);

// Values are quoted with JSON.stringify, as in the JSON format: the redactor masks secrets in that escaped form
// too (see escapedForms in safety/redact.ts), since whole lines are redacted after formatting.
function formatValue(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.stack ?? v.message);
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

export class LogHub {
  level: Level;
  format: 'text' | 'json';
  private readonly sinks = new Set<SinkEntry>();
  private readonly write: (line: string) => void;

  constructor(opts: { level?: Level; format?: 'text' | 'json'; write?: (line: string) => void } = {}) {
    this.level = opts.level ?? 'info';
    this.format = opts.format ?? 'text';
    this.write = opts.write ?? ((line) => process.stderr.write(line));
  }

  addSink(sink: Sink, wants: () => Level = () => 'debug'): () => void {
    const entry = { sink, wants };
    this.sinks.add(entry);
    return () => this.sinks.delete(entry);
  }

  /** Whether anyone (stderr or a sink) wants records of this level: callers skip building fields otherwise. */
  wants(level: Level): boolean {
    const r = rank(level);
    if (r >= rank(this.level)) return true;
    for (const e of this.sinks) if (r >= rank(e.wants())) return true;
    return false;
  }

  emit(level: Level, msg: string, fields: Fields): void {
    const r = rank(level);
    const write = r >= rank(this.level);
    let forSinks: SinkEntry[] | undefined;
    for (const e of this.sinks) if (r >= rank(e.wants())) (forSinks ??= []).push(e);
    // The common case on a busy server: a debug line nobody wants costs nothing more.
    if (!write && !forSinks) return;
    const record: LogRecord = { level, msg: redact(msg), fields, time: new Date().toISOString() };
    if (write) {
      let line: string;
      if (this.format === 'json') {
        line = JSON.stringify({ time: record.time, level, msg: record.msg, ...fields }, (_k, v: unknown) =>
          v instanceof Error ? (v.stack ?? v.message) : v,
        );
      } else {
        const extra = Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${formatValue(v)}`)
          .join(' ');
        line = `${record.time} ${level.toUpperCase().padEnd(5)} ${record.msg}${extra ? ` ${extra}` : ''}`;
      }
      this.write(`${redact(line)}\n`);
    }
    for (const e of forSinks ?? []) {
      try {
        e.sink(record);
      } catch {
        // a broken sink (a closed session) must never break logging
      }
    }
  }

  logger(base: Fields = {}): Logger {
    const make = (bound: Fields): Logger => ({
      debug: (m, f) => {
        if (this.wants('debug')) this.emit('debug', m, { ...bound, ...f });
      },
      info: (m, f) => this.emit('info', m, { ...bound, ...f }),
      warn: (m, f) => this.emit('warn', m, { ...bound, ...f }),
      error: (m, f) => this.emit('error', m, { ...bound, ...f }),
      child: (f) => make({ ...bound, ...f }),
    });
    return make(base);
  }
}

/** A logger that drops everything (tests that do not care). */
export const silentLogger: Logger = new LogHub({ level: 'error', write: () => {} }).logger();
