/**
 * Run by test/hostile/memory.test.ts in a child `node --expose-gc` (bundled with esbuild): ingests records with 1 MB
 * user agents, first through Detector.ingest with the memory store (the `rsr replay` counting path), then through
 * the ingest handler's SQS path, and prints the heap in use after full collections as one JSON line.
 *
 * What must stay bounded: every 1 MB agent is cut to 1 KB by a copy (a plain slice would keep its parent alive), the
 * store keeps at most CONTEXT_VALUES_LIMIT agents per bucket, and the browser-family cache at most 10 000 entries.
 */

import { MemoryWindowStore } from '../../../lib/adapters/store/memory';
import type { Telemetry } from '../../../lib/adapters/telemetry';
import { DEFAULTS } from '../../../lib/config/load';
import { Detector } from '../../../lib/engine/detector';
import { handleIngest } from '../../../lib/usecases/ingest';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

const RECORDS = Number(process.env.PROBE_RECORDS ?? 10_000);
const SQS_MESSAGES = Number(process.env.PROBE_SQS_MESSAGES ?? 200);
const KEYS = 50;
const MINUTES = 10;
const START = Date.parse('2024-11-05T10:00:00Z');
const AGENT_BASE = 'Z'.repeat(1 << 20);

const quiet = () => {};
const single = { addDimension: quiet, addMetric: quiet, publishStoredMetrics: quiet };
const telemetry = {
  logger: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  metrics: { addMetric: quiet, publishStoredMetrics: quiet, singleMetric: () => single },
} as unknown as Telemetry;

function record(i: number): Record<string, unknown> {
  return {
    eventVersion: '1.10',
    userIdentity: { type: 'IAMUser', principalId: `AIDAPROBE${i % KEYS}`, accountId: '111122223333' },
    eventTime: new Date(START + (Math.floor(i / KEYS) % MINUTES) * 60_000).toISOString(),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: 'GetSecretValue',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    // Distinct per record, so that neither the store nor the cache can share one copy.
    userAgent: `agent-${i}-${AGENT_BASE}`,
    requestParameters: { secretId: `prod/secret-${i % 7}` },
    eventID: `probe-${i}`,
  };
}

function heapMb(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed / (1 << 20);
}

async function viaDetector(detector: Detector, store: MemoryWindowStore, now: number): Promise<number> {
  let counted = 0;
  for (let i = 0; i < RECORDS; i += 100) {
    const batch = Array.from({ length: Math.min(100, RECORDS - i) }, (_, j) => record(KEYS * MINUTES + i + j));
    counted += (await detector.ingest(store, batch, now)).counted;
  }
  return counted;
}

async function viaSqs(detector: Detector, store: MemoryWindowStore, now: number): Promise<void> {
  for (let i = 0; i < SQS_MESSAGES; i += 10) {
    const Records = Array.from({ length: 10 }, (_, j) => ({
      messageId: `m-${i + j}`,
      eventSource: 'aws:sqs',
      body: JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', detail: record(10_000_000 + i + j) }),
    }));
    await handleIngest({ Records }, { detector, store, telemetry }, now);
  }
}

async function main(): Promise<void> {
  const detector = new Detector({ ...DEFAULTS, threshold: 1_000_000 });
  const store = new MemoryWindowStore();
  const now = START + MINUTES * 60_000;
  // Warm up code paths and allocate the store's buckets before the baseline.
  for (let i = 0; i < KEYS * MINUTES; i++) await detector.ingest(store, [record(i)], now);
  const baseline = heapMb();
  // Each loop runs in its own function: a suspended async frame would otherwise keep its last batch (100 MB) alive.
  const counted = await viaDetector(detector, store, now);
  const afterDetector = heapMb();
  await viaSqs(detector, store, now);
  const afterSqs = heapMb();
  process.stdout.write(`${JSON.stringify({ records: RECORDS, counted, baseline, afterDetector, afterSqs })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
