/**
 * Small in-memory stores the `sim` backend keeps beside the engine: the operator console's favorites and the
 * notes an assistant keeps. They hold no call state, so they live here rather than in the engine.
 */
import type { NoteJson, NotesChange, NotesQuery, NotesResult } from '../backend.js';
import type { Extension, Favorite } from '../model.js';
import { EngineError } from '../../simulators/engine/errors.js';

/** Most notes one sim PBX keeps (a guard against a runaway client, not a vendor limit). */
const MAX_NOTES = 1000;

export class FavoritesStore {
  private list: Favorite[] = [];

  constructor(private readonly extensions: () => Extension[]) {}

  /** The favorites in slot order, with each entity's current number and name. */
  get(): Favorite[] {
    const byKey = new Map(this.extensions().map((e) => [`${e.kind}\u0000${e.id}`, e]));
    return this.list
      .map((f) => {
        const e = byKey.get(`${f.kind}\u0000${f.id}`);
        return { ...f, ...(e ? { number: e.number } : {}), ...(e?.name ? { name: e.name } : {}) };
      })
      .sort((a, b) => a.slot - b.slot);
  }

  /** Replace the list. Entities are keyed on (id, kind): each must exist, once. */
  set(favorites: Favorite[]): void {
    const known = new Set(this.extensions().map((e) => `${e.kind}\u0000${e.id}`));
    const seen = new Set<string>();
    const slots = new Set<number>();
    for (const f of favorites) {
      const key = `${f.kind}\u0000${f.id}`;
      if (!known.has(key)) throw new EngineError('not_found', `no ${f.kind} with id ${f.id} on this PBX`);
      if (seen.has(key)) throw new EngineError('invalid', `${f.kind} ${f.id} is listed twice`);
      if (slots.has(f.slot)) throw new EngineError('invalid', `slot ${f.slot} is used twice`);
      seen.add(key);
      slots.add(f.slot);
    }
    this.list = favorites.map(({ id, kind, slot, size }) => ({ id, kind, slot, size }));
  }
}

type Note = { text: string } | { json: NoteJson };

export class NotesStore {
  private readonly notes = new Map<string, Note>();

  read(q: NotesQuery): NotesResult {
    if (q.op === 'list') {
      return {
        found: true,
        notes: [...this.notes].map(([key, n]) => ({ key, value: 'text' in n ? n.text : JSON.stringify(n.json) })),
      };
    }
    const n = this.notes.get(q.key);
    if (!n) return { found: false };
    if (q.op === 'get') return { found: true, value: 'text' in n ? n.text : JSON.stringify(n.json) };
    if (!('json' in n)) throw new EngineError('invalid', `note ${q.key} is text, not JSON: read it with get`);
    return { found: true, json: structuredClone(n.json) };
  }

  write(c: NotesChange): void {
    switch (c.op) {
      case 'set':
        return this.put(c.key, { text: c.value });
      case 'set_many':
        for (const e of c.entries) this.put(e.key, { text: e.value });
        return;
      case 'set_json':
        return this.put(c.key, { json: structuredClone(c.json) });
      case 'delete':
        if (!this.notes.delete(c.key)) throw new EngineError('not_found', `no note named ${c.key}`);
    }
  }

  private put(key: string, note: Note): void {
    if (!this.notes.has(key) && this.notes.size >= MAX_NOTES) throw new EngineError('conflict', `the sim PBX keeps at most ${MAX_NOTES} notes`);
    this.notes.set(key, note);
  }
}
