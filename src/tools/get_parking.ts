import { z } from 'zod';
import { ParkingInfo } from '../backends/model.js';
import { capList, defineTool, limitArg, listFields, pbxArg } from './define.js';

export const getParking = defineTool({
  name: 'get_parking',
  title: 'Read the parking lot',
  description:
    'Read the parking lot of a PBX: the first slot number, how many slots there are, how many are free, and which call ' +
    'waits in which slot (slot and call id). To pick a call up, dial its slot (place_call), or transfer it by its call ' +
    'id to an extension where the PBX allows that; park_call parks a call. An empty lot is an empty list, not an error. ' +
    'The same data is in the pbx://{pbx}/parking resource.',
  input: z.object({ limit: limitArg, pbx: pbxArg }),
  output: ParkingInfo.extend({
    pbx: z.string(),
    free: z.number().int().nonnegative().optional().describe('Free slots, when the PBX says how many slots there are'),
    ...listFields,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  needs: ['parkingInfo'],
  async run(ctx, args) {
    const pbx = ctx.pbx(args.pbx);
    const info = await pbx.op('parkingInfo')({ signal: ctx.signal });
    const { items, total, truncated } = capList(info.parked, args.limit, 'parked calls');
    return {
      pbx: pbx.name,
      ...info,
      parked: items,
      total,
      ...(truncated ? { truncated } : {}),
      ...(info.slots !== undefined ? { free: Math.max(0, info.slots - info.parked.length) } : {}),
    };
  },
  summarize: (r) =>
    `${r.total ?? r.parked.length} parked call${(r.total ?? r.parked.length) === 1 ? '' : 's'} on ${r.pbx}` +
    (r.parked.length ? `: ${r.parked.slice(0, 10).map((p) => `slot ${p.slot}`).join(', ')}${r.parked.length > 10 ? ', …' : ''}` : '') +
    (r.free !== undefined ? `; ${r.free} slot${r.free === 1 ? '' : 's'} free.` : '.'),
});
