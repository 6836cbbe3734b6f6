// A sparse ID-embedding table: one row per node id, created on first use with an initial value that
// depends only on (seed, id), updated row-wise by Adagrad or lazy Adam; rows and slots in typed arrays.
import { hash32, mixSeed } from '../../runtime/prng.js';
import { IdRowIndex } from './id-row-index.js';
import { SparseGradSum } from './sparse-grad-sum.js';

export type SparseOptimizerKind = 'adagrad' | 'lazy-adam';

export interface SparseTableConfig {
  /** Row width. */
  dim: number;
  optimizer: SparseOptimizerKind;
  /** Default learning rate of a push. */
  lr: number;
  /** Initialisation seed: a row's first value is a function of (seed, id) alone. */
  seed: number;
  /** New rows are uniform in [-initScale, initScale]. */
  initScale: number;
  /** Adagrad: eps 1e-10, initialAccumulator 0. Lazy Adam: beta1 0.9, beta2 0.999, eps 1e-8. */
  eps?: number;
  initialAccumulator?: number;
  beta1?: number;
  beta2?: number;
}

/** The table (or a part of it) sorted by id: what a checkpoint holds and a shard loads. */
export interface SparseTableSnapshot {
  ids: Int32Array;
  /** [ids.length × dim]. */
  rows: Float32Array;
  /** Optimizer slots, same layout as rows: 'sum' (Adagrad) or 'm' and 'v' (lazy Adam). */
  slots: Record<string, Float32Array>;
  /** Updates applied to each row (lazy Adam's per-row bias correction). */
  steps: Int32Array;
}

export function slotNamesOf(kind: SparseOptimizerKind): string[] {
  return kind === 'adagrad' ? ['sum'] : ['m', 'v'];
}

/** Writes the initial value of row `id` into out[offset .. offset+dim). */
export function initRow(
  seed: number,
  id: number,
  dim: number,
  initScale: number,
  out: Float32Array,
  offset: number,
): void {
  const h = mixSeed(seed, 0x1de3b, id);
  for (let j = 0; j < dim; j++) {
    const u = hash32(h ^ Math.imul(j + 1, 0x9e3779b1)) / 4294967296;
    out[offset + j] = (2 * u - 1) * initScale;
  }
}

/** to[toOff ..] = from[fromOff ..], `n` values: a plain loop (no subarray views in hot loops). */
function copyRow(
  from: Float32Array,
  fromOff: number,
  to: Float32Array,
  toOff: number,
  n: number,
): void {
  for (let j = 0; j < n; j++) to[toOff + j] = from[fromOff + j];
}

export class SparseTable {
  readonly dim: number;
  private readonly index = new IdRowIndex();
  private rows: Float32Array;
  private slots: Record<string, Float32Array> = {};
  private steps: Int32Array;
  private capacity: number;
  private readonly gradSum: SparseGradSum;
  private readonly eps: number;
  private readonly initialAccumulator: number;
  private readonly beta1: number;
  private readonly beta2: number;
  /** Pushes applied (the table's version). */
  updates = 0;

  constructor(readonly config: SparseTableConfig) {
    const d = config.dim;
    if (!Number.isInteger(d) || d < 1) throw new RangeError(`table dim must be >= 1, got ${d}`);
    if (!(config.lr > 0)) throw new RangeError(`table lr must be > 0, got ${config.lr}`);
    this.dim = d;
    this.capacity = 64;
    this.rows = new Float32Array(this.capacity * d);
    this.steps = new Int32Array(this.capacity);
    this.initialAccumulator = config.initialAccumulator ?? 0;
    for (const name of slotNamesOf(config.optimizer)) {
      this.slots[name] = new Float32Array(this.capacity * d);
      if (name === 'sum') this.slots[name].fill(this.initialAccumulator);
    }
    this.eps = config.eps ?? (config.optimizer === 'adagrad' ? 1e-10 : 1e-8);
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.gradSum = new SparseGradSum(d);
  }

  /** Rows that exist. */
  get size(): number {
    return this.index.size;
  }

  /** Bytes held: rows, optimizer slots, step counts and the id index (capacity, not just size). */
  bytes(): number {
    let b = this.rows.byteLength + this.steps.byteLength + this.index.bytes();
    for (const s of Object.values(this.slots)) b += s.byteLength;
    return b;
  }

  has(id: number): boolean {
    return this.index.get(id) >= 0;
  }

  /** Ids of the existing rows, in creation order (a copy). */
  ids(): Int32Array {
    return Int32Array.from(this.index.ids());
  }

  private grow(minRows: number): void {
    let cap = this.capacity;
    while (cap < minRows) cap *= 2;
    if (cap === this.capacity) return;
    const d = this.dim;
    const rows = new Float32Array(cap * d);
    rows.set(this.rows);
    this.rows = rows;
    const steps = new Int32Array(cap);
    steps.set(this.steps);
    this.steps = steps;
    for (const [name, old] of Object.entries(this.slots)) {
      const s = new Float32Array(cap * d);
      s.set(old);
      if (name === 'sum' && this.initialAccumulator !== 0)
        s.fill(this.initialAccumulator, old.length);
      this.slots[name] = s;
    }
    this.capacity = cap;
  }

  /** The slot of `id`, creating the row with its deterministic initial value when absent. */
  private slotOf(id: number): number {
    const before = this.index.size;
    const slot = this.index.getOrAdd(id);
    if (this.index.size !== before) {
      if (slot >= this.capacity) this.grow(slot + 1);
      const c = this.config;
      initRow(c.seed, id, this.dim, c.initScale, this.rows, slot * this.dim);
    }
    return slot;
  }

  /**
   * The rows of `ids` [ids.length × dim] (repeats allowed). `create` false: absent rows are the
   * unseen row, zeros, and are not stored: evaluation must not grow the table, and a node training
   * never reached has nothing learned to add (its random initial row would only add noise).
   */
  pull(ids: Int32Array, create = true): Float32Array {
    const d = this.dim;
    const out = new Float32Array(ids.length * d);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const slot = create ? this.slotOf(id) : this.index.get(id);
      if (slot >= 0) copyRow(this.rows, slot * d, out, i * d, d);
    }
    return out;
  }

  /**
   * Applies one optimizer step to the rows of `ids` with grads [ids.length × dim]; an id repeated in
   * the push has its gradients summed first; rows not listed are untouched (values and slots).
   */
  push(ids: Int32Array, grads: Float32Array, lr = this.config.lr): void {
    this.gradSum.add(ids, grads);
    const { ids: uniq, grads: g } = this.gradSum.take();
    const d = this.dim;
    const adagrad = this.config.optimizer === 'adagrad';
    for (let k = 0; k < uniq.length; k++) {
      const slot = this.slotOf(uniq[k]);
      const t = ++this.steps[slot];
      if (adagrad) this.adagradRow(slot * d, g, k * d, lr);
      else this.adamRow(slot * d, g, k * d, lr, t);
    }
    this.updates++;
  }

  private adagradRow(o: number, g: Float32Array, go: number, lr: number): void {
    const p = this.rows;
    const sum = this.slots.sum;
    const eps = this.eps;
    for (let j = 0; j < this.dim; j++) {
      const gi = g[go + j];
      const s = sum[o + j] + gi * gi;
      sum[o + j] = s;
      p[o + j] -= (lr * gi) / (Math.sqrt(s) + eps);
    }
  }

  private adamRow(o: number, g: Float32Array, go: number, lr: number, t: number): void {
    const p = this.rows;
    const m = this.slots.m;
    const v = this.slots.v;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const eps = this.eps;
    // Bias correction by the row's own update count: a rarely seen id is not under-corrected.
    const stepSize = lr / (1 - Math.pow(b1, t));
    const sqrtC2 = Math.sqrt(1 - Math.pow(b2, t));
    for (let j = 0; j < this.dim; j++) {
      const gi = g[go + j];
      const mi = b1 * m[o + j] + (1 - b1) * gi;
      const vi = b2 * v[o + j] + (1 - b2) * gi * gi;
      m[o + j] = mi;
      v[o + j] = vi;
      p[o + j] = p[o + j] - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps);
    }
  }

  /** The rows whose ids satisfy `keep` (default all), sorted by id, copied. */
  snapshot(keep?: (id: number) => boolean): SparseTableSnapshot {
    const all = this.index.ids();
    let n0 = 0;
    const sorted = new Int32Array(all.length);
    for (let s = 0; s < all.length; s++) if (!keep || keep(all[s])) sorted[n0++] = all[s];
    // Ids are unique: sort them (native numeric sort), then find each one's slot.
    const ids = sorted.slice(0, n0).sort();
    const chosen = new Int32Array(n0);
    for (let k = 0; k < n0; k++) chosen[k] = this.index.get(ids[k]);
    const d = this.dim;
    const n = chosen.length;
    const rows = new Float32Array(n * d);
    const steps = new Int32Array(n);
    const slots: Record<string, Float32Array> = {};
    for (const name of Object.keys(this.slots)) slots[name] = new Float32Array(n * d);
    for (let k = 0; k < n; k++) {
      const s = chosen[k];
      steps[k] = this.steps[s];
      copyRow(this.rows, s * d, rows, k * d, d);
    }
    for (const name of Object.keys(this.slots)) {
      const from = this.slots[name];
      const to = slots[name];
      for (let k = 0; k < n; k++) copyRow(from, chosen[k] * d, to, k * d, d);
    }
    return { ids, rows, slots, steps };
  }

  /** Replaces the whole table with a snapshot's rows. */
  restore(snap: SparseTableSnapshot, updates = 0): void {
    const d = this.dim;
    const n = snap.ids.length;
    if (snap.rows.length !== n * d)
      throw new RangeError(`snapshot rows hold ${snap.rows.length} values, expected ${n} × ${d}`);
    for (const name of Object.keys(this.slots))
      if (!snap.slots[name] || snap.slots[name].length !== n * d)
        throw new RangeError(`snapshot lacks optimizer slot '${name}' of ${n} × ${d} values`);
    this.index.clear();
    this.rows.fill(0);
    this.steps.fill(0);
    for (const [name, s] of Object.entries(this.slots))
      s.fill(name === 'sum' ? this.initialAccumulator : 0);
    this.grow(n);
    for (let k = 0; k < n; k++) {
      const slot = this.index.getOrAdd(snap.ids[k]);
      if (slot !== k) throw new RangeError(`snapshot repeats id ${snap.ids[k]}`);
      this.steps[k] = snap.steps[k];
    }
    this.rows.set(snap.rows);
    for (const name of Object.keys(this.slots)) this.slots[name].set(snap.slots[name]);
    this.updates = updates;
  }
}

/** One snapshot of several disjoint parts (shards), sorted by id. */
export function mergeSnapshots(
  parts: readonly SparseTableSnapshot[],
  dim: number,
): SparseTableSnapshot {
  let n = 0;
  for (const p of parts) n += p.ids.length;
  const order: [number, number][] = [];
  parts.forEach((p, i) => {
    for (let k = 0; k < p.ids.length; k++) order.push([i, k]);
  });
  order.sort((a, b) => parts[a[0]].ids[a[1]] - parts[b[0]].ids[b[1]]);
  const ids = new Int32Array(n);
  const rows = new Float32Array(n * dim);
  const steps = new Int32Array(n);
  const names = parts.length > 0 ? Object.keys(parts[0].slots) : [];
  const slots: Record<string, Float32Array> = {};
  for (const name of names) slots[name] = new Float32Array(n * dim);
  order.forEach(([i, k], j) => {
    const p = parts[i];
    ids[j] = p.ids[k];
    steps[j] = p.steps[k];
    rows.set(p.rows.subarray(k * dim, k * dim + dim), j * dim);
    for (const name of names)
      slots[name].set(p.slots[name].subarray(k * dim, k * dim + dim), j * dim);
  });
  return { ids, rows, slots, steps };
}

/** The rows of a snapshot whose ids satisfy `keep`, in the same (sorted) order. */
export function filterSnapshot(
  snap: SparseTableSnapshot,
  dim: number,
  keep: (id: number) => boolean,
): SparseTableSnapshot {
  const chosen: number[] = [];
  for (let k = 0; k < snap.ids.length; k++) if (keep(snap.ids[k])) chosen.push(k);
  const n = chosen.length;
  const out: SparseTableSnapshot = {
    ids: new Int32Array(n),
    rows: new Float32Array(n * dim),
    steps: new Int32Array(n),
    slots: {},
  };
  for (const name of Object.keys(snap.slots)) out.slots[name] = new Float32Array(n * dim);
  chosen.forEach((k, j) => {
    out.ids[j] = snap.ids[k];
    out.steps[j] = snap.steps[k];
    out.rows.set(snap.rows.subarray(k * dim, k * dim + dim), j * dim);
    for (const name of Object.keys(snap.slots))
      out.slots[name].set(snap.slots[name].subarray(k * dim, k * dim + dim), j * dim);
  });
  return out;
}

/** Checkpoint tensor names of a table snapshot under `prefix` (ids and steps stored bit-cast). */
export function snapshotTensors(
  prefix: string,
  snap: SparseTableSnapshot,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  out.set(`${prefix}.ids`, new Float32Array(snap.ids.buffer, snap.ids.byteOffset, snap.ids.length));
  out.set(
    `${prefix}.steps`,
    new Float32Array(snap.steps.buffer, snap.steps.byteOffset, snap.steps.length),
  );
  out.set(`${prefix}.rows`, snap.rows);
  for (const [name, v] of Object.entries(snap.slots)) out.set(`${prefix}.rows#${name}`, v);
  return out;
}

/** The table snapshot stored by `snapshotTensors`, or undefined when the checkpoint has none. */
export function snapshotFromTensors(
  prefix: string,
  tensors: ReadonlyMap<string, Float32Array>,
  kind: SparseOptimizerKind,
): SparseTableSnapshot | undefined {
  const ids = tensors.get(`${prefix}.ids`);
  const steps = tensors.get(`${prefix}.steps`);
  const rows = tensors.get(`${prefix}.rows`);
  if (!ids || !steps || !rows) return undefined;
  const slots: Record<string, Float32Array> = {};
  for (const name of slotNamesOf(kind)) {
    const v = tensors.get(`${prefix}.rows#${name}`);
    if (!v) throw new RangeError(`checkpoint lacks table slot '${prefix}.rows#${name}'`);
    slots[name] = v;
  }
  const asInt = (f: Float32Array) =>
    Int32Array.from(new Int32Array(f.buffer, f.byteOffset, f.length));
  return { ids: asInt(ids), steps: asInt(steps), rows, slots };
}
