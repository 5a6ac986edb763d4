/**
 * DynamoDB plumbing for the benchmark: dynalite started in this process on 127.0.0.1 (random port), in a worker
 * thread (bench/dynalite-worker.cjs) or on the main thread, hermetic SDK settings, and meters that bill requests as
 * AWS does.
 *
 * Writes are billed by test/support/capacity.ts (item sizes before and after, failed conditional writes, index
 * writes: dynalite's ConsumedCapacity leaves the last two out). Reads are billed here from the items each response
 * carries, by the rules AWS documents for on-demand tables: one read unit (RU) per started 4 KB for a strongly
 * consistent read, half that for an eventually consistent one; GetItem and every BatchGetItem key are billed per
 * item (a missing item still costs the minimum); a Query is billed on the total size of the items it returns per
 * page (no filter is used), at least the minimum.
 */
import { Worker } from 'node:worker_threads';
import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { itemSize } from '../lib/adapters/store/table';
import { type CapacityReport, meter } from '../test/support/capacity';
import { ENDPOINT_VARIABLE, freshTable, type RunningDynalite, startDynalite } from '../test/support/dynalite';
import { msSince } from './stats';

type Item = Record<string, AttributeValue>;

export interface LocalDynamo {
  readonly endpoint: string;
  /** Where dynalite runs: 'worker' (its own thread and heap) or 'main' (this thread). */
  readonly thread: 'worker' | 'main';
  /** A client for the local endpoint with the SDK's default retries (as the Lambdas build it). */
  client(): DynamoDBClient;
  table(prefix: string): Promise<string>;
  close(): Promise<void>;
}

/** Makes every SDK client in this process talk to `endpoint` with dummy credentials, never to AWS. */
function hermetic(endpoint: string): void {
  process.env[ENDPOINT_VARIABLE] = endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/** dynalite in a worker thread running `script` (bench/dynalite-worker.cjs). */
async function startInWorker(script: string): Promise<RunningDynalite> {
  const worker = new Worker(script);
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port: number }) => resolve(m.port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

/** Starts dynalite: in a worker thread running `workerScript`, or on this thread when it is undefined. */
export async function startLocalDynamo(workerScript?: string): Promise<LocalDynamo> {
  const inWorker = workerScript !== undefined;
  const server: RunningDynalite = inWorker ? await startInWorker(workerScript) : await startDynalite();
  hermetic(server.endpoint);
  return {
    endpoint: server.endpoint,
    thread: inWorker ? 'worker' : 'main',
    client: () => new DynamoDBClient({}),
    table: async (prefix) => freshTable(new DynamoDBClient({ maxAttempts: 1 }), prefix),
    close: () => server.close(),
  };
}

export interface ReadReport {
  /** Read units by operation name (GetItem, BatchGetItem, Query). */
  readonly units: Record<string, number>;
  readonly requests: Record<string, number>;
  /** Items returned by reads. */
  items: number;
}

const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);

/** Attaches a read meter to `client`; returns the live report. */
export function meterReads(client: DynamoDBClient): ReadReport {
  const report: ReadReport = { units: {}, requests: {}, items: 0 };
  const add = (op: string, units: number) => {
    report.units[op] = (report.units[op] ?? 0) + units;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName ?? '').replace(/Command$/, '');
      const result = await next(args);
      const input = args.input as {
        ConsistentRead?: boolean;
        RequestItems?: Record<string, { Keys?: unknown[]; ConsistentRead?: boolean }>;
      };
      const output = result.output as {
        Item?: Item;
        Items?: Item[];
        Responses?: Record<string, Item[]>;
        UnprocessedKeys?: Record<string, { Keys?: unknown[] }>;
      };
      if (op === 'GetItem') {
        add(op, readUnits(itemSize(output.Item), input.ConsistentRead === true));
        report.items += output.Item ? 1 : 0;
      } else if (op === 'Query') {
        const items = output.Items ?? [];
        add(
          op,
          readUnits(
            items.reduce((s, i) => s + itemSize(i), 0),
            input.ConsistentRead === true,
          ),
        );
        report.items += items.length;
      } else if (op === 'BatchGetItem') {
        for (const [table, request] of Object.entries(input.RequestItems ?? {})) {
          const consistent = request.ConsistentRead === true;
          const found = output.Responses?.[table] ?? [];
          const unprocessed = output.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
          const missing = (request.Keys?.length ?? 0) - unprocessed - found.length;
          for (const item of found) add(op, readUnits(itemSize(item), consistent));
          add(op, Math.max(0, missing) * readUnits(0, consistent));
          report.items += found.length;
        }
      } else {
        return result;
      }
      report.requests[op] = (report.requests[op] ?? 0) + 1;
      return result;
    },
    { step: 'initialize', name: 'benchReadMeter' },
  );
  return report;
}

export const totalReadUnits = (r: ReadReport) => Object.values(r.units).reduce((s, u) => s + u, 0);
export const totalWriteUnits = (c: CapacityReport) => c.tableWriteUnits + c.indexWriteUnits;
export { type CapacityReport, meter as meterWrites };

export interface NetworkClock {
  /** Milliseconds spent inside HTTP round trips to DynamoDB (dynalite's own work happens during them). */
  ms: number;
  requests: number;
}

/**
 * Times the HTTP round trips of `client`, so that handler time can be split into "our code and the SDK" and
 * "waiting for DynamoDB". Only meaningful while one request is in flight at a time.
 */
export function clockNetwork(client: DynamoDBClient): NetworkClock {
  const clock: NetworkClock = { ms: 0, requests: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const start = process.hrtime.bigint();
      try {
        return await next(args);
      } finally {
        clock.ms += msSince(start);
        clock.requests += 1;
      }
    },
    // The deserialize step wraps the HTTP handler itself: what runs inside is the round trip.
    { step: 'deserialize', name: 'benchNetworkClock', priority: 'low' },
  );
  return clock;
}
