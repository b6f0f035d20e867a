/**
 * A XUC CTI user's personal contacts (XUC REST 2.0 contact/personal): the store behind the `contacts` capability of a
 * `xivo` PBX entry that logs in as a CTI user. `self` refuses to act for any user but the one logged in.
 */
import { FormData } from 'undici';
import type { ContactStore } from '../backend.js';
import { BackendError } from '../../errors.js';
import { CONTACT_FIELDS, type ContactField, type ContactFields } from '../model.js';
import { contactAnswer, contactBody, contactInAnswer, parseContact, parseContactList, parseImport, seg } from './codec.js';
import type { XucClient } from './client.js';

export function xucContactStore(c: XucClient, self: (user: string | undefined) => void): ContactStore {
  const read = (what: string) => ({ what, read: true }) as const;
  const store: ContactStore = {
    listHasIds: false,
    list: async (a, o) => {
      self(a.user);
      const req = read('list the personal contacts');
      return c.decode(await c.send({ method: 'GET', path: 'contact/personal', ...req, signal: o?.signal }), req, parseContactList);
    },
    get: async (a, o) => {
      self(a.user);
      const req = read(`read personal contact ${a.id}`);
      const res = await c.send({ method: 'GET', path: `contact/personal/${seg(a.id)}`, ...req, id: a.id, signal: o?.signal });
      return c.decode(res, req, (b) => parseContact(b, 'the contact'));
    },
    create: async (a, o) => {
      self(a.user);
      const req = { what: 'create a personal contact', read: false } as const;
      const res = await c.send({ method: 'POST', path: 'contact/personal', body: contactBody(a.contact), ...req, signal: o?.signal });
      return contactAnswer(res.body, a.contact, '');
    },
    update: async (a, o) => {
      self(a.user);
      // The doc says every field of an update is optional, and not whether XUC merges or replaces: the whole
      // contact is sent, merged here (right under either reading), and a field the person cleared is left out
      // (which clears it where XUC replaces). If XUC kept it (it merges), it is sent once more as "".
      const current = await store.get({ user: a.user, id: a.id }, o);
      const merged: ContactFields = {};
      const cleared: ContactField[] = [];
      for (const k of CONTACT_FIELDS) {
        const v = a.contact[k] !== undefined ? a.contact[k] : current[k];
        if (v !== undefined && v.trim() !== '') merged[k] = v;
        else if (a.contact[k] !== undefined && current[k] !== undefined) cleared.push(k);
      }
      const req = { what: `update personal contact ${a.id}`, read: false } as const;
      const put = (clear: readonly ContactField[]) =>
        c.send({ method: 'PUT', path: `contact/personal/${seg(a.id)}`, body: contactBody(merged, clear), ...req, id: a.id, signal: o?.signal });
      const res = await put([]);
      if (!cleared.length) return contactAnswer(res.body, merged, a.id);
      const after = contactInAnswer(res.body) ?? (await store.get({ user: a.user, id: a.id }, o));
      const kept = cleared.filter((k) => after[k] !== undefined);
      if (!kept.length) return { ...after, id: a.id };
      try {
        return contactAnswer((await put(kept)).body, merged, a.id);
      } catch (e) {
        if (!(e instanceof BackendError) || e.kind !== 'invalid') throw e;
        throw new BackendError(
          'conflict',
          `XUC updated personal contact ${a.id} but kept ${kept.join(', ')}: it keeps the fields an update leaves out and refuses them empty (${e.code ?? e.kind}), so they cannot be cleared through its API; the other changes are saved`,
          { code: e.code, cause: e, hint: 'To remove those fields, delete the contact and create it again without them.' },
        );
      }
    },
    delete: async (a, o) => {
      self(a.user);
      await c.send({ method: 'DELETE', path: `contact/personal/${seg(a.id)}`, what: `delete personal contact ${a.id}`, read: false, id: a.id, signal: o?.signal });
    },
    deleteAll: async (a, o) => {
      self(a.user);
      await c.send({ method: 'DELETE', path: 'contact/personal', what: 'delete all personal contacts', read: false, signal: o?.signal });
    },
    exportCsv: async (a, o) => {
      self(a.user);
      const res = await c.send({ method: 'GET', path: 'contact/export/personal', accept: 'text/csv, */*', ...read('export the personal contacts'), signal: o?.signal });
      return res.body;
    },
    importCsv: async (a, o) => {
      self(a.user);
      const req = { what: 'import personal contacts', read: false } as const;
      const multipart = () => {
        const form = new FormData();
        form.append('file', new Blob([a.csv], { type: 'text/csv' }), 'contacts.csv');
        return form;
      };
      const raw = () => c.send({ method: 'POST', path: 'contact/import/personal', body: a.csv, contentType: 'text/csv; charset=utf-8', ...req, signal: o?.signal });
      // The doc's note says "the CSV as the body", its curl sends multipart `file`. Multipart goes first; the raw
      // body follows only when XUC surely imported nothing from it: a 4xx, or a 2xx that created nothing and
      // failed lines (a XUC that read the multipart envelope as the CSV). A 5xx may have imported: no second try.
      let first;
      try {
        first = c.decode(await c.send({ method: 'POST', path: 'contact/import/personal', body: multipart, ...req, signal: o?.signal }), req, parseImport);
      } catch (refused) {
        if (!(refused instanceof BackendError) || refused.kind !== 'invalid') throw refused;
        try {
          return c.decode(await raw(), req, parseImport);
        } catch (second) {
          throw second instanceof BackendError && second.code === 'http_415' ? refused : second;
        }
      }
      if (first.created.length > 0 || first.failed.length === 0) return first;
      try {
        return c.decode(await raw(), req, parseImport);
      } catch (second) {
        // Refused as a raw body: XUC takes multipart, and the lines it failed are the CSV's own.
        if (second instanceof BackendError && (second.kind === 'invalid' || second.code === 'http_415')) return first;
        throw second;
      }
    },
  };
  return store;
}
