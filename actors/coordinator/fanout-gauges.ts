// Exports a job's current sampling fanouts as the catalogue's per-hop gauges
// (weft_sampler_fanout_hop<h>), so adaptive sampling's growth shows on the dashboard.
import { threadMetrics } from '../../runtime/metrics.js';
import { metricHandle, MAX_HOPS, type GaugeHandle } from '../metrics-catalogue.js';

/** A setter of the fanout gauges of `job`'s sampler (index 0) on this thread's registry. */
export function exportFanouts(job: string, index = 0): (fanouts: readonly number[]) => void {
  const handles = new Map<number, GaugeHandle>();
  const registry = threadMetrics();
  return (fanouts) => {
    for (let h = 0; h < Math.min(fanouts.length, MAX_HOPS); h++) {
      let g = handles.get(h);
      if (!g) {
        g = metricHandle(registry, `weft_sampler_fanout_hop${h}` as 'weft_sampler_fanout_hop0', {
          job,
          role: 'sampler',
          index,
        }) as GaugeHandle;
        handles.set(h, g);
      }
      g.set(fanouts[h]);
    }
  };
}
