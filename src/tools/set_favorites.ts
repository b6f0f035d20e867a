import { z } from 'zod';
import { ArgumentError } from '../errors.js';
import { EXTENSION_KINDS, FAVORITE_SIZES, Favorite } from '../backends/model.js';
import { cleanText } from '../safety/sanitize.js';
import { actionOutput, CONFIRM_FLOW, defineTool, pbxArg } from './define.js';

/** More than an operator console shows; a bound on what one call may send. */
export const MAX_FAVORITES = 200;

/** How many entries the confirmation sentence names before "and N more". */
const NAMED_IN_CONFIRMATION = 10;

function label(f: Favorite): string {
  const what = f.kind === 'user' ? 'extension' : f.kind;
  const name = f.name ? cleanText(f.name, 40) : '';
  return `slot ${f.slot}: ${what} ${f.number ?? f.id}${name && name !== f.number ? ` (${name})` : ''}${f.size === 'double' ? ', double' : ''}`;
}

export const setFavorites = defineTool({
  name: 'set_favorites',
  title: 'Set the operator favorites',
  description:
    "Replace the whole list of favorites on the PBX's operator console (extensions, queues and attendants, each in a " +
    'slot). Read pbx://{pbx}/favorites first and send every entry to keep: entries left out are removed, [] clears ' +
    `them all. Entries name entities by their id in pbx://{pbx}/extensions. Asks the user first. ${CONFIRM_FLOW}`,
  input: z.object({
    favorites: z
      .array(
        z.object({
          id: z.string().min(1).max(80).regex(/^[^\u0000-\u001f]+$/, 'an id from the extensions resource').describe('Its id in pbx://{pbx}/extensions'),
          kind: z.enum(EXTENSION_KINDS).optional().describe('Only when the id alone is ambiguous'),
          slot: z.number().int().min(0).max(9999).describe('Position on the console'),
          size: z.enum(FAVORITE_SIZES).default('single').describe('Space on the console'),
        }),
      )
      .max(MAX_FAVORITES)
      .describe('The complete new list'),
    pbx: pbxArg,
  }),
  output: actionOutput({
    favorites: z.array(Favorite).optional(),
    previous_count: z.number().int().nonnegative().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  capabilities: ['setFavorites'],
  guarded: true,
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const set = pbx.op('setFavorites', 'set operator favorites');
    const o = { signal: ctx.signal };
    const fail = (kind: 'invalid' | 'not_found', message: string, hint?: string) => new ArgumentError(kind, message, hint ? { hint } : {});
    // Resolve every entity before asking, so the person confirms real extensions by number and name.
    const known = pbx.can('listExtensions') ? await pbx.op('listExtensions')(o) : undefined;
    const list: Favorite[] = args.favorites.map((f) => {
      if (!known) {
        if (!f.kind) throw fail('invalid', `favorite ${f.id} needs \`kind\` on this PBX`);
        return { id: f.id, kind: f.kind, slot: f.slot, size: f.size };
      }
      const matches = known.filter((e) => e.id === f.id && (f.kind === undefined || e.kind === f.kind));
      if (matches.length === 0) {
        throw fail('not_found', `there is no ${f.kind ?? 'extension, queue or attendant'} with id ${f.id}`, 'Use the ids of pbx://{pbx}/extensions. Nothing was changed.');
      }
      if (matches.length > 1) throw fail('invalid', `id ${f.id} names several entities: add \`kind\``);
      const e = matches[0]!;
      return { id: e.id, kind: e.kind, slot: f.slot, size: f.size, number: e.number, ...(e.name ? { name: e.name } : {}) };
    });
    const entities = new Set<string>();
    const slots = new Set<number>();
    for (const f of list) {
      const key = `${f.kind}\u0000${f.id}`;
      if (entities.has(key)) throw fail('invalid', `${f.kind} ${f.id} is listed twice`, 'List each entity once. Nothing was changed.');
      if (slots.has(f.slot)) throw fail('invalid', `slot ${f.slot} is used twice`, 'Give each favorite its own slot. Nothing was changed.');
      entities.add(key);
      slots.add(f.slot);
    }
    list.sort((a, b) => a.slot - b.slot);
    const previous = pbx.can('getFavorites') ? await pbx.op('getFavorites')(o) : undefined;
    const before = previous?.length;
    const had = before === undefined ? 'the operator favorites' : `the ${before} operator favorite${before === 1 ? '' : 's'}`;
    const named = list.slice(0, NAMED_IN_CONFIRMATION).map(label).join('; ');
    const more = list.length > NAMED_IN_CONFIRMATION ? `; and ${list.length - NAMED_IN_CONFIRMATION} more` : '';
    await ctx.confirm(
      list.length === 0 ? `Remove all ${had} on PBX ${pbx.name}?` : `Replace ${had} on PBX ${pbx.name} with ${list.length}: ${named}${more}?`,
      { bind: previous },
    );
    await set({ favorites: list }, o);
    return {
      message: list.length === 0 ? 'Removed every operator favorite.' : `Set ${list.length} operator favorite${list.length === 1 ? '' : 's'}.`,
      pbx: pbx.name,
      favorites: list,
      ...(before !== undefined ? { previous_count: before } : {}),
    };
  },
  summarize: (r) => (r.status === 'done' ? `Set ${r.favorites?.length ?? 0} operator favorites (before: ${r.previous_count ?? '?'}).` : r.message),
});
