/**
 * Bounds on what a PBX may answer, checked before an answer is parsed: a hostile or broken PBX must not stall the
 * process (a 4 MB answer nested two million levels deep blocked the event loop for seconds in JSON.parse and the
 * XML validators). Each vendor's client caps the answer's size (VendorHttp maxBodyBytes) and its codec refuses an
 * answer nested deeper than its documents ever are, with a linear scan, before any parser sees it. Both checks
 * run in VendorHttp, inside the request's deadline; bounded input keeps the parse that follows small and bounded
 * (bench/hostile-pbx.mjs measures it).
 */

/**
 * Per vendor: the largest answer accepted, and the deepest nesting (from the vendor's documents, with room). The
 * sizes also bound the parse that follows: at these sizes the slowest reader (fast-xml-parser's validation and
 * parse for Kalliope and xCALLY XML) takes about a tenth of a second on the development VM, where 4 MB took
 * seconds.
 */
export const ANSWER_BOUNDS = {
  /** A phone bar answers for one agent: `{method, response, rows: [{...}]}` (3 levels), XML `root > row > field`;
   * a handful of channels, recent calls by the hundred at most (about 200 bytes a row: 600 fit). */
  xcally: { maxBytes: 128 * 1024, maxDepth: 8 },
  /** One agent's desktop client: `kpbx_response > command > error_code | data > field` (4 levels), a few calls. */
  kalliope: { maxBytes: 64 * 1024, maxDepth: 16 },
  /** `{res, data: [{...}]}` and qualifications with their sub-qualifications (about 5 levels); contact and
   * qualification exports are CSV text inside JSON, which can be long (JSON is the cheapest to parse). */
  xivo: { maxBytes: 4 * 1024 * 1024, maxDepth: 16 },
  /** XML-RPC: methodResponse > params > param > value > array > data > value > struct > member > value > type (11
   * levels for a list of structs), a nested note a few more; a switchboard's get_calls, about 600 bytes a call,
   * stays well under it for a thousand calls. */
  pbxpress: { maxBytes: 1024 * 1024, maxDepth: 48 },
  /** Plain text, one CSV line per channel or queue call: nothing nests (an HTML error page is told apart by its codec). */
  ipbx: { maxBytes: 1024 * 1024, maxDepth: undefined },
} as const satisfies Record<string, { maxBytes: number; maxDepth: number | undefined }>;

/** The bounds of a vendor (by its backend type), if it has some. */
export function boundsOf(pbxType: string): { maxBytes: number; maxDepth: number | undefined } | undefined {
  return Object.hasOwn(ANSWER_BOUNDS, pbxType) ? ANSWER_BOUNDS[pbxType as keyof typeof ANSWER_BOUNDS] : undefined;
}

/**
 * Whether an answer nests deeper than `max`, read as JSON when it starts with { or [ and as XML when it starts
 * with <; other text does not nest.
 */
export function answerDeeperThan(body: string, max: number): boolean {
  let i = 0;
  while (i < body.length && (body.charCodeAt(i) <= 32 || body.charCodeAt(i) === 0xfeff)) i++;
  const c = body[i];
  if (c === '{' || c === '[') return jsonDeeperThan(body, max);
  if (c === '<') return xmlDeeperThan(body, max);
  return false;
}

/**
 * Whether JSON `text` nests arrays and objects deeper than `max`. One pass over the characters, strings skipped;
 * it stops at the first level past `max`, so a hostile answer is refused after a few hundred characters.
 */
export function jsonDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    // The vendor's own sample quotes with U+201C/U+201D, which a reader may take for quotes: counted as such.
    else if (c === 0x201c) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/**
 * Whether XML `text` nests elements deeper than `max`: start tags minus end tags, self-closing tags, comments,
 * CDATA, processing instructions and declarations skipped. One pass; it stops at the first level past `max`.
 */
export function xmlDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let i = text.indexOf('<');
  while (i >= 0 && i < text.length) {
    const next = text.charCodeAt(i + 1);
    if (next === 33 /* ! */) {
      // <!-- comment -->, <![CDATA[ ]]>, <!DOCTYPE ...>
      const end = text.startsWith('<!--', i) ? text.indexOf('-->', i + 4) : text.startsWith('<![CDATA[', i) ? text.indexOf(']]>', i + 9) : text.indexOf('>', i + 2);
      if (end < 0) return false;
      i = text.indexOf('<', end);
      continue;
    }
    const close = text.indexOf('>', i + 1);
    if (close < 0) return false;
    if (next === 63 /* ? */) {
      // <?xml ...?> or a processing instruction
    } else if (next === 47 /* / */) depth--;
    else if (text.charCodeAt(close - 1) !== 47) {
      if (++depth > max) return true;
    }
    i = text.indexOf('<', close + 1);
  }
  return false;
}
