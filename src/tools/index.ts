/** Every tool the server knows. Which are offered depends on the configured PBXs' capabilities and readOnly. */
import type { AnyTool } from './define.js';
import { answerCall } from './answer_call.js';
import { conference } from './conference.js';
import { callHistory } from './call_history.js';
import { callbackLists } from './callback_lists.js';
import { dialUser } from './dial_user.js';
import { getActiveCall } from './get_active_call.js';
import { getParking } from './get_parking.js';
import { hangup } from './hangup.js';
import { holdCall } from './hold_call.js';
import { listQueue } from './list_queue.js';
import { manageContacts } from './manage_contacts.js';
import { parkCall } from './park_call.js';
import { pauseQueues } from './pause_queues.js';
import { pbxNotes } from './pbx_notes.js';
import { placeCall } from './place_call.js';
import { qualifyCall } from './qualify_call.js';
import { setDnd } from './set_dnd.js';
import { setFavorites } from './set_favorites.js';
import { setForward } from './set_forward.js';
import { transfer } from './transfer.js';

export const ALL_TOOLS: readonly AnyTool[] = [
  placeCall,
  hangup,
  transfer,
  parkCall,
  setDnd,
  pauseQueues,
  getActiveCall,
  listQueue,
  manageContacts,
  answerCall,
  holdCall,
  conference,
  getParking,
  setFavorites,
  pbxNotes,
  dialUser,
  setForward,
  callHistory,
  qualifyCall,
  callbackLists,
];

/**
 * The tools that ask before they act, as their definitions say (`guarded`): what `safety.confirmTools` may name.
 * Derived, never listed by hand, so a new guarded tool is confirmed without anyone remembering a list.
 */
export const GUARDED_TOOLS: readonly string[] = ALL_TOOLS.filter((t) => t.guarded).map((t) => t.name);
