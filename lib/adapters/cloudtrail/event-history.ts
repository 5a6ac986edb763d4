/**
 * CloudTrail event history (the LookupEvents API) as a source of records for replay and tune: every account has it,
 * with no trail, no bucket and no download.
 *
 * Invariants:
 * 1. Only Secrets Manager events are asked for (LookupAttributes EventSource), newest first, 50 per page (the API's
 *    maximum), over [start, end) for each Region in turn.
 * 2. At most one request per `minIntervalMs` (default 500 ms: the documented 2 requests per second per account per
 *    Region) per Region, measured on the injected clock; the wait is the injected `sleep`.
 * 3. A throttled request is retried with doubling back-off, up to `maxThrottleRetries` times; any other error, or
 *    throttling beyond that, ends the read with an EventHistoryError naming the Region (records already yielded stay).
 * 4. Every event becomes exactly one record or one counted skip (an unparsable CloudTrailEvent is 'unparsable-json').
 *
 * Event history holds management events only (read-only ones included) for the last 90 days; GetSecretValue and
 * BatchGetSecretValue are management events, so they are there, data events of other services are not.
 */
import { type CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import { SECRETS_MANAGER_SOURCE, type SkipReason } from '../../engine/event';
import { collectRecords } from '../../engine/records';

import { HISTORY_DAYS, MIN_INTERVAL_MS, PAGE_SIZE } from './limits';

export { HISTORY_DAYS, MIN_INTERVAL_MS, PAGE_SIZE };

const DEFAULT_THROTTLE_RETRIES = 8;
const FIRST_BACKOFF_MS = 1000;

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded']);

export class EventHistoryError extends Error {
  override readonly name = 'EventHistoryError';
  constructor(
    readonly region: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`CloudTrail event history in ${region}: ${message}`, options);
  }
}

export interface EventHistoryOptions {
  readonly regions: readonly string[];
  /** Epoch ms, inclusive. */
  readonly start: number;
  /** Epoch ms, exclusive. */
  readonly end: number;
  /** The client for a Region (built once per Region by the caller). */
  clientFor(region: string): CloudTrailClient;
  /** Current time in epoch ms (for the request pacing). */
  now(): number;
  sleep(ms: number): Promise<void>;
  readonly minIntervalMs?: number;
  readonly maxThrottleRetries?: number;
  /** After each page: share of the whole read done (0..1), Region, events so far. */
  onProgress?(done: number, region: string, events: number): void;
  /** A throttled request that will be retried after `waitMs`. */
  onThrottled?(region: string, waitMs: number): void;
}

export type HistoryItem = { readonly record: unknown } | { readonly skip: SkipReason };

function isThrottling(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  return (typeof e?.name === 'string' && THROTTLING.has(e.name)) || e?.$metadata?.httpStatusCode === 429;
}

function errorText(error: unknown): string {
  const e = error as { name?: unknown; message?: unknown } | null;
  return `${String(e?.name ?? 'Error')}: ${String(e?.message ?? error)}`;
}

/** Records of all Regions' event history, Region by Region, newest first within a Region. */
export async function* readEventHistory(options: EventHistoryOptions): AsyncGenerator<HistoryItem, void, undefined> {
  const interval = options.minIntervalMs ?? MIN_INTERVAL_MS;
  const maxRetries = options.maxThrottleRetries ?? DEFAULT_THROTTLE_RETRIES;
  const span = Math.max(1, options.end - options.start);
  let events = 0;
  for (const [index, region] of options.regions.entries()) {
    const client = options.clientFor(region);
    let nextToken: string | undefined;
    let lastRequest = Number.NEGATIVE_INFINITY;
    do {
      let page: LookupEventsCommandOutput | undefined;
      for (let attempt = 0; page === undefined; attempt += 1) {
        const wait = lastRequest + interval - options.now();
        if (wait > 0) await options.sleep(wait);
        lastRequest = options.now();
        try {
          page = await client.send(
            new LookupEventsCommand({
              LookupAttributes: [{ AttributeKey: 'EventSource', AttributeValue: SECRETS_MANAGER_SOURCE }],
              StartTime: new Date(options.start),
              EndTime: new Date(options.end),
              MaxResults: PAGE_SIZE,
              NextToken: nextToken,
            }),
          );
        } catch (error) {
          if (!isThrottling(error) || attempt >= maxRetries) {
            const what = isThrottling(error) ? `still throttled after ${maxRetries} retries` : errorText(error);
            throw new EventHistoryError(region, what, { cause: error });
          }
          const backoff = FIRST_BACKOFF_MS * 2 ** attempt;
          options.onThrottled?.(region, backoff);
          await options.sleep(backoff);
        }
      }
      const records: unknown[] = [];
      const skipped: SkipReason[] = [];
      const pageEvents = page.Events ?? [];
      collectRecords({ Events: pageEvents }, records, skipped);
      for (const skip of skipped) yield { skip };
      for (const record of records) yield { record };
      events += pageEvents.length;
      // Newest first: the oldest event of the page says how far back this Region has been read.
      const oldest = pageEvents.reduce<number>((t, e) => Math.min(t, e.EventTime?.getTime() ?? t), options.end);
      nextToken = page.NextToken || undefined;
      const regionDone = nextToken === undefined ? 1 : Math.min(1, Math.max(0, (options.end - oldest) / span));
      options.onProgress?.((index + regionDone) / options.regions.length, region, events);
    } while (nextToken !== undefined);
  }
}
