/** Small numeric helpers shared by the benchmark sections. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Quantile by linear interpolation between order statistics (q in [0, 1]). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (at - lo);
}

export function max(values: readonly number[]): number {
  return values.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
}

/** Milliseconds elapsed since `start` (a process.hrtime.bigint() value). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: msSince(start) };
}

/** Rounds to `digits` significant digits (for results.json: noise beyond that is not information). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale = 10 ** (digits - Math.ceil(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

/**
 * Deterministic PRNG (mulberry32): 32-bit state, plenty for test data. One instance per stream, seeded by label,
 * so that changing one stream does not reshuffle another.
 */
export class Rng {
  private state: number;

  constructor(label: string, seed = 20261125) {
    let h = 0x811c9dc5;
    for (let i = 0; i < label.length; i++) {
      h ^= label.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    this.state = (h ^ seed) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }

  /** Integer in [min, max]. */
  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A version-4 UUID built from four 32-bit draws (fast enough for millions of records). */
  uuid(): string {
    const a = this.u32().toString(16).padStart(8, '0');
    const b = this.u32().toString(16).padStart(8, '0');
    const c = this.u32().toString(16).padStart(8, '0');
    const d = this.u32().toString(16).padStart(8, '0');
    const variant = '89ab'[(this.u32() >>> 30) & 3];
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
}
