/**
 * The fast path's invariants (lib/engine/fast-path.ts) for any dealing of a key's events over k containers and any
 * interleaving of their bucket and summary writes, on the protocol model (bench/fast-path-model.ts), against a
 * brute-force oracle that enumerates every window of the written events.
 */
import fc from 'fast-check';
import { FastPathModel, type InFlight } from '../../bench/fast-path-model';
import { type FastPathSettings, QuietKeys } from '../../lib/engine/fast-path';
import { BUCKET_MS } from '../../lib/engine/window';

const NOW_BUCKET = 29_000_000;
const NOW = NOW_BUCKET * BUCKET_MS + 30_000;

interface Written {
  readonly bucket: number;
  readonly tokens: readonly string[];
}

/** Brute force: does some window ending in [now - L, now] hold ≥ T of the events (or distinct tokens) in `events`? */
function oracle(events: readonly Written[], s: FastPathSettings): boolean {
  const width = s.windowMinutes + 1;
  for (let end = NOW_BUCKET - s.latenessMinutes; end <= NOW_BUCKET; end++) {
    const inside = events.filter((e) => e.bucket > end - width && e.bucket <= end);
    const measure = s.count === 'events' ? inside.length : new Set(inside.flatMap((e) => e.tokens)).size;
    if (measure >= s.threshold) return true;
  }
  return false;
}

/** The events of buckets holding two or more, or whose single event was summarised (or crossed on its own). */
function covered(written: readonly Written[], summarisedSingles: ReadonlySet<number>): Written[] {
  return written.filter(
    (w) => summarisedSingles.has(w.bucket) || written.filter((x) => x.bucket === w.bucket).length >= 2,
  );
}

const settingsArb = fc.record({
  threshold: fc.integer({ min: 2, max: 8 }),
  windowMinutes: fc.integer({ min: 0, max: 3 }),
  latenessMinutes: fc.integer({ min: 0, max: 2 }),
  suppressionMinutes: fc.constant(5),
  count: fc.constantFrom('events' as const, 'distinct-secrets' as const),
});

const scenarioArb = settingsArb.chain((settings) =>
  fc.record({
    settings: fc.constant(settings),
    containers: fc.integer({ min: 1, max: 8 }),
    events: fc.array(
      fc.record({
        // Every bucket an evaluation at NOW looks at, and one just before (outside every window).
        offset: fc.integer({ min: 0, max: settings.latenessMinutes + settings.windowMinutes + 1 }),
        tokens: fc.subarray(['a', 'b', 'c', 'd', 'e', 'f'], { minLength: 1, maxLength: 2 }),
        container: fc.nat(),
      }),
      { maxLength: 30 },
    ),
    // Which ready step runs next: the next event's bucket write, or any in-flight summary write.
    schedule: fc.array(fc.nat(), { maxLength: 80 }),
  }),
);

describe('fast path: crossing learned from the store writes, over k containers', () => {
  it('sound (told only when the store holds a crossing) and no miss (one of the writers is told)', () => {
    fc.assert(
      fc.property(scenarioArb, ({ settings, containers, events, schedule }) => {
        const model = new FastPathModel(settings, containers);
        const written: Written[] = [];
        const inFlight: InFlight[] = [];
        const summarisedSingles = new Set<number>();
        let told = false;
        let next = 0;
        let step = 0;
        const tell = (crossed: boolean) => {
          if (!crossed) return;
          // Sound: the buckets (everything written so far) hold a crossing window.
          expect(oracle(written, settings)).toBe(true);
          told = true;
        };
        while (next < events.length || inFlight.length > 0) {
          const ready = (next < events.length ? 1 : 0) + inFlight.length;
          const pick = (schedule[step++] ?? 0) % ready;
          if (next < events.length && pick === 0) {
            const e = events[next++] as (typeof events)[number];
            const bucket = NOW_BUCKET - e.offset;
            written.push({ bucket, tokens: e.tokens });
            const r = model.writeBucket(e.container % containers, { bucket, tokens: e.tokens }, NOW);
            if (r.pending) inFlight.push(r.pending);
            if (r.pending?.after.events === 1 || r.crossed) summarisedSingles.add(bucket);
            tell(r.crossed);
          } else {
            const [p] = inFlight.splice(pick - (next < events.length ? 1 : 0), 1);
            tell(model.writeSummary(p as InFlight));
          }
        }
        // No miss: a crossing made of buckets with two or more events, or summarised single ones, was told.
        if (oracle(covered(written, summarisedSingles), settings)) expect(told).toBe(true);
        // And told implies the whole store crossed (bounded), checked above at each telling.
      }),
      { numRuns: 400 },
    );
  });

  it('one container sees every event: the writer of the crossing event is told once a minute held two events', () => {
    fc.assert(
      fc.property(scenarioArb, ({ settings, events }) => {
        const s = { ...settings, count: 'events' as const };
        const model = new FastPathModel(s, 1);
        const written: Written[] = [];
        const from = NOW_BUCKET - s.latenessMinutes - s.windowMinutes; // summaryRange(NOW).from
        let crossedAt = -1;
        let toldAt = -1;
        let warmAtCrossing = false;
        events.forEach((e, i) => {
          const bucket = NOW_BUCKET - e.offset;
          written.push({ bucket, tokens: e.tokens });
          const r = model.writeBucket(0, { bucket, tokens: e.tokens }, NOW);
          const told = r.crossed || (r.pending !== undefined && model.writeSummary(r.pending));
          if (told && toldAt < 0) toldAt = i;
          if (crossedAt < 0 && oracle(written, s)) {
            crossedAt = i;
            warmAtCrossing = written.some(
              (w) => w.bucket >= from && written.filter((x) => x.bucket === w.bucket).length >= 2,
            );
          }
        });
        if (toldAt >= 0) expect(toldAt).toBeGreaterThanOrEqual(crossedAt);
        if (crossedAt >= 0 && warmAtCrossing) expect(toldAt).toBe(crossedAt);
      }),
      { numRuns: 400 },
    );
  });

  it('QuietKeys hands a key off for SUPPRESSION_MINUTES, then reports it again', () => {
    const quiet = new QuietKeys({ suppressionMinutes: 2 });
    expect(quiet.hot(['k', 'k', 'j'], 0)).toEqual(['k', 'j']);
    quiet.handOff(['k'], 0);
    expect(quiet.hot(['k', 'j'], 60_000)).toEqual(['j']);
    expect(quiet.hot(['k'], 120_000)).toEqual(['k']);
  });
});
