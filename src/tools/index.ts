/** Every tool the server knows. Which are offered depends on the configured PBXs' capabilities and readOnly. */
import type { AnyTool } from './define.js';
import { callHistory } from './call_history.js';
import { dialUser } from './dial_user.js';
import { getActiveCall } from './get_active_call.js';
import { hangup } from './hangup.js';
import { listQueue } from './list_queue.js';
import { manageContacts } from './manage_contacts.js';
import { parkCall } from './park_call.js';
import { pauseQueues } from './pause_queues.js';
import { placeCall } from './place_call.js';
import { qualifyCall } from './qualify_call.js';
import { setDnd } from './set_dnd.js';
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
  dialUser,
  setForward,
  callHistory,
  qualifyCall,
];
