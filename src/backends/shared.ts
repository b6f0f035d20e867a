/**
 * What a backend shares when its server is on its own: nothing, it keeps everything itself (a poll floor of this
 * process, and its own token). Backends use this when their deps carry no BackendShared.
 */
import { PollCache } from './polls.js';
import { LocalTokenShare } from './tokens.js';
import type { BackendShared } from './types.js';

export const localShared: BackendShared = {
  polls: (_scope, intervalMs, { clock }) => new PollCache(clock, intervalMs),
  tokens: () => new LocalTokenShare(),
};
