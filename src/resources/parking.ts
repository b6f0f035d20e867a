/** The parking lot of a PBX: its slots and the calls waiting in them. */
import { fillTemplate, listed, type ResourceDef } from './define.js';

export const parkingResource: ResourceDef = {
  name: 'parking',
  title: 'Parking lot',
  description:
    'The parking lot of this PBX: the first slot, how many slots, and which call waits in which slot ' +
    '(JSON: {pbx, firstSlot?, slots?, parked: [{slot, callId}]}). Dial a slot to pick its call up.',
  template: 'pbx://{pbx}/parking',
  requires: 'parkingInfo',
  list: (pbx) =>
    Promise.resolve([{ uri: fillTemplate('pbx://{pbx}/parking', { pbx: pbx.name }), name: `${pbx.name} parking`, title: `Parking lot of ${pbx.name}` }]),
  async read(pbx, _vars, signal) {
    const info = await pbx.op('parkingInfo')({ signal });
    return { pbx: pbx.name, ...info, ...listed('parked', info.parked) };
  },
  affectedBy: (c) => c.topic === 'parking',
};
