/**
 * The counting path, shared by `rsr replay` and the ingest Lambda: raw record -> AccessEvent -> qualified ->
 * keyed and bucketed CountedEvent -> WindowStore. Pure apart from the store port; `now` is an argument.
 */
import { createHash } from 'node:crypto';
import type { DetectionConfig } from '../config';
import type { CountedEvent, EventContext, RecordOutcome, WindowStore } from '../ports';
import { type AccessEvent, SKIP_REASONS, type SkipReason } from './event';
import { groupKey } from './identity';
import { makeQualifier, type Qualifier } from './qualify';
import { toAccessEvent } from './records';
import { BUCKET_MS, bucketExpiresAt, bucketOf, saturationOf } from './window';

export type Prepared = { readonly ok: true; readonly event: CountedEvent } | { readonly ok: false; readonly reason: SkipReason };

export interface IngestStats {
  received: number;
  qualifying: number;
  counted: number;
  duplicates: number;
  saturated: number;
  /** Counted, but arrived more than LATENESS_MINUTES after their bucket: no evaluation will look at them again. */
  late: number;
  skipped: Record<SkipReason, number>;
}

export function emptyStats(): IngestStats {
  return {
    received: 0,
    qualifying: 0,
    counted: 0,
    duplicates: 0,
    saturated: 0,
    late: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
  };
}

export function mergeStats(into: IngestStats, from: IngestStats): IngestStats {
  for (const k of ['received', 'qualifying', 'counted', 'duplicates', 'saturated', 'late'] as const) into[k] += from[k];
  for (const r of SKIP_REASONS) into.skipped[r] += from.skipped[r];
  return into;
}

/** Short digest of a secret id for distinct counting: 72 bits, so collisions are negligible at any real volume. */
export function secretToken(secretId: string): string {
  return createHash('sha256').update(secretId).digest('base64url').slice(0, 12);
}

export function toContext(e: AccessEvent): EventContext {
  return {
    eventTime: e.eventTime,
    eventName: e.eventName,
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
    region: e.awsRegion,
    secretIds: e.secretIds,
    accountId: e.identity.accountId || e.recipientAccountId,
    userArn: e.identity.arn,
    userName: e.identity.userName,
    identityType: e.identity.type,
    accessKeyId: e.identity.accessKeyId,
  };
}

export class Detector {
  readonly qualifier: Qualifier;
  readonly saturation: number;

  constructor(
    readonly config: DetectionConfig,
    qualifier?: Qualifier,
  ) {
    this.qualifier = qualifier ?? makeQualifier(config);
    this.saturation = saturationOf(config);
  }

  /** Raw record -> CountedEvent or the reason it does not count. Never throws. */
  prepare(raw: unknown): Prepared {
    const parsed = toAccessEvent(raw);
    if (!parsed.ok) return parsed;
    return this.prepareEvent(parsed.value);
  }

  prepareEvent(event: AccessEvent): Prepared {
    const reason = this.qualifier(event);
    if (reason) return { ok: false, reason };
    const key = groupKey(event, this.config.groupBy);
    if (key === undefined) return { ok: false, reason: 'no-identity-key' };
    const bucket = bucketOf(event.eventTime);
    return {
      ok: true,
      event: {
        key,
        bucket,
        eventId: event.eventId,
        values: event.secretIds.map(secretToken),
        expiresAt: bucketExpiresAt(bucket, this.config),
        context: toContext(event),
      },
    };
  }

  /** Prepares and records a batch; storage errors propagate (the Lambda must fail so AWS retries). */
  async ingest(store: WindowStore, records: readonly unknown[], now: number): Promise<IngestStats> {
    const stats = emptyStats();
    const batch: CountedEvent[] = [];
    for (const raw of records) {
      stats.received++;
      const p = this.prepare(raw);
      if (!p.ok) stats.skipped[p.reason]++;
      else batch.push(p.event);
    }
    stats.qualifying = batch.length;
    if (batch.length === 0) return stats;
    const outcomes = await store.record(batch, { saturation: this.saturation, now });
    this.tally(stats, batch, outcomes, now);
    return stats;
  }

  tally(stats: IngestStats, batch: readonly CountedEvent[], outcomes: readonly RecordOutcome[], now: number): void {
    const lateBefore = bucketOf(now) - this.config.latenessMinutes;
    outcomes.forEach((o, i) => {
      if (o === 'counted') {
        stats.counted++;
        if ((batch[i] as CountedEvent).bucket < lateBefore) stats.late++;
      } else if (o === 'duplicate') stats.duplicates++;
      else stats.saturated++;
    });
  }
}

export { BUCKET_MS };
