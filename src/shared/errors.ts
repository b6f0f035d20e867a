/**
 * The shared store failed: the error an action gets when the servers of a deployment cannot coordinate it. It is
 * raised before anything is done (nothing dialled), names the store (its address, never a password) and says that
 * actions resume by themselves once it answers. It concerns no PBX, so it is never attributed to one.
 */
import { BackendError } from '../errors.js';

export class SharedStoreError extends BackendError {
  constructor(where: string, why: string, cause?: unknown) {
    super('unavailable', `The shared store of this deployment (Redis at ${where}) ${why}, so this action was refused: nothing was done`, {
      code: 'shared_store',
      hint:
        'The servers of this deployment need it to coordinate actions (confirmations, call limits); actions resume by themselves ' +
        'once it answers again, without a restart. Reads still work. Try again in a moment; if it persists, check that Redis is running and reachable.',
      cause,
    });
    this.name = 'SharedStoreError';
  }

  /** The store failed, not the PBX the action was for: the message names the store, not a PBX. */
  override at(): this {
    return this;
  }
}

export function isSharedStoreError(e: unknown): e is SharedStoreError {
  return e instanceof SharedStoreError;
}
