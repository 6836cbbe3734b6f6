// Every node's feature row of an in-memory marketplace, as the generator would write them.
import { MarketplaceFeatures, type MarketplaceGraph } from '../../graph-store/synth-marketplace.js';

export function marketplaceFeatures(g: MarketplaceGraph): Float32Array {
  const D = g.sizes.featureDim;
  const n = g.offsets[3] + g.sizes.companies;
  const out = new Float32Array(n * D);
  const f = new MarketplaceFeatures(g);
  for (let at = 0; at < n;) at += f.fill(out.subarray(at * D), n - at);
  return out;
}
