// A typed array that grows by doubling while rows of unknown count are read, then hands out its filled
// prefix; ingest keeps node and edge columns this way between reading and writing.

type Ctor<T> = { new (n: number): T };
type Growable = Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array;

export class GrowableArray<T extends Growable> {
  private data: T;
  length = 0;

  constructor(
    private readonly ctor: Ctor<T>,
    capacity = 1024,
  ) {
    this.data = new ctor(Math.max(1, capacity));
  }

  /** Makes room for `n` more values; returns the backing array (valid until the next reserve). */
  reserve(n: number): T {
    if (this.length + n > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < this.length + n) cap *= 2;
      const next = new this.ctor(cap);
      next.set(this.data.subarray(0, this.length) as never);
      this.data = next;
    }
    return this.data;
  }

  push(v: number): void {
    this.reserve(1)[this.length++] = v;
  }

  /** The values so far (a view; copy it before pushing more if it must last). */
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}
