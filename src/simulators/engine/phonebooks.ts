/** Each user's contact book in the sim PBX (the book itself is contacts.ts). */
import { ContactBook } from './contacts.js';
import { EngineError } from './errors.js';
import type { EngineState } from './state.js';

/** A user's contact book; mutations through `withContacts` announce the change. */
export function bookOf(s: EngineState, user: string): ContactBook {
  const u = s.findUser(user);
  if (!u) throw new EngineError('not_found', `no user or extension "${user}" on this PBX`);
  let b = s.books.get(u.id);
  if (!b) s.books.set(u.id, (b = new ContactBook()));
  return b;
}

/** Run a contact-book mutation as an operation that announces the change. */
export function withContacts<T>(s: EngineState, user: string, fn: (book: ContactBook) => T): T {
  return s.op(() => {
    const uid = s.requireUser(user).id;
    const r = fn(bookOf(s, uid));
    s.touch({ topic: 'contacts', user: uid });
    return r;
  });
}
