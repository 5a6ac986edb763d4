/**
 * The reused-buffer gunzip (lib/adapters/io/gunzip.ts) against zlib's own gunzipSync: the same bytes whenever
 * gunzipSync succeeds, a throw whenever it throws, over random, multi-member, corrupt, truncated and oversized input,
 * and calls in a row never disturbing each other's results (each is copied before the next call).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { GunzipError, gunzip, reusesBuffer } from '../../lib/adapters/io/gunzip';

type Outcome = { ok: true; bytes: Buffer } | { ok: false };

function reference(data: Buffer, max: number): Outcome {
  try {
    return { ok: true, bytes: gunzipSync(data, { maxOutputLength: max }) };
  } catch {
    return { ok: false };
  }
}

function ours(data: Buffer, max: number): Outcome {
  try {
    // Copied at once: the result is a view of a buffer the next call reuses.
    return { ok: true, bytes: Buffer.from(gunzip(data, max)) };
  } catch {
    return { ok: false };
  }
}

/** Text that compresses like JSON does, or random bytes that do not compress at all. */
const payload = fc.oneof(
  fc.string({ maxLength: 3000 }).map((s) => Buffer.from(s.repeat(1 + (s.length % 7)))),
  fc.uint8Array({ maxLength: 4000 }).map((a) => Buffer.from(a)),
);

const input = fc
  .record({
    members: fc.array(payload, { minLength: 1, maxLength: 3 }),
    damage: fc.constantFrom('none', 'none', 'none', 'truncate', 'flip', 'trailing-garbage', 'not-gzip'),
    at: fc.nat(),
    max: fc.constantFrom(1024 * 1024, 5000, 100),
  })
  .map(({ members, damage, at, max }) => {
    let data = Buffer.concat(members.map((m) => gzipSync(m)));
    const i = at % data.length;
    if (damage === 'truncate') data = data.subarray(0, i);
    if (damage === 'flip')
      data = Buffer.from(data).fill(data[i] === undefined ? 0 : (data[i] as number) ^ 0x55, i, i + 1);
    if (damage === 'trailing-garbage') data = Buffer.concat([data, Buffer.from('garbage')]);
    if (damage === 'not-gzip') data = Buffer.from(members[0] as Buffer);
    return { data, max };
  });

describe('gunzip with a reused buffer', () => {
  it('uses the reused buffer on this Node (else the tests below would only compare gunzipSync with itself)', () => {
    expect(reusesBuffer()).toBe(true);
  });

  it('gives exactly what gunzipSync gives, and fails exactly when it fails', () => {
    let succeeded = 0;
    let failed = 0;
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 4 }), (calls) => {
        // Several calls in a row: a failure or a large result must not disturb the next one.
        for (const { data, max } of calls) {
          const want = reference(data, max);
          const got = ours(data, max);
          expect(got.ok).toBe(want.ok);
          if (want.ok && got.ok) {
            expect(got.bytes.equals(want.bytes)).toBe(true);
            succeeded++;
          } else failed++;
        }
      }),
      { numRuns: 400 },
    );
    // Both kinds of outcome were exercised.
    expect(succeeded).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(50);
  });

  it('grows past its first buffer and still matches, then keeps working on small files', () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 'abcdefgh');
    const zipped = gzipSync(big, { level: 1 });
    expect(gunzip(zipped, 64 * 1024 * 1024).equals(big)).toBe(true);
    expect(() => gunzip(zipped, 10 * 1024 * 1024)).toThrow(GunzipError);
    const small = Buffer.from('{"Records":[]}');
    expect(gunzip(gzipSync(small), 1024).equals(small)).toBe(true);
  });

  it('falls back to gunzipSync on a Node whose zlib objects lack the internals it drives', () => {
    // A Node version condition no real input can produce: simulated by hiding the native handle.
    jest.isolateModules(() => {
      jest.doMock('node:zlib', () => {
        const actual = jest.requireActual<typeof import('node:zlib')>('node:zlib');
        return {
          ...actual,
          createGunzip: () => Object.defineProperty(actual.createGunzip(), '_handle', { value: undefined }),
        };
      });
      const fallback = require('../../lib/adapters/io/gunzip') as typeof import('../../lib/adapters/io/gunzip');
      const text = Buffer.from('{"Records":[]}'.repeat(100));
      expect(fallback.reusesBuffer()).toBe(false);
      expect(fallback.gunzip(gzipSync(text), 1 << 20).equals(text)).toBe(true);
      expect(() => fallback.gunzip(gzipSync(text), 10)).toThrow();
    });
    jest.dontMock('node:zlib');
  });
});
