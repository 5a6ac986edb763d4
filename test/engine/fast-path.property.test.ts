/**
 * The ingest fast path's tracker (lib/engine/fast-path.ts) against a brute-force oracle over the events it was fed:
 * sound (hot ⇒ some window the evaluator looks at holds the threshold) and, for a stream one container sees whole,
 * complete (such a window ⇒ hot when the event that completes it is fed), in any arrival order.
 */
import fc from 'fast-check';
import { type FastPathSettings, FastPathTracker, type TrackedEvent } from '../../lib/engine/fast-path';
import { BUCKET_MS } from '../../lib/engine/window';

const NOW = Date.UTC(2026, 10, 26, 12, 30, 17);
const NOW_BUCKET = Math.floor(NOW / BUCKET_MS);

/** Oracle: does some window of B buckets ending in [n - L, n] hold ≥ T of `key`'s events (or distinct tokens)? */
function oracle(events: readonly TrackedEvent[], key: string, s: FastPathSettings, nowBucket = NOW_BUCKET): boolean {
  const width = s.windowMinutes + 1;
  for (let end = nowBucket - s.latenessMinutes; end <= nowBucket; end++) {
    const inWindow = events.filter((e) => e.key === key && e.bucket > end - width && e.bucket <= end);
    const measure =
      s.count === 'events'
        ? new Set(inWindow.map((e) => e.eventId)).size
        : new Set(inWindow.flatMap((e) => e.values)).size;
    if (measure >= s.threshold) return true;
  }
  return false;
}

const settingsArb = fc.record({
  threshold: fc.integer({ min: 1, max: 6 }),
  windowMinutes: fc.integer({ min: 1, max: 5 }),
  latenessMinutes: fc.integer({ min: 0, max: 4 }),
  suppressionMinutes: fc.integer({ min: 1, max: 60 }),
  count: fc.constantFrom('events' as const, 'distinct-secrets' as const),
});

/** Events of three keys in buckets around the look-back (some older: ignored by both), with redeliveries. */
const streamArb = fc
  .tuple(
    fc.array(
      fc.record({
        key: fc.constantFrom('AIDAKEYA', 'AIDAKEYB', 'AIDAKEYC'),
        bucket: fc.integer({ min: NOW_BUCKET - 12, max: NOW_BUCKET }),
        values: fc.array(fc.constantFrom('s1', 's2', 's3', 's4', 's5', 's6', 's7'), { minLength: 1, maxLength: 3 }),
      }),
      { maxLength: 70 },
    ),
    fc.array(fc.nat(), { maxLength: 10 }),
  )
  .map(([xs, again]) => {
    const events: TrackedEvent[] = xs.map((x, i) => ({ ...x, eventId: `e${i}` }));
    // At-least-once delivery: the same event again, anywhere later in the stream.
    for (const n of again) if (events.length > 0) events.push(events[n % events.length] as TrackedEvent);
    return events;
  });

describe('FastPathTracker', () => {
  test('is sound and, for a stream one container sees whole, complete: hot exactly when the completing event is fed', () => {
    fc.assert(
      fc.property(settingsArb, streamArb, (settings, stream) => {
        // Prepare
        const tracker = new FastPathTracker(settings);
        for (const [i, e] of stream.entries()) {
          // Act
          const hot = tracker.observe([e], NOW);
          // Assess: sound at every step
          const seen = stream.slice(0, i + 1);
          for (const key of hot) {
            expect({ i, key, crosses: oracle(seen, key, settings) }).toEqual({ i, key, crosses: true });
          }
          // complete: reported at the step at which the oracle first holds
          if (oracle(seen, e.key, settings) && !oracle(stream.slice(0, i), e.key, settings)) {
            expect({ i, key: e.key, reported: hot.includes(e.key) }).toEqual({ i, key: e.key, reported: true });
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  test('stays sound when its limits evict keys (it may then miss, never invent)', () => {
    fc.assert(
      fc.property(
        settingsArb,
        streamArb,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 8 }),
        (s, stream, maxKeys, maxEntries) => {
          const tracker = new FastPathTracker(s, { maxKeys, maxEntries });
          for (const [i, e] of stream.entries()) {
            for (const key of tracker.observe([e], NOW)) expect(oracle(stream.slice(0, i + 1), key, s)).toBe(true);
            expect(tracker.size.keys).toBeLessThanOrEqual(maxKeys);
            // One key's entries may exceed the budget on its own (it is never evicted while being fed).
            expect(tracker.size.entries).toBeLessThanOrEqual(
              Math.max(maxEntries, s.threshold * (s.windowMinutes + 1 + s.latenessMinutes)),
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  const DEFAULTS: FastPathSettings = {
    threshold: 20,
    windowMinutes: 9,
    latenessMinutes: 10,
    suppressionMinutes: 60,
    count: 'events',
  };
  const burst = (key: string, n: number, bucket = NOW_BUCKET): TrackedEvent[] =>
    Array.from({ length: n }, (_, i) => ({ key, bucket, eventId: `${key}-${i}`, values: [`s${i % 3}`] }));

  test('reports a 20-event burst at its 20th event, once per suppression period after the hand-off', () => {
    // Prepare
    const tracker = new FastPathTracker(DEFAULTS);
    const events = burst('AIDAKEYA', 25);
    // Act
    const reports = events.map((e) => tracker.observe([e], NOW));
    // Assess: hot from the 20th event on while nothing was handed off
    expect(reports.findIndex((r) => r.length > 0)).toBe(19);
    expect(reports.slice(19).every((r) => r[0] === 'AIDAKEYA')).toBe(true);
    // Act: handed off -> quiet for SUPPRESSION_MINUTES, then it may be reported again
    tracker.handOff(['AIDAKEYA'], NOW);
    const quiet = tracker.observe(burst('AIDAKEYA', 30), NOW + 59 * 60_000);
    const after = tracker.observe(burst('AIDAKEYA', 30, NOW_BUCKET + 60), NOW + 60 * 60_000);
    // Assess
    expect(quiet).toEqual([]);
    expect(after).toEqual(['AIDAKEYA']);
  });

  test('counts distinct tokens under COUNT=distinct-secrets: 20 reads of 3 secrets are not hot', () => {
    const tracker = new FastPathTracker({ ...DEFAULTS, count: 'distinct-secrets' });
    expect(tracker.observe(burst('AIDAKEYA', 40), NOW)).toEqual([]);
  });

  test('a burst split across two containers is hot in neither (the scheduled evaluator alerts it)', () => {
    const [a, b] = [new FastPathTracker(DEFAULTS), new FastPathTracker(DEFAULTS)];
    const events = burst('AIDAKEYA', 20);
    expect(
      a.observe(
        events.filter((_, i) => i % 2 === 0),
        NOW,
      ),
    ).toEqual([]);
    expect(
      b.observe(
        events.filter((_, i) => i % 2 === 1),
        NOW,
      ),
    ).toEqual([]);
  });

  test('forgets buckets older than the look-back and windows the evaluator no longer looks at', () => {
    const tracker = new FastPathTracker(DEFAULTS);
    // 19 events 25 minutes ago and one now: never in one window the evaluator reads.
    expect(tracker.observe(burst('AIDAKEYA', 19, NOW_BUCKET - 25), NOW)).toEqual([]);
    expect(tracker.size.entries).toBe(0);
    expect(tracker.observe([{ key: 'AIDAKEYA', bucket: NOW_BUCKET, eventId: 'x', values: [] }], NOW)).toEqual([]);
  });

  test('keeps memory bounded: at most maxKeys keys and about maxEntries entries', () => {
    const tracker = new FastPathTracker(DEFAULTS, { maxKeys: 100, maxEntries: 500 });
    for (let k = 0; k < 1000; k++) tracker.observe(burst(`AIDAKEY${k}`, 10), NOW);
    expect(tracker.size.keys).toBeLessThanOrEqual(100);
    expect(tracker.size.entries).toBeLessThanOrEqual(500);
  });
});
