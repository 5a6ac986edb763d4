/**
 * Runs the candidate UNLOAD on Athena and reads its output back from S3.
 *
 * Invariants:
 * 1. One StartQueryExecution per run; the query is polled with GetQueryExecution every `pollMs` (injected clock and
 *    sleep) until it succeeds, fails, is cancelled or `timeoutMs` passes (then it is stopped, not left running).
 * 2. A failed or cancelled query is an AthenaError carrying Athena's reason; nothing is read.
 * 3. The output is every object under the UNLOAD prefix (ListObjectsV2, all pages), read in key order through the
 *    same stream decoder as local files; a run that wrote no object simply yields nothing.
 */
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  type QueryExecutionState,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { type InputItem, readStreamInput } from '../io/read';

export class AthenaError extends Error {
  override readonly name = 'AthenaError';
}

export interface AthenaRun {
  readonly athena: AthenaClient;
  readonly statement: string;
  readonly workGroup?: string;
  readonly database?: string;
  readonly catalog?: string;
  /** Where Athena keeps the query's own result metadata, unless the workgroup sets it. */
  readonly resultsLocation?: string;
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly pollMs?: number;
  readonly timeoutMs?: number;
  onState?(state: string, elapsedMs: number): void;
}

export interface AthenaOutcome {
  readonly queryId: string;
  /** Bytes Athena scanned (what it bills), when reported. */
  readonly scannedBytes: number | undefined;
}

const DEFAULT_POLL_MS = 2000;
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;
const DONE: ReadonlySet<QueryExecutionState | undefined> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** Starts the statement and waits for it (invariants 1-2). */
export async function runAthena(run: AthenaRun): Promise<AthenaOutcome> {
  const started = run.now();
  const start = await run.athena.send(
    new StartQueryExecutionCommand({
      QueryString: run.statement,
      WorkGroup: run.workGroup,
      QueryExecutionContext: run.database || run.catalog ? { Database: run.database, Catalog: run.catalog } : undefined,
      ResultConfiguration: run.resultsLocation ? { OutputLocation: run.resultsLocation } : undefined,
    }),
  );
  const queryId = start.QueryExecutionId;
  if (!queryId) throw new AthenaError('Athena returned no query execution id');
  const pollMs = run.pollMs ?? DEFAULT_POLL_MS;
  const timeoutMs = run.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  for (;;) {
    const got = await run.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: queryId }));
    const status = got.QueryExecution?.Status;
    const state = status?.State;
    const elapsed = run.now() - started;
    run.onState?.(state ?? 'UNKNOWN', elapsed);
    if (DONE.has(state)) {
      if (state !== 'SUCCEEDED') {
        throw new AthenaError(`query ${queryId} ${state}: ${status?.StateChangeReason ?? 'no reason given'}`);
      }
      return { queryId, scannedBytes: got.QueryExecution?.Statistics?.DataScannedInBytes };
    }
    if (elapsed >= timeoutMs) {
      await run.athena.send(new StopQueryExecutionCommand({ QueryExecutionId: queryId }));
      throw new AthenaError(
        `query ${queryId} still ${state ?? 'running'} after ${Math.round(elapsed / 1000)} s: stopped`,
      );
    }
    await run.sleep(pollMs);
  }
}

/** Bucket and key prefix of an s3:// URI. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new AthenaError(`not an S3 URI: ${uri}`);
  return { bucket: m[1] as string, prefix: m[2] as string };
}

/** Every record the UNLOAD wrote under `destination` (invariant 3). */
export async function* readUnloaded(s3: S3Client, destination: string): AsyncGenerator<InputItem, void, undefined> {
  const { bucket, prefix } = parseS3Uri(destination);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  keys.sort();
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = object.Body as AsyncIterable<Buffer> | undefined;
    if (body === undefined) continue;
    yield* readStreamInput(body, `s3://${bucket}/${key}`);
  }
}
