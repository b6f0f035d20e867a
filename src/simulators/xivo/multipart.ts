/** Just enough multipart/form-data reading for the XUC simulator's contact import (one text field `file`). */

/** The content of the part named `name`, or undefined (not multipart, no such part, malformed). */
export function multipartField(contentType: string | undefined, body: string, name: string): string | undefined {
  const m = /^multipart\/form-data\s*;.*\bboundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType ?? '');
  if (!m) return undefined;
  const boundary = `--${m[1] ?? m[2]}`;
  const parts = body.split(boundary);
  // parts[0] is the preamble; the last one starts with "--" (the closing delimiter).
  for (const raw of parts.slice(1)) {
    if (raw.startsWith('--')) break;
    const part = raw.replace(/^\r?\n/, '');
    const split = /\r?\n\r?\n/.exec(part);
    if (!split) continue;
    const headers = part.slice(0, split.index);
    const disposition = /content-disposition:\s*form-data;([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const fieldName = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (fieldName !== name) continue;
    return part.slice(split.index + split[0].length).replace(/\r?\n$/, '');
  }
  return undefined;
}
