/**
 * The XUC simulator's web-service endpoints: dial (number, user, from and to a queue), DND, forwards and
 * history, with the documented bodies, statuses and error codes.
 */
import { EngineError } from '../engine/engine.js';
import type { SimResponse } from '../kit.js';
import { formatWallClock } from '../../util/time.js';
import { body, fail, forbidden, isObj, json, knownUser, need, SUCCESS, userNotFound, type Route, type XucSimState } from './common.js';

const pad = (n: number) => String(n).padStart(2, '0');

function hms(seconds: number): string {
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
}

export function webserviceRoutes(st: XucSimState): Route {
  const engine = st.engine;

  /**
   * Dial from `user`. XUC answers before the destination is routed: a busy, absent or unknown destination is
   * still "success" (the call fails afterwards, and the user's history shows it).
   */
  const dial = (user: string, destination: string): SimResponse => {
    try {
      engine.placeCall(user, destination);
    } catch (e) {
      if (!(e instanceof EngineError)) throw e;
      if (e.code === 'invalid') return fail(400, 'BadRequest', e.message);
      if (e.code === 'conflict') return fail(500, 'NotHandledError', `user ${user} is not connected`);
    }
    return SUCCESS();
  };

  return (req, seg, claims) => {
    const [a, b, c] = seg;
    const post = req.method === 'POST';
    // Dial endpoints: BadRequest for a missing or invalid body.
    if (a === 'dial' && post) {
      if (!need(claims, b === 'toqueue' ? 'xuc.rest.dial.toqueue.create' : b === 'fromqueue' ? 'xuc.rest.dial.fromqueue.create' : `xuc.rest.dial.${b}.*.create`)) {
        return forbidden(claims);
      }
      const payload = body(req);
      if (!isObj(payload)) return fail(400, 'BadRequest', 'The body is missing or is invalid');
      if (b === 'toqueue' && seg.length === 2) {
        const { destination, queueName, callerIdNumber } = payload;
        if (typeof destination !== 'string' || typeof queueName !== 'string' || typeof callerIdNumber !== 'string') {
          return fail(400, 'BadRequest', 'destination, queueName and callerIdNumber are required');
        }
        const q = engine.findQueue(queueName);
        if (!q || q.name !== queueName) return fail(400, 'BadRequest', `unknown queue ${queueName}`);
        try {
          // The simulated destination answers at once and waits in the queue.
          engine.inboundCall(destination, q.number);
        } catch (e) {
          if (!(e instanceof EngineError)) throw e;
          if (e.code === 'invalid') return fail(400, 'BadRequest', e.message);
        }
        return SUCCESS();
      }
      if (c === undefined || seg.length !== 3) return undefined;
      if (!knownUser(engine, c)) return userNotFound(c);
      if (b === 'number') {
        if (typeof payload.destination !== 'string') return fail(400, 'BadRequest', 'destination is required');
        return dial(c, payload.destination);
      }
      if (b === 'user') {
        if (typeof payload.username !== 'string') return fail(400, 'BadRequest', 'username is required');
        const target = knownUser(engine, payload.username);
        if (!target) return userNotFound(payload.username);
        return dial(c, target.extension);
      }
      if (b === 'fromqueue') {
        const { destination, queueId } = payload;
        if (typeof destination !== 'string' || typeof queueId !== 'number' || !Number.isInteger(queueId)) {
          return fail(400, 'BadRequest', 'destination and an integer queueId are required');
        }
        if (![...st.queueIds.values()].includes(queueId)) return fail(400, 'BadRequest', `unknown queue ${queueId}`);
        return dial(c, destination);
      }
      return undefined;
    }
    // DND and forward: JsonBodyNotFound / JsonErrorDecoding / UserNotFound.
    if ((a === 'dnd' && post && seg.length === 2) || (a === 'forward' && post && seg.length === 3)) {
      const kind = a === 'forward' ? b! : undefined;
      if (kind !== undefined && !['unconditional', 'noanswer', 'busy'].includes(kind)) return undefined;
      const user = (kind ? c : b)!;
      if (!need(claims, kind ? `xuc.rest.forward.${kind}.*.create` : 'xuc.rest.dnd.*.create')) return forbidden(claims);
      const payload = body(req);
      if (payload === undefined) return fail(400, 'JsonBodyNotFound', 'No JSON body');
      if (!isObj(payload)) return fail(400, 'JsonErrorDecoding', 'Request sent to API is not JSON valid');
      if (!knownUser(engine, user)) return userNotFound(user);
      if (!kind) {
        if (typeof payload.state !== 'boolean') return fail(400, 'JsonErrorDecoding', 'state must be a boolean');
        engine.setDnd(user, payload.state);
        return SUCCESS();
      }
      const { destination, enabled } = payload;
      if (typeof enabled !== 'boolean' || (destination !== undefined && typeof destination !== 'string')) {
        return fail(400, 'JsonErrorDecoding', 'destination must be a string and enabled a boolean');
      }
      if (enabled && !destination) return fail(400, 'JsonErrorDecoding', 'an enabled forward needs a destination');
      try {
        engine.setForward(user, kind as 'unconditional', enabled ? destination : undefined, enabled);
      } catch (e) {
        if (!(e instanceof EngineError)) throw e;
        return fail(500, 'NotHandledError', e.message);
      }
      return SUCCESS();
    }
    if (a === 'history' && req.method === 'GET') {
      const byDays = b === 'days' && seg.length === 3;
      if (!byDays && seg.length !== 2) return undefined;
      const user = (byDays ? c : b)!;
      if (!need(claims, byDays ? 'xuc.rest.history.days.*.read' : 'xuc.rest.history.*.read')) return forbidden(claims);
      const param = req.query.get(byDays ? 'days' : 'size');
      if (param !== null && !/^[1-9]\d{0,5}$/.test(param)) return fail(400, 'JsonErrorDecoding', `${byDays ? 'days' : 'size'} must be a positive integer`);
      if (!knownUser(engine, user)) return userNotFound(user);
      const entries = engine.history(user, byDays ? { days: Number(param ?? 7), size: 500 } : { size: param === null ? undefined : Number(param) });
      const byNumber = (n: string) => engine.listUsers().find((u) => u.extension === n)?.id ?? n;
      const records = entries.map((e) => ({
        // XUC's local wall-clock time, no offset (the doc's samples).
        start: formatWallClock(Date.parse(e.start), st.timeZone),
        duration: hms(e.durationSeconds),
        srcUsername: byNumber(e.from),
        dstUsername: byNumber(e.to),
        status: e.status,
      }));
      return json(200, { res: 'success', data: st.historyShape === 'wrapped' ? { history: records } : records });
    }
    return undefined;
  };

}
