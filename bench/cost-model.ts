/**
 * Figure 6, the monthly cost model, derived from the measured units (write and read units per event and per
 * evaluation, handler time per event, evaluator time per look-back item) and the stated assumptions below.
 * Prices: us-east-1, on-demand, no free tier. docs/PERFORMANCE.md explains every line.
 */
import type { EvaluationPoint } from './evaluator';
import type { IngestShape } from './ingest';

export const PRICES = {
  /** Lambda arm64, per GB-second (first tier) and per request. */
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  dynamoStorageGbMonth: 0.25,
  snsPublish: 0.5 / 1e6,
  sqsRequest: 0.4 / 1e6,
  /** EventBridge delivery of an event to another account's bus (organisation forwarding). */
  eventBridgeCrossAccount: 1 / 1e6,
  logsIngestGb: 0.5,
  customMetricMonth: 0.3,
  alarmMonth: 0.1,
  kmsKeyMonth: 1,
} as const;

export const ASSUMPTIONS = {
  /** Lambda gives 1 vCPU at 1 769 MB and CPU in proportion to memory below it; this machine's core ≈ one vCPU. */
  fullCpuMemoryMb: 1769,
  /** In-Region DynamoDB round trip of a small UpdateItem / Query as seen from Lambda. */
  dynamoRoundTripMs: 5,
  /** activeKeys: 160 Queries, 16 in flight = 10 sequential rounds; plus the pending-index Query and the claims. */
  evaluatorRoundTrips: 12,
  evaluatorRoundTripMs: 10,
  evaluatorRunsPerMonth: 43_200,
  daysPerMonth: 30,
  sqsBatchSize: 100,
  storeConcurrency: 16,
  /** SQS event source mapping polling while idle (5 pollers, 20 s long polls), requests a month. */
  sqsIdlePollsPerMonth: 650_000,
  alertsPerMonth: 30,
  /** Log bytes per ingest invocation: Lambda's START/END/REPORT lines plus the EMF metrics line. */
  platformLogBytesPerInvocation: 350,
  /** Custom metrics the functions publish (names × dimension sets), alarms and the topic's KMS key. */
  customMetrics: 20,
  alarms: 8,
  /** Bucket items stay in the table ~1 h past their minute, then up to ~2 days until TTL deletes them. */
  storageDaysResident: 2,
} as const;

export interface Scenario {
  readonly name: string;
  readonly eventsPerDay: number;
  /** Distinct identities reading secrets over a day. */
  readonly identities: number;
}

export const SCENARIOS: readonly Scenario[] = [
  { name: '1 k/day', eventsPerDay: 1_000, identities: 20 },
  { name: '100 k/day', eventsPerDay: 100_000, identities: 500 },
  { name: '10 M/day', eventsPerDay: 10_000_000, identities: 10_000 },
];

export interface CostLine {
  readonly item: string;
  /** Dollars a month per scenario, in SCENARIOS order. */
  readonly usd: number[];
  readonly basis: string;
}

export interface CostModel {
  readonly inputs: Record<string, number>;
  readonly scenarios: readonly (Scenario & { lookBackItems: number; bucketItemsPerDay: number })[];
  readonly lines: CostLine[];
  /** Totals per scenario: base deployment, with the SQS buffer, with organisation forwarding. */
  readonly totals: { readonly base: number[]; readonly withBuffer: number[]; readonly withForwarding: number[] };
}

/** Least-squares line through (x, y). */
function lineFit(points: readonly [number, number][]): { a: number; b: number } {
  const n = points.length;
  if (n === 0) return { a: 0, b: 0 };
  if (n === 1) return { a: (points[0] as [number, number])[1], b: 0 };
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const sxx = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const b = sxx === 0 ? 0 : sxy / sxx;
  return { a: my - b * mx, b };
}

/** The functions' memory sizes: the defaults of serverless.yml's ingestMemoryMb / evaluateMemoryMb parameters. */
export interface MemorySizes {
  readonly ingestMemoryMb: number;
  readonly evaluateMemoryMb: number;
}

export function memorySizes(serverlessYml: string): MemorySizes {
  const param = (name: string, fallback: number) => {
    const m = new RegExp(`^\\s+${name}: '?(\\d+)'?`, 'm').exec(serverlessYml);
    return m ? Number(m[1]) : fallback;
  };
  return { ingestMemoryMb: param('ingestMemoryMb', 256), evaluateMemoryMb: param('evaluateMemoryMb', 512) };
}

export function costModel(
  wide: IngestShape,
  evaluator: readonly EvaluationPoint[],
  logBytesPerInvocation: number,
  memory: MemorySizes,
): CostModel {
  const A = { ...ASSUMPTIONS, ...memory };
  const P = PRICES;
  const active = evaluator.filter((p) => p.expiredItems === 0);
  const ru = lineFit(active.map((p) => [p.activeKeysSeen, p.readUnitsTotal]));
  const busy = lineFit(active.map((p) => [p.activeKeysSeen, p.busyMs]));
  const ingestCpuScale = A.fullCpuMemoryMb / A.ingestMemoryMb;
  const evaluateCpuScale = A.fullCpuMemoryMb / A.evaluateMemoryMb;
  const ingestMs = Math.ceil(wide.ownMedianMs * ingestCpuScale + wide.roundTripsPerEvent * A.dynamoRoundTripMs);
  const batchMs = Math.ceil(
    A.sqsBatchSize * wide.ownMedianMs * ingestCpuScale +
      Math.ceil((A.sqsBatchSize * wide.roundTripsPerEvent) / A.storeConcurrency) * A.dynamoRoundTripMs,
  );
  const itemBytes = wide.medianItemBytes;

  const scenarios = SCENARIOS.map((s) => {
    // Poisson: the share of (identity, minute) pairs with at least one read is 1 - e^-λ.
    const lambda = s.eventsPerDay / (s.identities * 1440);
    const bucketsPerMinute = s.identities * (1 - Math.exp(-lambda));
    return {
      ...s,
      lookBackItems: Math.round(bucketsPerMinute * 20),
      bucketItemsPerDay: Math.round(bucketsPerMinute * 1440),
    };
  });
  const perMonth = (s: Scenario) => s.eventsPerDay * A.daysPerMonth;
  const lines: CostLine[] = [];
  const line = (item: string, basis: string, f: (s: (typeof scenarios)[number]) => number) =>
    lines.push({ item, basis, usd: scenarios.map(f) });

  line('Lambda ingest requests', 'one invocation per event', (s) => perMonth(s) * P.lambdaRequest);
  line(
    'Lambda ingest duration',
    `${ingestMs} ms billed per event at ${A.ingestMemoryMb} MB (own ${wide.ownMedianMs.toFixed(2)} ms × ${ingestCpuScale.toFixed(1)} CPU share + ${wide.roundTripsPerEvent.toFixed(2)} round trips × ${A.dynamoRoundTripMs} ms)`,
    (s) => perMonth(s) * (ingestMs / 1000) * (A.ingestMemoryMb / 1024) * P.lambdaGbSecond,
  );
  line(
    'DynamoDB writes (ingest)',
    `${wide.writeUnitsPerEvent.toFixed(2)} WU per event (measured, 1 000 identities × 1/min)`,
    (s) => perMonth(s) * wide.writeUnitsPerEvent * P.dynamoWriteUnit,
  );
  line(
    'DynamoDB reads (evaluator)',
    `RU per run = ${ru.a.toFixed(0)} + ${(ru.b * 1000).toFixed(1)} per 1 000 look-back items (fit of the measured runs) × ${A.evaluatorRunsPerMonth} runs`,
    (s) => Math.max(80.5, ru.a + ru.b * s.lookBackItems) * A.evaluatorRunsPerMonth * P.dynamoReadUnit,
  );
  line(
    'DynamoDB storage',
    `${itemBytes} B per bucket item, resident ~${A.storageDaysResident} days (TTL lag)`,
    (s) => ((s.bucketItemsPerDay * A.storageDaysResident * itemBytes) / 1e9) * P.dynamoStorageGbMonth,
  );
  line(
    'Lambda evaluator (requests + duration)',
    `${A.evaluatorRunsPerMonth} runs at ${A.evaluateMemoryMb} MB; busy ms = ${busy.a.toFixed(0)} + ${(busy.b * 1000).toFixed(0)} per 1 000 items, × ${evaluateCpuScale.toFixed(1)} CPU share, + ${A.evaluatorRoundTrips} round trips × ${A.evaluatorRoundTripMs} ms`,
    (s) => {
      const ms = Math.ceil(
        Math.max(0, busy.a + busy.b * s.lookBackItems) * evaluateCpuScale +
          A.evaluatorRoundTrips * A.evaluatorRoundTripMs,
      );
      return A.evaluatorRunsPerMonth * (P.lambdaRequest + (ms / 1000) * (A.evaluateMemoryMb / 1024) * P.lambdaGbSecond);
    },
  );
  line(
    'SNS',
    `${A.alertsPerMonth} alerts a month (email deliveries extra, $2 per 100 000)`,
    () => A.alertsPerMonth * P.snsPublish,
  );
  line(
    'CloudWatch Logs (ingest)',
    `${logBytesPerInvocation + A.platformLogBytesPerInvocation} B per invocation (EMF line measured + platform lines)`,
    (s) => ((perMonth(s) * (logBytesPerInvocation + A.platformLogBytesPerInvocation)) / 1e9) * P.logsIngestGb,
  );
  line(
    'Fixed: custom metrics, alarms, KMS key',
    `${A.customMetrics} metrics × $${P.customMetricMonth}, ${A.alarms} alarms × $${P.alarmMonth}, 1 key × $${P.kmsKeyMonth}`,
    () => A.customMetrics * P.customMetricMonth + A.alarms * P.alarmMonth + P.kmsKeyMonth,
  );
  const base = scenarios.map((_, i) => lines.reduce((sum, l) => sum + (l.usd[i] as number), 0));

  // Optional SQS buffer: EventBridge sends each event to SQS, Lambda reads batches of 100 (fewer, longer invocations).
  const buffer: CostLine = {
    item: 'Optional SQS buffer (replaces per-event ingest requests, duration and logs)',
    basis: `1 send per event + receive and delete per batch of ${A.sqsBatchSize} + idle polling; ${batchMs} ms billed per batch`,
    usd: scenarios.map((s) => {
      const events = perMonth(s);
      const batches = Math.ceil(events / A.sqsBatchSize);
      const sqs = (events + 2 * batches + A.sqsIdlePollsPerMonth) * P.sqsRequest;
      const lambda =
        batches * (P.lambdaRequest + (batchMs / 1000) * (A.ingestMemoryMb / 1024) * P.lambdaGbSecond) -
        events * P.lambdaRequest -
        events * (ingestMs / 1000) * (A.ingestMemoryMb / 1024) * P.lambdaGbSecond;
      const logs =
        ((batches - events) * (logBytesPerInvocation + A.platformLogBytesPerInvocation) * P.logsIngestGb) / 1e9;
      return sqs + lambda + logs;
    }),
  };
  const forwarding: CostLine = {
    item: 'Organisation forwarding (cross-account EventBridge)',
    basis: 'every qualifying event forwarded from a member account, $1 per million',
    usd: scenarios.map((s) => perMonth(s) * P.eventBridgeCrossAccount),
  };
  lines.push(buffer, forwarding);
  return {
    inputs: {
      ingestMemoryMb: A.ingestMemoryMb,
      evaluateMemoryMb: A.evaluateMemoryMb,
      writeUnitsPerEvent: wide.writeUnitsPerEvent,
      readUnitsPerEvent: wide.readUnitsPerEvent,
      ingestOwnMsPerEvent: wide.ownMedianMs,
      ingestBilledMs: ingestMs,
      sqsBatchBilledMs: batchMs,
      evaluatorReadUnitsIntercept: ru.a,
      evaluatorReadUnitsPerItem: ru.b,
      evaluatorBusyMsIntercept: busy.a,
      evaluatorBusyMsPerItem: busy.b,
      bucketItemBytes: itemBytes,
      logBytesPerInvocation,
    },
    scenarios,
    lines,
    totals: {
      base,
      withBuffer: base.map((b, i) => b + (buffer.usd[i] as number)),
      withForwarding: base.map((b, i) => b + (forwarding.usd[i] as number)),
    },
  };
}
