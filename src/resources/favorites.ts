/** The operator console's favorites on a PBX (PBXpress). */
import { fillTemplate, listed, type ResourceDef } from './define.js';

export const favoritesResource: ResourceDef = {
  name: 'favorites',
  title: 'Operator favorites',
  description:
    "The operator console's favorites, in slot order (JSON: {pbx, favorites: Favorite[]}). Each entry names an " +
    'extension, queue or attendant by its id in pbx://{pbx}/extensions; set_favorites replaces the list.',
  template: 'pbx://{pbx}/favorites',
  requires: 'getFavorites',
  list: (pbx) =>
    Promise.resolve([{ uri: fillTemplate('pbx://{pbx}/favorites', { pbx: pbx.name }), name: `${pbx.name} favorites`, title: `Operator favorites on ${pbx.name}` }]),
  async read(pbx, _vars, signal) {
    return { pbx: pbx.name, ...listed('favorites', await pbx.op('getFavorites')({ signal })) };
  },
  affectedBy: (c) => c.topic === 'favorites',
};
