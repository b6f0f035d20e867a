import { z } from 'zod';
import { ParkingInfo } from '../backends/model.js';
import { capList, defineTool, limitArg, listFields, pbxArg } from './define.js';

export const getParking = defineTool({
  name: 'get_parking',
  title: 'Read the parking lot',
  description:
    'The parking lot of a PBX: its first slot, how many slots and how many free, and which call waits in which slot. ' +
    'To pick a call up, dial its slot (place_call), or transfer its call id where the PBX allows; park_call parks one. ' +
    'An empty lot is an empty list. Also in the pbx://{pbx}/parking resource.',
  input: z.object({ limit: limitArg, pbx: pbxArg }),
  output: ParkingInfo.extend({
    pbx: z.string(),
    free: z.number().int().nonnegative().optional(),
    ...listFields,
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  capabilities: ['parkingInfo'],
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
