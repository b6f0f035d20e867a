/** One user's personal contacts in the sim PBX: CRUD plus CSV import and export (XiVO's column set). */
import { randomUUID } from 'node:crypto';
import { CONTACT_FIELDS, type Contact, type ContactFields, type ContactImportResult } from '../../backends/model.js';
import { parseCsvRecords, toCsv, CsvError } from '../../util/csv.js';
import { EngineError } from './errors.js';

/** The export column order, as XUC's /contact/export/personal writes it. */
export const CSV_COLUMNS = ['company', 'email', 'fax', 'firstname', 'lastname', 'mobile', 'number'] as const;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ().-]{1,40}$/;

function clean(fields: ContactFields): ContactFields {
  const out: ContactFields = {};
  for (const k of CONTACT_FIELDS) {
    const v = fields[k]?.trim();
    if (v) out[k] = v;
  }
  return out;
}

/** The reasons a contact is invalid, empty when it is fine. */
export function contactErrors(c: ContactFields): string[] {
  const errors: string[] = [];
  if (!c.firstname && !c.lastname && !c.company) errors.push('a contact needs a firstname, lastname or company');
  if (c.email && !EMAIL.test(c.email)) errors.push(`email "${c.email}" is not an e-mail address`);
  for (const k of ['number', 'mobile', 'fax'] as const) {
    const v = c[k];
    if (v && !PHONE.test(v)) errors.push(`${k} "${v}" is not a phone number`);
  }
  return errors;
}

export class ContactBook {
  private readonly byId = new Map<string, Contact>();

  constructor(private readonly newId: () => string = randomUUID) {}

  list(): Contact[] {
    return [...this.byId.values()].map((c) => ({ ...c }));
  }

  get(id: string): Contact {
    const c = this.byId.get(id);
    if (!c) throw new EngineError('not_found', `no contact with id ${id}`);
    return { ...c };
  }

  private assertValid(c: ContactFields): void {
    const errors = contactErrors(c);
    if (errors.length) throw new EngineError('invalid', errors.join('; '));
  }

  private assertUnique(c: ContactFields, exceptId?: string): void {
    for (const other of this.byId.values()) {
      if (other.id === exceptId) continue;
      const same =
        (other.firstname ?? '') === (c.firstname ?? '') &&
        (other.lastname ?? '') === (c.lastname ?? '') &&
        (other.number ?? '') === (c.number ?? '');
      if (same) throw new EngineError('conflict', `a contact with the same name and number exists (id ${other.id})`);
    }
  }

  create(fields: ContactFields): Contact {
    const c = clean(fields);
    this.assertValid(c);
    this.assertUnique(c);
    const contact: Contact = { id: this.newId(), ...c };
    this.byId.set(contact.id, contact);
    return { ...contact };
  }

  /** Fields given replace the old ones; a field given as "" is cleared. */
  update(id: string, fields: ContactFields): Contact {
    const old = this.get(id);
    const merged: ContactFields = { ...old };
    for (const k of CONTACT_FIELDS) if (fields[k] !== undefined) merged[k] = fields[k];
    const c = clean(merged);
    this.assertValid(c);
    this.assertUnique(c, id);
    const contact: Contact = { id, ...c };
    this.byId.set(id, contact);
    return { ...contact };
  }

  delete(id: string): void {
    if (!this.byId.delete(id)) throw new EngineError('not_found', `no contact with id ${id}`);
  }

  deleteAll(): number {
    const n = this.byId.size;
    this.byId.clear();
    return n;
  }

  exportCsv(): string {
    const rows = this.list()
      .sort((a, b) => `${a.lastname ?? ''} ${a.firstname ?? ''}`.localeCompare(`${b.lastname ?? ''} ${b.firstname ?? ''}`))
      .map((c) => CSV_COLUMNS.map((k) => c[k] ?? ''));
    return toCsv([[...CSV_COLUMNS], ...rows]);
  }

  /** Import rows of a CSV with a header naming contact fields; bad lines are reported, good ones created. */
  importCsv(csv: string): ContactImportResult {
    let parsed;
    try {
      parsed = parseCsvRecords(csv);
    } catch (e) {
      throw new EngineError('invalid', `the CSV cannot be read: ${(e as CsvError).message}`);
    }
    const known = new Set<string>(CONTACT_FIELDS);
    const unknownHeaders = parsed.headers.filter((h) => h && !known.has(h));
    if (!parsed.headers.some((h) => known.has(h))) {
      throw new EngineError('invalid', `the CSV header must name contact fields (${CSV_COLUMNS.join(',')})`);
    }
    const result: ContactImportResult = { created: [], failed: [] };
    for (const rec of parsed.records) {
      const fields: ContactFields = {};
      for (const k of CONTACT_FIELDS) if (rec.values[k]) fields[k] = rec.values[k];
      try {
        const c = this.create(fields);
        result.created.push({ id: c.id, ...(c.lastname ? { lastname: c.lastname } : {}) });
      } catch (e) {
        result.failed.push({ line: rec.line, errors: [(e as Error).message] });
      }
    }
    if (unknownHeaders.length && result.failed.length === 0 && result.created.length === 0) {
      throw new EngineError('invalid', `unknown CSV columns: ${unknownHeaders.join(', ')}`);
    }
    return result;
  }
}
