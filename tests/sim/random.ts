/**
 * The simulation's only source of chance: a small seeded generator (sfc32, seeded through
 * splitmix32) with the few draws the harness needs. Every choice of a run — device actions,
 * network faults, the order of deliveries, clocks, ids — comes from one of these, so a run
 * replays exactly from its seed. `fork` gives a part of the world (a device) a stream of its
 * own, so that adding a draw in one place does not shift every draw after it elsewhere.
 */

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const mix = splitmix32(seed);
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    // Warm up, so that nearby seeds give unrelated streams.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  /** One of `choices` with probability proportional to its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let point = this.next() * total;
    for (const [choice, weight] of choices) {
      if (point < weight) return choice;
      point -= weight;
    }
    const last = choices.at(-1);
    if (last === undefined) throw new Error('weighted choice from an empty list');
    return last[0];
  }

  /** A new generator whose stream depends only on this one's state and `salt`. */
  fork(salt: number): Random {
    return new Random((this.uint32() ^ Math.imul(salt + 1, 0x9e3779b1)) >>> 0);
  }

  /** A lower-case UUIDv7 whose time is `wallMs` and whose other bits come from this stream. */
  uuidv7(wallMs: number): string {
    const time = Math.max(0, Math.floor(wallMs)).toString(16).padStart(12, '0').slice(-12);
    const hex = (n: number) => this.uint32().toString(16).padStart(8, '0').slice(0, n);
    const variant = (8 + this.int(0, 3)).toString(16);
    return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(3)}-${variant}${hex(3)}-${hex(4)}${hex(8)}`;
  }
}
