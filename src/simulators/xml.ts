/**
 * What the simulators' XML readers share: element text as an XML 1.0 parser delivers it. They parse with
 * fast-xml-parser (entities left alone) and resolve references here, as a server's parser would: the five
 * predefined entities and character references to characters XML allows; any other reference, or a bare "&",
 * makes the text unreadable. Not the adapters' readers: a simulator must not share their assumptions.
 */

const PREDEFINED: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** A code point XML 1.0 allows in a document (its Char production). */
const xmlChar = (cp: number) => cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);

/** Element text with its references resolved; undefined when it holds one an XML parser would refuse. */
export function resolveRefs(raw: string): string | undefined {
  let readable = true;
  const text = raw.replace(/&([^;&]*)(;?)/g, (_, ref: string, semi: string) => {
    const hex = /^#x([0-9A-Fa-f]{1,6})$/.exec(ref);
    const dec = /^#([0-9]{1,7})$/.exec(ref);
    const cp = hex ? Number.parseInt(hex[1]!, 16) : dec ? Number(dec[1]) : undefined;
    if (semi && cp !== undefined && xmlChar(cp)) return String.fromCodePoint(cp);
    if (semi && Object.hasOwn(PREDEFINED, ref)) return PREDEFINED[ref]!;
    readable = false;
    return '';
  });
  return readable ? text : undefined;
}
