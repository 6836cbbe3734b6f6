// A batch's distinct seed times, sorted: a node's time group is the rank of its query time among
// them, so a node reached from seeds of different times is sampled once per time it is asked for.
import { lowerBound } from '../../runtime/lower-bound.js';

export class TimeGroups {
  /** The distinct times ascending in [0, count); group g samples edges strictly before times[g]. */
  times = new Float64Array(64);
  count = 0;

  /** Collects the distinct values of times[0, n) (sorted, without repeats). Returns their count. */
  assign(times: Float64Array, n: number): number {
    if (this.times.length < n) this.times = new Float64Array(Math.max(n, 64));
    const sorted = this.times.subarray(0, n);
    sorted.set(times.subarray(0, n));
    sorted.sort();
    let distinct = 0;
    for (let i = 0; i < n; i++)
      if (i === 0 || sorted[i] !== sorted[distinct - 1]) sorted[distinct++] = sorted[i];
    this.count = distinct;
    return distinct;
  }

  /** The group of time t: its rank among the distinct times (binary search). */
  of(t: number): number {
    return lowerBound(this.times, t, 0, this.count);
  }
}
