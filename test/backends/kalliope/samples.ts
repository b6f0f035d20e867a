/**
 * The request and response samples of the vendor doc (kalliope-kcti4-client-api.txt), byte for byte: every
 * trailing space, the en dash, and every defect (closing tags written as opening tags, the `<...>` wrapper, the
 * queue error wrapped in activeCallInfo, `</attendedTransferCall >`). Written as JSON strings so no editor can
 * strip the trailing spaces; codec.test.ts checks them against the doc when it is at hand.
 */

/** Success (errcode 0) */
export const RES_SUCCESS =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <...> \n  <error_code> \n   <code>0</code> \n   <message>Success</message> \n  </error_code> \n  <data>...</data> \n </...> \n<kpbx_response> \n";

/** Invalid username or password (errcode 10) */
export const RES_AUTH_FAILED =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <...> \n  <error_code> \n   <code>10</code> \n   <message>Error – Authentication failed</message> \n  </error_code> \n </...> \n<kpbx_response> \n";

/** Invalid request (errcode 11) */
export const RES_INVALID_REQUEST =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n  <...> \n  <error_code> \n   <code>11</code> \n   <message>Invalid request</message> \n  </error_code> \n </...> \n<kpbx_response> \n";

/** Unknown command (errcode 12) */
export const RES_UNKNOWN_COMMAND =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <...> \n  <error_code> \n   <code>12</code> \n   <message>Unknown command</message> \n  </error_code> \n </...> \n<kpbx_response> \n";

/** Pause on queues: request */
export const REQ_PAUSE =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <pauseQueues>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <paused>1</paused>  \n </pauseQueues>  \n</kpbx_request>  \n";

/** Unpause on queues: request */
export const REQ_UNPAUSE =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <pauseQueues>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <paused>0</paused>  \n </pauseQueues>  \n</kpbx_request>  \n";

/** Set DND: request */
export const REQ_SET_DND =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <setDND>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <DND>1</DND>  \n </setDND>  \n </kpbx_request>  \n";

/** Unset DND: request */
export const REQ_UNSET_DND =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <setDND>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <DND>0</DND>  \n </setDND>  \n</kpbx_request>  \n";

/** Call to 625: request */
export const REQ_CALL_625 =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <click2call>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <number_to_call>625</number_to_call>  \n </click2call>  \n</kpbx_request>  \n";

/** Hangup current call: request */
export const REQ_HANGUP =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <hangupcall>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n </hangupcall>  \n</kpbx_request>  \n";

/** uTransfer to 234: request */
export const REQ_UTRANSFER_234 =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <transfercall>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <xferTo>234</xferTo>  \n </transfercall>  \n</kpbx_request> \n";

/** aTransfer to 234: request */
export const REQ_ATRANSFER_234 =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <attendedTransferCall>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>  \n  <xferTo>234</xferTo>  \n </attendedTransferCall >  \n </kpbx_request> \n";

/** Get active call info: request */
export const REQ_ACTIVE_CALL_INFO =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <activeCallInfo>  \n  <username>pippo</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>   \n </activeCallInfo>  \n</kpbx_request> \n";

/** Get active call info: success response */
export const RES_ACTIVE_CALL =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <...> \n  <error_code> \n   <code>0</code> \n   <message>Success</message> \n  </error_code> \n  <data> \n   <uid>1518436447.72</uid> \n   <remote_num>625</remote_num> \n   <remote_name>Giuseppe Test<remote_name> \n   <called_num>625<called_num> \n   <is_answered>0</is_answered> \n  </data> \n </...> \n<kpbx_response> \n";

/** Get active call info: no active calls response */
export const RES_NO_ACTIVE_CALLS =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <activeCallInfo> \n  <error_code> \n   <code>1</code> \n   <message>No active calls</message> \n  </error_code> \n </activeCallInfo> \n<kpbx_response> \n";

/** Get queued calls info: request */
export const REQ_QUEUED_CALLS_INFO =
  "<?xml version=\"1.0\"?>  \n<kpbx_request>  \n <queuedCallsInfo>  \n  <username>lamonica</username>  \n  <pwd_md5>353f9bfab2d01dbb1db343fdaf9ab02e</pwd_md5>   \n  <queue_name>QueueNameToBeQueried</queue_name> \n </queuedCallsInfo>  \n</kpbx_request> \n";

/** Get queued calls info: success response (there are queued calls) */
export const RES_QUEUED_SOME =
  "<?xml version=\"1.0\"?> \n <kpbx_response> \n <...> \n  <error_code> \n   <code>0</code> \n   <message>Success</message> \n  </error_code> \n  <data> \n   <queued_calls>1</queued_calls> \n   <oldest_arrival>2018-07-04 16:25:08</oldest_arrival> \n  </data> \n </...> \n<kpbx_response> \n";

/** Get queued calls info: success response (there are NO queued calls) */
export const RES_QUEUED_NONE =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <...> \n  <error_code> \n   <code>0</code> \n   <message>Success</message> \n  </error_code> \n  <data> \n   <queued_calls>0</queued_calls> \n   <oldest_arrival></oldest_arrival> \n  </data> \n </...> \n<kpbx_response> \n";

/** Get queued calls info: no such queue response */
export const RES_NO_SUCH_QUEUE =
  "<?xml version=\"1.0\"?> \n<kpbx_response> \n <activeCallInfo> \n  <error_code> \n   <code>1</code> \n   <message>No such queue</message> \n  </error_code> \n </activeCallInfo> \n<kpbx_response> \n";

export const RESPONSE_SAMPLES = { RES_SUCCESS, RES_AUTH_FAILED, RES_INVALID_REQUEST, RES_UNKNOWN_COMMAND, RES_ACTIVE_CALL, RES_NO_ACTIVE_CALLS, RES_QUEUED_SOME, RES_QUEUED_NONE, RES_NO_SUCH_QUEUE };
export const REQUEST_SAMPLES = { REQ_PAUSE, REQ_UNPAUSE, REQ_SET_DND, REQ_UNSET_DND, REQ_CALL_625, REQ_HANGUP, REQ_UTRANSFER_234, REQ_ATRANSFER_234, REQ_ACTIVE_CALL_INFO, REQ_QUEUED_CALLS_INFO };
