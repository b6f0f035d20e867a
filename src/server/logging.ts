/**
 * MCP logging from the app's log hub. A 2025 session gets its own records (its tool calls) from the level it sets
 * (logging/setLevel); a 2026 request gets its own records, and only when it names a level in its _meta. No client
 * gets process-wide records (a PBX going down, a request refused before authentication): they are the operator's
 * business, in the server log, and would let any client make the server write to every other (issue 13).
 */
import { LOG_LEVEL_META_KEY, type LoggingLevel, type ServerContext } from '@modelcontextprotocol/server';
import { type App, SERVER_NAME } from '../app.js';
import type { Level, LogRecord } from '../log.js';
import { maskSecrets } from '../safety/redact.js';
import { sanitizeDeep } from '../safety/sanitize.js';
import { envelopeOf, type Instance, sessionOf } from './instance.js';

const MCP_LEVEL: Record<Level, LoggingLevel> = { debug: 'debug', info: 'info', warn: 'warning', error: 'error' };
const SEVERITY: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
/** Fields a client may see in a log notification; everything else (errors, causes) stays in the server log. */
const SHARED_FIELDS = ['tool', 'pbx', 'kind', 'code', 'uri', 'part'];

const wanted = (floor: LoggingLevel): Level =>
  floor === 'debug' ? 'debug' : floor === 'info' || floor === 'notice' ? 'info' : floor === 'warning' ? 'warn' : 'error';

/** A log record as a client may see it: a few named fields, cleaned and redacted. */
function logData(r: LogRecord): Record<string, unknown> {
  // Every value is a string: each is masked as it is (its raw form is among a secret's masked forms), no JSON round trip.
  const data: Record<string, unknown> = { message: maskSecrets(r.msg) };
  for (const k of SHARED_FIELDS) {
    const v = r.fields[k];
    if (typeof v === 'string') data[k] = maskSecrets(v);
  }
  return sanitizeDeep(data) as Record<string, unknown>;
}

/**
 * MCP logging of a 2025 session: its log records as notifications/message, from `info` up unless the client sets
 * another level. Another session's records, and process-wide ones, are never sent.
 */
export function registerLogging(app: App, inst: Instance): void {
  const { server } = inst;
  let floor: LoggingLevel = 'info';
  let session: string | undefined;
  server.setRequestHandler('logging/setLevel', (req, ctx) => {
    floor = req.params.level;
    session ??= sessionOf(inst, ctx);
    return {};
  });
  const remove = app.logs.addSink(
    (r: LogRecord) => {
      const level = MCP_LEVEL[r.level];
      if (SEVERITY.indexOf(level) < SEVERITY.indexOf(floor)) return;
      if (r.fields.session !== (server.transport?.sessionId ?? session ?? inst.sessionKey)) return;
      // Nothing before the client's initialize: a client reads its first line as the answer to it.
      if (!server.transport || !server.getClientVersion()) return;
      void server.sendLoggingMessage({ level, logger: SERVER_NAME, data: logData(r) }).catch(() => {});
    },
    () => wanted(floor),
  );
  const prior = server.onclose;
  server.onclose = () => {
    remove();
    prior?.();
  };
}

/**
 * MCP logging of a 2026 request: the client names a level in the request's _meta (no level, no messages), and
 * gets the log records of this call on the request's own stream while the call runs.
 */
export function forwardLogs(app: App, ctx: ServerContext, callId: string): () => void {
  const floor = envelopeOf(ctx)[LOG_LEVEL_META_KEY] as LoggingLevel | undefined;
  if (floor === undefined || !SEVERITY.includes(floor)) return () => {};
  return app.logs.addSink(
    (r: LogRecord) => {
      const level = MCP_LEVEL[r.level];
      if (r.fields.session !== callId || SEVERITY.indexOf(level) < SEVERITY.indexOf(floor)) return;
      void ctx.mcpReq.notify({ method: 'notifications/message', params: { level, logger: SERVER_NAME, data: logData(r) } }).catch(() => {});
    },
    () => wanted(floor),
  );
}
