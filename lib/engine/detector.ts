/**
 * The counting path, shared by `rsr replay` and the ingest Lambda: raw record -> AccessEvent -> qualified ->
 * keyed and bucketed CountedEvent -> WindowStore. Pure apart from the store port; `now` is an argument.
 */
import { createHash } from 'node:crypto';
import { type AccessEvent, SECRETS_MANAGER_SOURCE, SKIP_REASONS, type SkipReason } from './event';
import { groupKey, signalKey } from './identity';
import type { CountedEvent, CrossingWatch, EventContext, RecordOutcome, WindowStore } from './ports';
import { makeQualifier, type Qualifier } from './qualify';
import { FILTER_PREFIX, toAccessEvent } from './records';
import type { CountMode, DetectionConfig, Signal } from './settings';
import { isAccessDenied, measureOf, signalsOfQualifying } from './signals';
import { BUCKET_MS, bucketExpiresAt, bucketOf, saturationOf } from './window';

/**
 * A record's main counter event (or the reason it does not count), plus the complementary-signal counter events it
 * feeds (empty unless signals are enabled; see signals.ts).
 */
export type Prepared =
  | { readonly ok: true; readonly event: CountedEvent; readonly signals: readonly CountedEvent[] }
  | { readonly ok: false; readonly reason: SkipReason; readonly signals: readonly CountedEvent[] };

const NO_SIGNALS: readonly CountedEvent[] = Object.freeze([]);

export interface IngestStats {
  received: number;
  qualifying: number;
  counted: number;
  duplicates: number;
  saturated: number;
  /** Counted, but arrived more than LATENESS_MINUTES after their bucket: no evaluation will look at them again. */
  late: number;
  /** Complementary-signal counter updates (not part of the counts above). */
  signals: number;
  /**
   * Records the main rule does not count but a signal does (failed calls counted by access-denied): used, so not
   * under `skipped`. received = qualifying + usedBySignals + Σ skipped.
   */
  usedBySignals: number;
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
    signals: 0,
    usedBySignals: 0,
    skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
  };
}

export function mergeStats(into: IngestStats, from: IngestStats): IngestStats {
  for (const k of [
    'received',
    'qualifying',
    'counted',
    'duplicates',
    'saturated',
    'late',
    'signals',
    'usedBySignals',
  ] as const)
    into[k] += from[k];
  for (const r of SKIP_REASONS) into.skipped[r] += from.skipped[r];
  return into;
}

/** Short digest of a secret id for distinct counting: 72 bits, so collisions are negligible at any real volume. */
export function secretToken(secretId: string): string {
  return createHash('sha256').update(secretId).digest('base64url').slice(0, 12);
}

const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]*):(\d*):secret:(.+)$/;

/**
 * One identifier per secret: `region:name`. A full ARN ends in `-` plus 6 random characters that the name does not
 * have; a partial ARN or a plain name does not. (Filter texts pass through unchanged.)
 */
export function normaliseSecretId(id: string, region: string): string {
  const m = SECRET_ARN.exec(id);
  if (!m) return id.startsWith('filters:') ? id : `${region}:${id}`;
  const name = (m[3] as string).replace(/-[A-Za-z0-9]{6}$/, '');
  return `${m[1] || region}:${name}`;
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
    ...(e.identity.sessionIssuerArn ? { sessionIssuerArn: e.identity.sessionIssuerArn } : {}),
    ...(e.identity.mfaAuthenticated !== undefined ? { mfaAuthenticated: e.identity.mfaAuthenticated } : {}),
    ...(e.identity.fromConsole ? { fromConsole: true } : {}),
    ...(e.identity.invokedBy ? { invokedBy: e.identity.invokedBy } : {}),
    ...(e.vpcEndpointId ? { vpcEndpointId: e.vpcEndpointId } : {}),
    ...(e.identity.sourceIdentity ? { sourceIdentity: e.identity.sourceIdentity } : {}),
  };
}

/**
 * The secret ids a qualifying event adds to its key's main counter. When counting distinct secrets, a filter-based
 * BatchGetSecretValue adds none: the secrets it returned are counted from the per-secret GetSecretValue entries
 * Secrets Manager writes for it, and its filter text is not a secret (counting it made 19 returned secrets count 20).
 * The call still counts as an event when counting events (the reference rule), and still feeds the batch signals.
 */
export function mainCounterIds(event: AccessEvent, config: DetectionConfig): readonly string[] {
  const ids =
    config.count === 'distinct-secrets'
      ? event.secretIds.filter((id) => !id.startsWith(FILTER_PREFIX))
      : event.secretIds;
  return config.normaliseSecretIds ? ids.map((id) => normaliseSecretId(id, event.awsRegion)) : ids;
}

export class Detector {
  readonly qualifier: Qualifier;
  readonly saturation: number;
  private readonly signals: ReadonlySet<Signal>;
  /** Qualifier without the success check, for the access-denied signal (undefined when that signal is off). */
  private readonly deniedQualifier: Qualifier | undefined;
  private readonly apis: ReadonlySet<string>;

  constructor(
    readonly config: DetectionConfig,
    qualifier?: Qualifier,
  ) {
    this.qualifier = qualifier ?? makeQualifier(config);
    this.saturation = saturationOf(config);
    this.signals = new Set(config.signals);
    this.apis = new Set(config.eventNames);
    this.deniedQualifier = this.signals.has('access-denied')
      ? makeQualifier(config, { ignoreFailure: true })
      : undefined;
  }

  /** Raw record -> CountedEvent or the reason it does not count. Never throws. */
  prepare(raw: unknown): Prepared {
    const early = this.filteredBeforeShape(raw);
    if (early !== undefined) return { ok: false, reason: early, signals: NO_SIGNALS };
    const parsed = toAccessEvent(raw);
    if (!parsed.ok) return { ok: false, reason: parsed.reason, signals: NO_SIGNALS };
    return this.prepareEvent(parsed.value);
  }

  /**
   * The service and API filters, run on the raw record before its shape is checked: a record of another service or
   * API is not bad input for this rule, whatever else it lacks, so it is counted as other-service / other-api (the
   * qualifier repeats both checks for records that name no service or API).
   */
  private filteredBeforeShape(raw: unknown): SkipReason | undefined {
    if (typeof raw !== 'object' || raw === null) return undefined;
    const { eventSource, eventName } = raw as { eventSource?: unknown; eventName?: unknown };
    if (typeof eventSource !== 'string' || eventSource === '') return undefined;
    if (eventSource !== SECRETS_MANAGER_SOURCE) return 'other-service';
    if (typeof eventName === 'string' && eventName !== '' && !this.apis.has(eventName)) return 'other-api';
    return undefined;
  }

  private counted(event: AccessEvent, key: string, values: readonly string[], measure: CountMode): CountedEvent {
    const bucket = bucketOf(event.eventTime);
    return {
      key,
      bucket,
      eventId: event.eventId,
      values,
      saturateOn: measure === 'events' ? 'events' : 'values',
      expiresAt: bucketExpiresAt(bucket, this.config),
      context: toContext(event),
    };
  }

  prepareEvent(event: AccessEvent): Prepared {
    const reason = this.qualifier(event);
    if (reason) {
      if (reason === 'failed-call' && this.deniedQualifier && isAccessDenied(event) && !this.deniedQualifier(event)) {
        const key = groupKey(event, this.config.groupBy);
        if (key !== undefined) {
          const signal = this.counted(
            event,
            signalKey('access-denied', key),
            [],
            measureOf('access-denied', this.config).count,
          );
          return { ok: false, reason, signals: [signal] };
        }
      }
      return { ok: false, reason, signals: NO_SIGNALS };
    }
    const key = groupKey(event, this.config.groupBy);
    if (key === undefined) return { ok: false, reason: 'no-identity-key', signals: NO_SIGNALS };
    const ids = mainCounterIds(event, this.config);
    const signals =
      this.signals.size === 0
        ? NO_SIGNALS
        : signalsOfQualifying(event, this.signals).map((s) =>
            this.counted(event, signalKey(s.signal, key), s.values, measureOf(s.signal, this.config).count),
          );
    return { ok: true, event: this.counted(event, key, ids.map(secretToken), this.config.count), signals };
  }

  /**
   * Prepares and records a batch; storage errors propagate (the Lambda must fail so AWS retries). With `crossed`
   * (the ingest fast path), the store reports the main-counter keys its writes take to the threshold
   * (lib/engine/fast-path.ts); signal counters are not watched.
   */
  async ingest(
    store: WindowStore,
    records: readonly unknown[],
    now: number,
    crossed?: (key: string) => void,
  ): Promise<IngestStats> {
    const stats = emptyStats();
    const batch: CountedEvent[] = [];
    const signals: CountedEvent[] = [];
    for (const raw of records) {
      stats.received++;
      const p = this.prepare(raw);
      if (p.ok) batch.push(p.event);
      else if (p.signals.length > 0) stats.usedBySignals++;
      else stats.skipped[p.reason]++;
      for (const s of p.signals) signals.push(s);
    }
    stats.qualifying = batch.length;
    stats.signals = signals.length;
    if (batch.length + signals.length === 0) return stats;
    // One store call: signal counters ride along with the main ones (same idempotency and saturation rules).
    const main = new Set<CountedEvent>(batch);
    const watch: CrossingWatch | undefined = crossed && {
      settings: this.config,
      watches: (e) => main.has(e),
      crossed,
    };
    const outcomes = await store.record([...batch, ...signals], {
      saturation: this.saturation,
      now,
      ...(watch ? { watch } : {}),
    });
    this.tally(stats, batch, outcomes.slice(0, batch.length), now);
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
