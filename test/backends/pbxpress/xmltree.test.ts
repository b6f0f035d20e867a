/** The strict XML reader behind the XML-RPC codec, checked against fast-xml-parser on generated documents. */
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseXmlTree, XmlError, type XNode } from '../../../src/backends/pbxpress/xmltree.js';

const reference = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** fast-xml-parser splits text around CDATA and comments; ours joins adjacent text. Compare joined. */
function normalize(nodes: unknown): unknown {
  if (!Array.isArray(nodes)) return nodes;
  const out: unknown[] = [];
  for (const n of nodes as Record<string, unknown>[]) {
    if ('#text' in n) {
      const last = out[out.length - 1] as Record<string, unknown> | undefined;
      if (last && '#text' in last) last['#text'] = `${String(last['#text'])}${String(n['#text'])}`;
      else out.push({ '#text': String(n['#text']) });
    } else {
      const tag = Object.keys(n).find((k) => k !== ':@')!;
      out.push({ [tag]: normalize(n[tag]) });
    }
  }
  return out.filter((n) => !('#text' in (n as object)) || (n as { '#text': string })['#text'] !== '');
}

/** Our tree in fast-xml-parser's preserveOrder shape ({tag: children} and {'#text': text}). */
function asReference(nodes: XNode[]): unknown[] {
  return nodes.map((n) => (typeof n === 'string' ? { '#text': n } : { [n.tag]: asReference(n.kids) }));
}

const tag = fc.constantFrom('value', 'struct', 'member', 'name', 'array', 'data', 'string', 'int', 'i4', 'ex:nil', 'boolean');
const text = fc.string({ unit: fc.constantFrom('a', 'Z', '1', ' ', '\n', 'é', '😀', '&amp;', '&lt;', '&gt;', '&quot;', '&#65;', '&#x42;', '>'), maxLength: 12 });
const tree: fc.Arbitrary<string> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.tuple(tag, fc.array(tie('node'), { maxLength: 4 })).map(([t, kids]) => (kids.length ? `<${t}>${kids.join('')}</${t}>` : `<${t}/>`)),
    text.map((s) => `<![CDATA[${s.replace(/]]>/g, '')}]]>`),
  ),
})).node as fc.Arbitrary<string>;
const doc = fc.tuple(tag, fc.array(tree, { maxLength: 5 })).map(([t, kids]) => `<?xml version="1.0"?>\n<${t}>${kids.join('')}</${t}>`);

describe('parseXmlTree', () => {
  it('reads well-formed documents as fast-xml-parser does (property)', () => {
    fc.assert(
      fc.property(doc, (xml) => {
        expect(normalize(asReference(parseXmlTree(xml)))).toEqual(normalize(reference.parse(xml)));
      }),
      { numRuns: 400 },
    );
  });

  it('refuses what is not well-formed, wherever fast-xml-parser validation does (property)', () => {
    const broken = fc.tuple(doc, fc.nat(), fc.constantFrom('<', '</x>', '&', '&bogus;', '<a', '"', '</value>')).map(([d, at, junk]) => {
      const i = at % (d.length + 1);
      return d.slice(0, i) + junk + d.slice(i);
    });
    fc.assert(
      fc.property(broken, (xml) => {
        if (XMLValidator.validate(xml) !== true) expect(() => parseXmlTree(xml)).toThrow(XmlError);
      }),
      { numRuns: 400 },
    );
  });

  it('normalizes raw line ends, keeps referenced CRs, and never expands a DOCTYPE', () => {
    expect(parseXmlTree('<s>a\r\nb\rc&#13;</s>')).toEqual([{ tag: 's', kids: ['a\nb\nc\r'] }]);
    expect(() => parseXmlTree('<!DOCTYPE x [<!ENTITY a "b">]><s>&a;</s>')).toThrow(/DOCTYPE/);
    expect(() => parseXmlTree('<a><b></a></b>')).toThrow(/does not close/);
    expect(() => parseXmlTree('<a>')).toThrow(/never closed/);
    expect(() => parseXmlTree('<a>&#0;</a>')).toThrow(/character reference/);
    expect(parseXmlTree('<ex:nil xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions"/>')).toEqual([{ tag: 'nil', kids: [] }]);
    expect(parseXmlTree('<a><b >x</b  ></a>')).toEqual([{ tag: 'a', kids: [{ tag: 'b', kids: ['x'] }] }]);
    expect(() => parseXmlTree('<a><b></bb></a>')).toThrow(/does not close/);
    expect(() => parseXmlTree('<ab></a>')).toThrow(/does not close/);
  });

  it('reads start tags with attributes, whitespace or a self-closing slash, and refuses malformed ones', () => {
    expect(parseXmlTree("<a\tx='1'\r\n y=\"2>\"><b/><c\n/><d x=\"/\"/></a>")).toEqual([
      { tag: 'a', kids: [{ tag: 'b', kids: [] }, { tag: 'c', kids: [] }, { tag: 'd', kids: [] }] },
    ]);
    for (const bad of ['<a/b></a>', '<a<b>', '<a / >', '<>', '<a x=1></a>', '<a', '<a x="1"', '<1a/>']) {
      expect(() => parseXmlTree(bad), bad).toThrow(XmlError);
    }
  });
});
