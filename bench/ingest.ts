/**
 * Figure 2, ingest cost per qualifying event, billed as AWS bills it: the real ingest handler logic
 * (handleIngest → Detector → DynamoDbWindowStore) against dynalite, one EventBridge event per invocation, with the
 * write meter of test/support/capacity.ts (1 WU per started KB of the larger of the item before and after, failed
 * conditional writes included, plus index writes) and the read meter of ./dynamo.ts.
 *
 * Shapes: (a) 1 000 identities at one event a minute each, (b) one identity at 5 000 events a minute enumerating
 * 500 secrets, in one container and dealt round-robin over four containers (each with its own view of the bucket).
 * (c) 100 identities (30 in --quick) at three events a minute each (below the threshold), dealt at random over four containers: the
 * price of the fast path's summary for keys whose minutes hold more than one event.
 * The ingest fast path is on (as deployed with a topic), so its summary writes, read-backs and the evaluation of a
 * crossing key are billed with the counting.
 *
 * The handler's own time per invocation (engine + SDK marshalling, without the round trips to DynamoDB) is taken
 * as wall time minus the time spent inside HTTP round trips; invocations run one at a time so the two separate.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbWindowStore } from '../lib/adapters/store/dynamodb';
import { createTelemetry } from '../lib/adapters/telemetry';
import { DEFAULTS } from '../lib/config/load';
import { Detector } from '../lib/engine/detector';
import { QuietKeys } from '../lib/engine/fast-path';
import type { AlertPublisher } from '../lib/engine/ports';
import { type FastPathDeps, handleIngest } from '../lib/usecases/ingest';
import {
  clockNetwork,
  type LocalDynamo,
  meterReads,
  meterWrites,
  type NetworkClock,
  totalReadUnits,
  totalWriteUnits,
} from './dynamo';
import { eventBridgeEnvelope, type Principal, principal, secretRead } from './generate';
import { median, msSince, Rng } from './stats';

export interface IngestShape {
  readonly name: string;
  readonly description: string;
  readonly events: number;
  readonly counted: number;
  readonly saturated: number;
  readonly tableWriteUnits: number;
  readonly indexWriteUnits: number;
  readonly conditionalFailures: number;
  readonly writeUnitsPerEvent: number;
  readonly readUnitsPerEvent: number;
  /** Requests per event, by operation. */
  readonly requestsPerEvent: Record<string, number>;
  /** Median and mean wall time of one invocation against dynalite. */
  readonly handlerMedianMs: number;
  readonly handlerMeanMs: number;
  /** Time per invocation outside DynamoDB round trips (engine, SDK marshalling, signing): mean and median. */
  readonly ownMeanMs: number;
  readonly ownMedianMs: number;
  /** Mean round trips per invocation. */
  readonly roundTripsPerEvent: number;
  readonly largestItemBytes: number;
  readonly medianItemBytes: number;
}

export interface IngestOptions {
  /** Shape (a): identities, and minutes of one event each. */
  readonly identities: number;
  readonly minutes: number;
  /** Shape (b): events in the hot identity's minute (over 500 secrets). */
  readonly hotEvents: number;
  /** Shape (c): identities at three events a minute. */
  readonly steadyIdentities: number;
  readonly log: (line: string) => void;
}

const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);
/** Events reach ingest a couple of seconds after their eventTime (the exact delay changes no unit). */
const ARRIVAL_DELAY_MS = 2_000;

interface Invocation {
  readonly event: unknown;
  readonly now: number;
  /** Which container (store instance) handles it. */
  readonly container: number;
}

async function run(
  dynamo: LocalDynamo,
  name: string,
  description: string,
  containers: number,
  invocations: readonly Invocation[],
  fastPathOn = true,
): Promise<IngestShape> {
  const client: DynamoDBClient = dynamo.client();
  const writes = meterWrites(client);
  const reads = meterReads(client);
  const network: NetworkClock = clockNetwork(client);
  const tableName = await dynamo.table(`bench-ingest-${name}`);
  const detector = new Detector(DEFAULTS);
  const telemetry = createTelemetry('rsr-ingest-bench', 'ERROR');
  const stores = Array.from(
    { length: containers },
    () => new DynamoDbWindowStore(client, { tableName, consistentReads: true }),
  );
  // The fast path on, as deployed with a topic: its summary writes, read-backs and evaluations are billed here too.
  const publisher: AlertPublisher = { publish: async () => {} };
  const fastPaths: FastPathDeps[] = stores.map(() => ({ quiet: new QuietKeys(DEFAULTS), publisher, config: DEFAULTS }));
  const wall: number[] = [];
  const own: number[] = [];
  let counted = 0;
  let saturated = 0;
  for (const inv of invocations) {
    const store = stores[inv.container] as DynamoDbWindowStore;
    const fastPath = fastPathOn ? fastPaths[inv.container] : undefined;
    const networkBefore = network.ms;
    const start = process.hrtime.bigint();
    const stats = await handleIngest(inv.event, { detector, store, telemetry, fastPath }, inv.now);
    const ms = msSince(start);
    wall.push(ms);
    own.push(ms - (network.ms - networkBefore));
    if ('counted' in stats) {
      counted += stats.counted;
      saturated += stats.saturated;
    }
  }
  const events = invocations.length;
  const requestsPerEvent = Object.fromEntries(
    Object.entries({ ...writes.requests, ...reads.requests }).map(([op, n]) => [op, n / events]),
  );
  return {
    name,
    description,
    events,
    counted,
    saturated,
    tableWriteUnits: writes.tableWriteUnits,
    indexWriteUnits: writes.indexWriteUnits,
    conditionalFailures: writes.conditionalFailures,
    writeUnitsPerEvent: totalWriteUnits(writes) / events,
    readUnitsPerEvent: totalReadUnits(reads) / events,
    requestsPerEvent,
    handlerMedianMs: median(wall),
    handlerMeanMs: wall.reduce((s, v) => s + v, 0) / events,
    ownMeanMs: own.reduce((s, v) => s + v, 0) / events,
    ownMedianMs: median(own),
    roundTripsPerEvent: network.requests / events,
    largestItemBytes: writes.largestItem,
    medianItemBytes: median(writes.itemSizes),
  };
}

/** (a) `identities` callers, one read a minute each, for `minutes` minutes. */
function wide(identities: number, minutes: number): Invocation[] {
  const rng = new Rng('ingest-wide');
  const callers: Principal[] = Array.from({ length: identities }, (_, i) => principal(rng, `wide-${i}`));
  const out: Invocation[] = [];
  for (let m = 0; m < minutes; m++) {
    for (const [i, who] of callers.entries()) {
      const t = T0 + m * 60_000 + Math.floor((i * 60_000) / identities);
      out.push({
        event: eventBridgeEnvelope(rng, secretRead(rng, t, who, i % 480), t, who.region),
        now: t + ARRIVAL_DELAY_MS,
        container: 0,
      });
    }
  }
  return out;
}

/**
 * (c) keys at a moderate steady rate, below the threshold: `identities` callers, `perMinute` reads a minute each,
 * dealt at random over `containers`. Their minutes hold two or more events, so the fast path keeps their summaries.
 */
function steady(identities: number, perMinute: number, minutes: number, containers: number): Invocation[] {
  const rng = new Rng('ingest-steady');
  const callers: Principal[] = Array.from({ length: identities }, (_, i) => principal(rng, `steady-${i}`));
  const out: Invocation[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let k = 0; k < perMinute; k++) {
      for (const [i, who] of callers.entries()) {
        const t = T0 + m * 60_000 + Math.floor(((k * identities + i) * 60_000) / (identities * perMinute));
        out.push({
          event: eventBridgeEnvelope(rng, secretRead(rng, t, who, (i + k) % 480), t, who.region),
          now: t + ARRIVAL_DELAY_MS,
          container: rng.int(0, containers - 1),
        });
      }
    }
  }
  return out;
}

/** (b) one caller enumerating `secrets` secrets, `events` reads in one minute, dealt over `containers`. */
function hot(events: number, secrets: number, containers: number): Invocation[] {
  const rng = new Rng('ingest-hot');
  const who = principal(rng, 'exfil');
  return Array.from({ length: events }, (_, n) => {
    const t = T0 + Math.floor((n * 60_000) / events);
    return {
      event: eventBridgeEnvelope(rng, secretRead(rng, t, who, n % secrets), t, who.region),
      now: t + ARRIVAL_DELAY_MS,
      container: n % containers,
    };
  });
}

/**
 * Bytes the ingest handler writes to its log for one qualifying event at the default log level: the EMF metrics
 * line (metrics switched on for this one call, stdout captured). Lambda adds its own START/END/REPORT lines.
 */
export async function logBytesPerInvocation(dynamo: LocalDynamo): Promise<number> {
  const saved = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const telemetry = createTelemetry('rsr-ingest', 'INFO');
  if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = saved;
  const client = dynamo.client();
  const store = new DynamoDbWindowStore(client, { tableName: await dynamo.table('bench-ingest-log') });
  const [invocation] = wide(1, 1);
  if (!invocation) return 0;
  let bytes = 0;
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    return true;
  }) as typeof process.stdout.write;
  try {
    await handleIngest(invocation.event, { detector: new Detector(DEFAULTS), store, telemetry }, invocation.now);
  } finally {
    process.stdout.write = write;
  }
  return bytes;
}

export async function benchIngest(dynamo: LocalDynamo, options: IngestOptions): Promise<IngestShape[]> {
  const shapes: IngestShape[] = [];
  const add = (shape: IngestShape) => {
    shapes.push(shape);
    options.log(
      `ingest ${shape.name}: ${shape.writeUnitsPerEvent.toFixed(3)} WU/event (${shape.tableWriteUnits} table + ` +
        `${shape.indexWriteUnits} index, ${shape.conditionalFailures} failed conditions), ` +
        `${shape.readUnitsPerEvent.toFixed(3)} RU/event, handler ${shape.handlerMeanMs.toFixed(2)} ms ` +
        `(own ${shape.ownMeanMs.toFixed(2)} ms)`,
    );
  };
  const { identities, minutes, hotEvents, steadyIdentities } = options;
  add(
    await run(
      dynamo,
      'wide',
      `${identities} identities × 1 event/min, ${minutes} min, one container`,
      1,
      wide(identities, minutes),
    ),
  );
  const hotText = `1 identity × ${hotEvents} events/min over 500 secrets`;
  add(await run(dynamo, 'hot', `${hotText}, one container`, 1, hot(hotEvents, 500, 1)));
  add(await run(dynamo, 'hot4', `${hotText}, four containers`, 4, hot(hotEvents, 500, 4)));
  add(
    await run(
      dynamo,
      'steady',
      `${steadyIdentities} identities × 3 events/min, 2 min, random over four containers`,
      4,
      steady(steadyIdentities, 3, 2, 4),
    ),
  );
  // The same without the fast path: what the summary adds, apart from stale views and value texts.
  add(
    await run(
      dynamo,
      'steady-nofast',
      `${steadyIdentities} identities × 3 events/min, 2 min, random over four containers, fast path off`,
      4,
      steady(steadyIdentities, 3, 2, 4),
      false,
    ),
  );
  return shapes;
}
