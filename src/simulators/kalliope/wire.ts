/**
 * How the Kalliope simulator writes its answers. 'doc' reproduces the vendor doc's samples exactly, defects
 * included (the `<...>` wrapper, the root "closed" with `<kpbx_response>`, `<remote_name>X<remote_name>`, the
 * queue error wrapped in activeCallInfo, a trailing space on every line), because real clients may answer
 * that way; 'wellformed' is proper XML with the command name as the wrapper.
 *
 * And how it reads a request, as an XML server would (the simulator's own reader: it must not share the adapter's
 * assumptions): the five predefined entities and character references are decoded; any other reference, or a bare
 * "&", makes the request unreadable.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { resolveRefs } from '../xml.js';

export type ResponseStyle = 'doc' | 'wellformed';

export interface SimAnswer {
  /** The command the request named (the wellformed wrapper), when it had one. */
  command?: string | undefined;
  code: number;
  message: string;
  /** Leaf values of <data>, in order. */
  data?: [string, string][] | undefined;
  /** Which doc sample this answer is (picks the doc style's template). */
  sample?: 'activeCall' | 'noActiveCall' | 'queue' | 'noSuchQueue' | undefined;
}

const XML_NAME = /^[A-Za-z_][\w.-]*$/;

/** The commands of the KCTI4 doc, in its order. */
export const KCTI_COMMANDS = ['pauseQueues', 'setDND', 'click2call', 'hangupcall', 'transfercall', 'attendedTransferCall', 'activeCallInfo', 'queuedCallsInfo'] as const;
export type KctiCommandName = (typeof KCTI_COMMANDS)[number];

/** A request as read: the command element's name, and its text fields (undefined: the command element is not one). */
export interface KctiRequest {
  command: string | undefined;
  fields: ReadonlyMap<string, string> | undefined;
}

const reader = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: false, trimValues: true, ignoreDeclaration: true, ignorePiTags: true });

type Parsed = string | Parsed[] | { [k: string]: Parsed };

/** `<kpbx_request><CMD>fields</CMD></kpbx_request>`, or undefined when the body is not that document at all. */
export function readRequest(body: string): KctiRequest | undefined {
  if (XMLValidator.validate(body) !== true) return undefined;
  const doc = reader.parse(body) as Record<string, Parsed>;
  const root = doc.kpbx_request;
  if (typeof root !== 'object' || Array.isArray(root) || Object.keys(doc).length !== 1) return undefined;
  const names = Object.keys(root);
  const command = names[0];
  const node = command === undefined ? undefined : root[command];
  if (names.length !== 1 || typeof node !== 'object' || Array.isArray(node)) return { command, fields: undefined };
  const fields = new Map<string, string>();
  for (const [k, v] of Object.entries(node)) {
    if (typeof v !== 'string') continue;
    const text = resolveRefs(v);
    if (text === undefined) return { command, fields: undefined };
    fields.set(k, text);
  }
  return { command, fields };
}

/** Text content as this client writes it: only what text content must escape. */
const text = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Doc lines each end with one space; the body ends with a newline. */
const lines = (...l: string[]) => l.map((x) => `${x} \n`).join('');

function errorCode(code: number, message: string): string[] {
  return ['  <error_code>', `   <code>${code}</code>`, `   <message>${text(message)}</message>`, '  </error_code>'];
}

function doc(a: SimAnswer): string {
  const v = (k: string) => text(a.data?.find(([n]) => n === k)?.[1] ?? '');
  switch (a.sample) {
    case 'activeCall':
      return lines(
        '<?xml version="1.0"?>',
        '<kpbx_response>',
        ' <...>',
        ...errorCode(a.code, a.message),
        '  <data>',
        `   <uid>${v('uid')}</uid>`,
        `   <remote_num>${v('remote_num')}</remote_num>`,
        `   <remote_name>${v('remote_name')}<remote_name>`,
        `   <called_num>${v('called_num')}<called_num>`,
        `   <is_answered>${v('is_answered')}</is_answered>`,
        '  </data>',
        ' </...>',
        '<kpbx_response>',
      );
    case 'queue': {
      // The sample with queued calls indents the root by one space; the one without does not.
      const some = v('queued_calls') !== '0';
      return lines(
        '<?xml version="1.0"?>',
        `${some ? ' ' : ''}<kpbx_response>`,
        ' <...>',
        ...errorCode(a.code, a.message),
        '  <data>',
        `   <queued_calls>${v('queued_calls')}</queued_calls>`,
        `   <oldest_arrival>${v('oldest_arrival')}</oldest_arrival>`,
        '  </data>',
        ' </...>',
        '<kpbx_response>',
      );
    }
    case 'noActiveCall':
    case 'noSuchQueue':
      // Both samples wrap in activeCallInfo (the queue one by the doc's copy and paste).
      return lines('<?xml version="1.0"?>', '<kpbx_response>', ' <activeCallInfo>', ...errorCode(a.code, a.message), ' </activeCallInfo>', '<kpbx_response>');
    default:
      return lines(
        '<?xml version="1.0"?>',
        '<kpbx_response>',
        a.code === 11 ? '  <...>' : ' <...>', // the errcode 11 sample indents its wrapper by two
        ...errorCode(a.code, a.message),
        ...(a.code === 0 ? ['  <data>...</data>'] : []),
        ' </...>',
        '<kpbx_response>',
      );
  }
}

function wellformed(a: SimAnswer): string {
  const wrapper = a.command && XML_NAME.test(a.command) ? a.command : 'request';
  const data = a.data ? `<data>${a.data.map(([k, x]) => `<${k}>${text(x)}</${k}>`).join('')}</data>` : '';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<kpbx_response><${wrapper}>` +
    `<error_code><code>${a.code}</code><message>${text(a.message)}</message></error_code>${data}` +
    `</${wrapper}></kpbx_response>\n`
  );
}

export function renderAnswer(a: SimAnswer, style: ResponseStyle): string {
  return style === 'doc' ? doc(a) : wellformed(a);
}
