/**
 * Shared pieces of the hostile-input tests: a valid base record (a fixture), EventBridge and SQS wrappers, the
 * bookkeeping identity every entry point must keep, and a counter of generated cases so that the suites can say
 * how many they ran.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import type { Telemetry } from '../../lib/adapters/telemetry';
import { emptyStats, type IngestStats } from '../../lib/engine/detector';
import { SKIP_REASONS, type SkipReason } from '../../lib/engine/event';

export const FIXTURES = join(__dirname, '..', 'fixtures');

export function readFixture<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(join(FIXTURES, ...parts), 'utf8')) as T;
}

/** A successful GetSecretValue by an IAM user with the AWS CLI: qualifies under every preset. */
export function baseRecord(): Record<string, unknown> {
  return readFixture<Record<string, unknown>>('qualify', 'get-secret-value-cli.json');
}

/** When the base record's events are ingested (a minute after its eventTime). */
export const BASE_NOW = Date.parse('2024-11-05T10:01:00Z');

export function envelope(
  detail: unknown,
  detailType: unknown = 'AWS API Call via CloudTrail',
): Record<string, unknown> {
  return {
    version: '0',
    id: '0b8f1c7e-0000-4000-8000-00000000e001',
    'detail-type': detailType,
    source: 'aws.secretsmanager',
    account: '111122223333',
    time: '2024-11-05T10:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

export function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1730800800000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1730800800000',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:rsr-ingest-buffer',
    awsRegion: 'us-east-1',
  };
}

export function sqsBatch(bodies: readonly string[]): SQSEvent {
  return { Records: bodies.map((body, i) => sqsRecord(`m-${i}`, body)) };
}

export function skippedTotal(stats: IngestStats): number {
  return SKIP_REASONS.reduce((sum, r) => sum + stats.skipped[r], 0);
}

/** Only the reasons that occurred, for readable expectations. */
export function nonZeroSkips(stats: IngestStats): Partial<Record<SkipReason, number>> {
  return Object.fromEntries(SKIP_REASONS.filter((r) => stats.skipped[r] > 0).map((r) => [r, stats.skipped[r]]));
}

/**
 * The bookkeeping every entry point keeps, whatever the input: each record received is qualifying, used by a signal
 * only, or skipped under exactly one reason, and each qualifying one is counted, a duplicate, or above saturation.
 */
export function expectBalanced(stats: IngestStats): void {
  expect(stats.received).toBe(stats.qualifying + stats.usedBySignals + skippedTotal(stats));
  expect(stats.qualifying).toBe(stats.counted + stats.duplicates + stats.saturated);
  for (const reason of SKIP_REASONS) expect(Number.isInteger(stats.skipped[reason])).toBe(true);
}

/** Generated cases run by the property tests of one file (reported in its afterAll). */
export class CaseCounter {
  private readonly counts = new Map<string, number>();

  /** Wraps a predicate so that every call is counted under `name`. */
  count<A extends unknown[], R>(name: string, predicate: (...args: A) => R): (...args: A) => R {
    return (...args: A) => {
      this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
      return predicate(...args);
    };
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  report(suite: string): string {
    const parts = [...this.counts].map(([name, n]) => `  ${name}: ${n}`);
    return `${suite}: ${this.total} generated cases\n${parts.join('\n')}`;
  }
}

interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly data: Record<string, unknown>;
}

/**
 * Telemetry that records what the handlers log instead of printing it. The ingest handler logs its totals as
 * `ingest done` (debug), which is how the SQS path's skip counts become visible to a test.
 */
export function recordingTelemetry(): { telemetry: Telemetry; logs: LogEntry[]; lastStats(): IngestStats | undefined } {
  const logs: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, ...data: Record<string, unknown>[]) =>
      void logs.push({ level, message, data: Object.assign({}, ...data) });
  const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  const single = { addDimension: () => {}, addMetric: () => {}, publishStoredMetrics: () => {} };
  const metrics = { addMetric: () => {}, publishStoredMetrics: () => {}, singleMetric: () => single };
  const telemetry = { logger, metrics } as unknown as Telemetry;
  const lastStats = () => {
    const entry = [...logs].reverse().find((l) => l.message === 'ingest done');
    if (entry === undefined) return undefined;
    // The log keeps only the reasons that occurred; put the zeros back.
    const logged = entry.data as unknown as IngestStats;
    return { ...logged, skipped: { ...emptyStats().skipped, ...logged.skipped } };
  };
  return { telemetry, logs, lastStats };
}
