/**
 * Figure 7, what burst summaries add: one alerted burst (`events` reads of distinct secrets by one identity over
 * `minutes` minutes) is recorded through the real DynamoDbWindowStore on dynalite; then the scheduled evaluation runs
 * every minute from the first event until QUIET_MINUTES after the last one, twice in the same run on fresh tables:
 * as shipped, and as the baseline evaluator that never looks for open threads (what ran before summaries). Both are
 * metered as AWS bills (bench/dynamo.ts); the difference divided by the burst's events is the extra cost per
 * qualifying event of an alerted burst. Bursts that never alert pay nothing: their buckets live SUPPRESSION_MINUTES
 * longer (storage, reported as a computed factor), and `openThreads` costs one Query of an empty index partition per
 * evaluation (0.5 RU, measured in the idle column).
 */
import { DynamoDbWindowStore } from '../lib/adapters/store/dynamodb';
import { DEFAULTS } from '../lib/config/load';
import { Detector } from '../lib/engine/detector';
import { type EvaluationSettings, runEvaluation } from '../lib/engine/evaluate';
import type { AlertPublisher, CountedEvent, WindowStore } from '../lib/engine/ports';
import { BUCKET_MS, bucketsPerWindow } from '../lib/engine/window';
import { type LocalDynamo, meterReads, meterWrites, totalReadUnits, totalWriteUnits } from './dynamo';
import { principal, secretRead } from './generate';
import { Rng } from './stats';

export interface SummaryCostOptions {
  readonly events: number;
  readonly minutes: number;
  /** QUIET_MINUTES for this figure (default: the built-in default); the smoke run shortens it. */
  readonly quietMinutes?: number;
  readonly log: (line: string) => void;
}

export interface SummaryCost {
  readonly events: number;
  readonly evaluations: number;
  readonly summaries: number;
  readonly baseline: { readonly readUnits: number; readonly writeUnits: number };
  readonly withSummaries: { readonly readUnits: number; readonly writeUnits: number };
  /** Extra read and write units per qualifying event of the alerted burst. */
  readonly extraReadUnitsPerEvent: number;
  readonly extraWriteUnitsPerEvent: number;
  /** Extra read units of an evaluation with nothing active and no thread open (mutes and open-thread Queries). */
  readonly idleEvaluationExtraReadUnits: number;
  /** Computed: how much longer bucket items live (bucket expiry with suppression over expiry without). */
  readonly bucketStorageFactor: number;
}

const DEFAULT_SETTINGS: EvaluationSettings = { ...DEFAULTS };
const START = Date.UTC(2026, 10, 25, 14, 0, 0);

function burst(detector: Detector, options: SummaryCostOptions): CountedEvent[] {
  // Identity and secrets are seeded: both variants see the same events.
  const rng = new Rng('summary-burst');
  const who = principal(rng, 'summary');
  const out: CountedEvent[] = [];
  for (let i = 0; i < options.events; i++) {
    const t = START + Math.floor((i * options.minutes * BUCKET_MS) / options.events);
    const p = detector.prepare(JSON.parse(secretRead(rng, t, who, i)));
    if (p.ok) out.push(p.event);
  }
  return out;
}

async function run(
  dynamo: LocalDynamo,
  events: readonly CountedEvent[],
  summaries: boolean,
  options: SummaryCostOptions,
  settings: EvaluationSettings,
): Promise<{ readUnits: number; writeUnits: number; evaluations: number; published: number; idle: number }> {
  const table = await dynamo.table(summaries ? 'bench-summary' : 'bench-summary-base');
  const recorder = new DynamoDbWindowStore(dynamo.client(), { tableName: table });
  const saturation = settings.threshold * settings.saturationFactor;
  for (const e of events) await recorder.record([e], { saturation, now: e.context.eventTime + 1000 });
  const client = dynamo.client();
  const reads = meterReads(client);
  const writes = meterWrites(client);
  const shipped = new DynamoDbWindowStore(client, { tableName: table });
  // The baseline: the same store, but no thread is ever open, so no summary work happens.
  const store: WindowStore = summaries
    ? shipped
    : new Proxy(shipped, {
        get: (target, name, receiver) =>
          name === 'openThreads' ? async () => [] : Reflect.get(target, name, receiver),
      });
  let published = 0;
  const publisher: AlertPublisher = {
    publish: async (n) => {
      if (n.kind === 'summary') published++;
    },
  };
  const first = Math.floor(START / BUCKET_MS);
  const last = first + options.minutes + settings.quietMinutes + 1;
  let evaluations = 0;
  for (let minute = first; minute <= last; minute++) {
    await runEvaluation(store, publisher, settings, (minute + 1) * BUCKET_MS - 1);
    evaluations++;
  }
  // One more evaluation long after the burst: nothing active, no thread open.
  const before = totalReadUnits(reads);
  await runEvaluation(store, publisher, settings, (last + 24 * 60) * BUCKET_MS);
  const idle = totalReadUnits(reads) - before;
  return {
    readUnits: before,
    writeUnits: totalWriteUnits(writes),
    evaluations,
    published,
    idle,
  };
}

export async function benchSummaryCost(dynamo: LocalDynamo, options: SummaryCostOptions): Promise<SummaryCost> {
  const settings = { ...DEFAULT_SETTINGS, quietMinutes: options.quietMinutes ?? DEFAULT_SETTINGS.quietMinutes };
  const detector = new Detector(settings);
  const events = burst(detector, options);
  const baseline = await run(dynamo, events, false, options, settings);
  const shipped = await run(dynamo, events, true, options, settings);
  const n = events.length;
  const result: SummaryCost = {
    events: n,
    evaluations: shipped.evaluations,
    summaries: shipped.published,
    baseline: { readUnits: baseline.readUnits, writeUnits: baseline.writeUnits },
    withSummaries: { readUnits: shipped.readUnits, writeUnits: shipped.writeUnits },
    extraReadUnitsPerEvent: (shipped.readUnits - baseline.readUnits) / n,
    extraWriteUnitsPerEvent: (shipped.writeUnits - baseline.writeUnits) / n,
    idleEvaluationExtraReadUnits: shipped.idle - baseline.idle,
    bucketStorageFactor:
      (bucketsPerWindow(settings) + settings.latenessMinutes + settings.suppressionMinutes + 5) /
      (bucketsPerWindow(settings) + settings.latenessMinutes + 5),
  };
  options.log(
    `summary: ${n} events, ${shipped.evaluations} evaluations, ${shipped.published} summary; ` +
      `baseline ${baseline.readUnits} RU / ${baseline.writeUnits} WU, with summaries ${shipped.readUnits} RU / ${shipped.writeUnits} WU`,
  );
  return result;
}
