/**
 * `rsr tune`: how loud each key has been in the user's own history, so that a threshold and exceptions can be
 * chosen from evidence rather than guessed.
 *
 * Counting is the replay path itself (countRecords with a Detector and a MemoryWindowStore): qualification,
 * grouping, deduplication and bucketing are exactly those of `rsr replay`. A key's peak is the largest count of any
 * window of WINDOW_MINUTES + 1 one-minute buckets over its whole active range (window.ts `windowCounts`). By the
 * window invariants 1 (no miss) and 2 (bounded), `rsr replay` at threshold T alerts a key if and only if its peak is
 * at least T. The alert estimate per threshold applies suppression to the same windows the way `decideKey` does
 * when every bucket is present: an alert at the first window that reaches T, the next one at the first window that
 * reaches T and ends at least SUPPRESSION_MINUTES after it, and so on.
 *
 * Limits:
 *  - Complementary signals (docs/PRESETS.md) are not analysed: every number here is the main rule's.
 *  - Buckets saturate at max(thresholds analysed) × SATURATION_FACTOR rather than THRESHOLD × SATURATION_FACTOR,
 *    so that peaks are exact for every threshold in the table; a key with a saturated minute has its peak flagged
 *    as a lower bound.
 *  - (user agent, source address) pairs are kept per key in PAIR_SLOTS counters (the Space-Saving algorithm): exact
 *    while a key has at most that many distinct pairs; beyond it the frequent pairs are kept with a guaranteed lower
 *    bound and flagged `approximate`. Memory stays bounded by keys × PAIR_SLOTS, next to the store's own state.
 */
import ipaddr from 'ipaddr.js';
import { MemoryWindowStore } from '../adapters/store/memory';
import type { CountMode, DetectionConfig, GroupBy } from '../config/load';
import { Detector, type IngestStats } from '../engine/detector';
import type { ExceptionEntry } from '../engine/exceptions';
import { parseKey, SOURCE_IDENTITY_PREFIX } from '../engine/identity';
import type { BucketState, CountedEvent, RecordOptions, RecordOutcome } from '../engine/ports';
import { bucketStart, bucketsPerWindow, type WindowCount, windowCounts } from '../engine/window';
import { countRecords, type ReplayItem } from './replay';

export const TUNE_SCHEMA_VERSION = 1;
/** Thresholds always shown, besides the configured one. */
export const STANDARD_THRESHOLDS: readonly number[] = [5, 10, 20, 50, 100];
/** Counters per key for (user agent, source) pairs. */
export const PAIR_SLOTS = 50;
/** Pairs listed per key in the report. */
export const PAIRS_REPORTED = 5;
/** Suggestions are made for at most this many keys (the loudest at or above the current threshold). */
export const SUGGESTED_KEYS = 10;
/** Pairs are suggested, loudest first, until they cover this share of the key's events... */
export const SUGGESTION_COVERAGE = 0.8;
/** ...or this many entries were made for the key. */
export const MAX_SUGGESTIONS_PER_KEY = 5;
/** The exceptions module rejects longer globs (lib/engine/exceptions.ts MAX_GLOB_LENGTH). */
const MAX_GLOB_LENGTH = 2048;

/** Peak ranges of the histogram; `to` is inclusive, null for the open last bin. */
export const HISTOGRAM_BINS: readonly { readonly from: number; readonly to: number | null }[] = [
  { from: 1, to: 1 },
  { from: 2, to: 4 },
  { from: 5, to: 9 },
  { from: 10, to: 19 },
  { from: 20, to: 49 },
  { from: 50, to: 99 },
  { from: 100, to: 199 },
  { from: 200, to: 499 },
  { from: 500, to: 999 },
  { from: 1000, to: null },
];

/** Nothing expires when reading back: the analysis is over the whole history. */
const READ_ALL = Number.NEGATIVE_INFINITY;

// ---------------------------------------------------------------------------------------------------------------
// Report model (the `--json` document; described for users in docs/TUNING.md).

export interface PairCount {
  readonly userAgent: string;
  /** `sourceIPAddress` as logged: an IP, or a service name such as `lambda.amazonaws.com`. */
  readonly sourceIp: string;
  /** Events with this pair: exact unless `approximate`, then a guaranteed lower bound. */
  readonly events: number;
  readonly approximate: boolean;
}

/** Keys whose per-minute timeline the report carries (the loudest first). */
export const TIMELINE_KEYS = 5;

export interface KeyReport {
  /** The grouping key: a principalId under `principal`; under `actor` an ARN or `source-identity:<value>`. */
  readonly key: string;
  /** Identity details of the key's latest event. */
  readonly userName: string;
  readonly userArn: string;
  readonly identityType: string;
  readonly accountId: string;
  /** Largest count (events or distinct secrets) in any window of WINDOW_MINUTES + 1 one-minute buckets. */
  readonly peak: number;
  /** A minute of this key reached the saturation point: the peak is at least this. */
  readonly peakIsLowerBound: boolean;
  /** The first window holding the peak (ISO 8601 UTC, end exclusive). */
  readonly peakWindowStart: string;
  readonly peakWindowEnd: string;
  /** First and last qualifying event inside that window. */
  readonly peakFirstEvent: string;
  readonly peakLastEvent: string;
  /** Qualifying events of the key (duplicates of an eventID counted once). */
  readonly events: number;
  /** One-minute buckets with at least one qualifying event. */
  readonly activeMinutes: number;
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** The most frequent (user agent, source) pairs, at most PAIRS_REPORTED. */
  readonly topPairs: readonly PairCount[];
  /**
   * Qualifying events per active minute (ISO minute, count), for the TIMELINE_KEYS loudest keys only: when and how
   * bursty the key was over the period. Counts are lower bounds in saturated minutes.
   */
  readonly timeline?: readonly { readonly minute: string; readonly events: number }[];
  /** Events not accounted for by `topPairs`. */
  readonly otherEvents: number;
}

export interface HistogramBin {
  readonly label: string;
  readonly from: number;
  readonly to: number | null;
  readonly keys: number;
}

export interface ThresholdRow {
  readonly threshold: number;
  /** The configured THRESHOLD. */
  readonly current: boolean;
  /** Keys whose peak reaches the threshold: the identities `rsr replay` would alert on. */
  readonly keys: number;
  /** Alerts `rsr replay` would raise (including keys folded into overflow summaries), suppression applied. */
  readonly alerts: number;
  readonly identities: readonly string[];
}

export interface TuneConfigSummary {
  readonly preset: string;
  readonly threshold: number;
  readonly windowMinutes: number;
  /** Buckets per window: WINDOW_MINUTES + 1. */
  readonly windowBuckets: number;
  readonly count: CountMode;
  readonly groupBy: GroupBy;
  readonly suppressionMinutes: number;
  readonly browserNames: readonly string[];
  /** Number of exception entries applied (their events are skipped as `exception`). */
  readonly exceptions: number;
  /** Per-bucket saturation used for counting (see the limits at the top of lib/usecases/tune.ts). */
  readonly saturation: number;
  /** Complementary signals configured but not analysed. */
  readonly signalsNotAnalysed: readonly string[];
}

export interface TuneTotals {
  readonly records: number;
  readonly qualifying: number;
  readonly counted: number;
  readonly duplicates: number;
  readonly aboveSaturation: number;
  /** Skip reasons with a non-zero count. */
  readonly skipped: Readonly<Record<string, number>>;
  readonly keys: number;
  readonly firstEvent: string | null;
  readonly lastEvent: string | null;
}

export interface TuneReport {
  readonly version: typeof TUNE_SCHEMA_VERSION;
  readonly config: TuneConfigSummary;
  readonly totals: TuneTotals;
  /** Every key, loudest first (peak, then events, then key). */
  readonly keys: readonly KeyReport[];
  readonly histogram: readonly HistogramBin[];
  readonly thresholds: readonly ThresholdRow[];
  /** Ready-to-paste EXCEPTIONS entries (docs/EXCEPTIONS.md), loudest key first. Review before use. */
  readonly suggestions: readonly ExceptionEntry[];
}

// ---------------------------------------------------------------------------------------------------------------
// Pair counting.

interface PairSlot {
  readonly userAgent: string;
  readonly sourceIp: string;
  count: number;
  /** Overestimation inherited from the slot's previous occupant (Space-Saving). */
  error: number;
}

/**
 * Frequent (user agent, source) pairs of one key in at most `capacity` counters. Space-Saving: when a new pair
 * arrives and every counter is taken, it replaces the smallest counter and inherits its count as possible error.
 * Every pair seen more than total/capacity times is guaranteed to be kept, and `count - error` never exceeds its
 * true count.
 */
export class PairTally {
  private readonly slots = new Map<string, PairSlot>();
  total = 0;

  constructor(private readonly capacity = PAIR_SLOTS) {}

  add(userAgent: string, sourceIp: string): void {
    this.total++;
    // Length-prefixed, so no character in the agent can make two pairs collide.
    const id = `${userAgent.length}:${userAgent}\u0000${sourceIp}`;
    const slot = this.slots.get(id);
    if (slot) {
      slot.count++;
      return;
    }
    if (this.slots.size < this.capacity) {
      this.slots.set(id, { userAgent, sourceIp, count: 1, error: 0 });
      return;
    }
    let minId = '';
    let min: PairSlot | undefined;
    for (const [k, s] of this.slots) {
      if (!min || s.count < min.count) {
        min = s;
        minId = k;
      }
    }
    if (!min) return;
    this.slots.delete(minId);
    this.slots.set(id, { userAgent, sourceIp, count: min.count + 1, error: min.count });
  }

  /** Pairs by guaranteed count, highest first (ties: agent, then source); pairs with no guaranteed event left out. */
  pairs(): PairCount[] {
    return [...this.slots.values()]
      .map((s) => ({
        userAgent: s.userAgent,
        sourceIp: s.sourceIp,
        events: s.count - s.error,
        approximate: s.error > 0,
      }))
      .filter((p) => p.events > 0)
      .sort((a, b) => b.events - a.events || compare(a.userAgent, b.userAgent) || compare(a.sourceIp, b.sourceIp));
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface KeyTally {
  firstBucket: number;
  lastBucket: number;
  /** Qualifying events: counted, plus those beyond a saturated bucket (which the store does not keep). */
  events: number;
  readonly pairs: PairTally;
}

/**
 * The replay store, also tallying each key's bucket range, events and pairs as events are recorded. Only main
 * counters are tallied (signal counters have `signal:` keys); duplicates of an eventID are not.
 */
class TallyingStore extends MemoryWindowStore {
  readonly tallies = new Map<string, KeyTally>();

  override recordOne(e: CountedEvent, options: RecordOptions): RecordOutcome {
    const outcome = super.recordOne(e, options);
    if (outcome === 'duplicate' || parseKey(e.key).signal !== undefined) return outcome;
    let t = this.tallies.get(e.key);
    if (!t) {
      t = { firstBucket: e.bucket, lastBucket: e.bucket, events: 0, pairs: new PairTally() };
      this.tallies.set(e.key, t);
    }
    t.firstBucket = Math.min(t.firstBucket, e.bucket);
    t.lastBucket = Math.max(t.lastBucket, e.bucket);
    t.events++;
    t.pairs.add(e.context.userAgent, e.context.sourceIp);
    return outcome;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers.

/** 5, 10, 20, 50, 100 and the configured threshold, deduplicated and ascending. */
export function candidateThresholds(current: number): number[] {
  return [...new Set([...STANDARD_THRESHOLDS, current])].sort((a, b) => a - b);
}

/** Makes every character of `text` literal in an exceptions glob (`*`, `?` and `\` get a backslash). */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?]/g, '\\$&');
}

/**
 * The glob for an exact value, within the exceptions module's length limit: when escaping makes it too long, a
 * prefix followed by `*` (never cutting an escape in two).
 */
function exactGlob(text: string): string {
  const escaped = escapeGlob(text);
  if (escaped.length <= MAX_GLOB_LENGTH) return escaped;
  let out = '';
  for (const c of text) {
    const piece = escapeGlob(c);
    if (out.length + piece.length > MAX_GLOB_LENGTH - 1) break;
    out += piece;
  }
  return `${out}*`;
}

/**
 * A single-address CIDR for a logged source address, or undefined when it is not an IP (AWS services log their
 * name, console calls may log `AWS Internal`). IPv4-mapped IPv6 becomes the IPv4 address, which the exceptions
 * matcher compares it as; an IPv6 zone id is dropped (CIDRs cannot carry one, matching ignores it).
 */
export function singleAddressCidr(sourceIp: string): string | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(sourceIp)) return `${ipaddr.IPv4.parse(sourceIp).toString()}/32`;
  if (!sourceIp.includes(':') || !ipaddr.IPv6.isValid(sourceIp)) return undefined;
  const ip = ipaddr.IPv6.parse(sourceIp);
  if (ip.isIPv4MappedAddress()) return `${ip.toIPv4Address().toString()}/32`;
  return `${new ipaddr.IPv6(ip.parts).toString()}/128`;
}

/** The exceptions field that matches a grouping key: `principal` for principal ids, `arn` for ARNs. */
export function identityField(key: string, groupBy: GroupBy): 'principal' | 'arn' {
  // Under `actor` the key is an ARN unless the event had none, in which case it fell back to the principalId.
  return groupBy === 'actor' && key.startsWith('arn:') ? 'arn' : 'principal';
}

export interface SuggestionInput {
  readonly key: string;
  readonly peak: number;
  readonly peakIsLowerBound: boolean;
  readonly events: number;
  readonly pairs: readonly PairCount[];
}

/**
 * Exception entries for one loud key: its pairs, loudest first, until they cover SUGGESTION_COVERAGE of its events
 * (at most MAX_SUGGESTIONS_PER_KEY). Each entry combines identity, exact user agent and single address, as
 * docs/EXCEPTIONS.md advises; pairs that would give the same entry are merged.
 */
export function suggestFor(input: SuggestionInput, groupBy: GroupBy): ExceptionEntry[] {
  // A person named by source identity spans roles and sessions; exception entries match neither on it, so an entry
  // naming the key would never match. The report still lists the key; the operator writes the exception by role.
  if (groupBy === 'actor' && input.key.startsWith(SOURCE_IDENTITY_PREFIX)) return [];
  const field = identityField(input.key, groupBy);
  const identity = exactGlob(input.key);
  const merged = new Map<string, { entry: Omit<ExceptionEntry, 'comment'>; events: number }>();
  let covered = 0;
  for (const pair of input.pairs) {
    if (covered >= SUGGESTION_COVERAGE * input.events || merged.size >= MAX_SUGGESTIONS_PER_KEY) break;
    const entry: { principal?: string; arn?: string; userAgent?: string; sourceCidr?: string } = {
      [field]: identity,
    };
    if (pair.userAgent !== '') entry.userAgent = exactGlob(pair.userAgent);
    const cidr = singleAddressCidr(pair.sourceIp);
    if (cidr !== undefined) entry.sourceCidr = cidr;
    const id = JSON.stringify(entry);
    const seen = merged.get(id);
    if (seen) seen.events += pair.events;
    else merged.set(id, { entry, events: pair.events });
    covered += pair.events;
  }
  const peak = `${input.peakIsLowerBound ? 'at least ' : ''}${input.peak}`;
  return [...merged.values()].map(({ entry, events }) => ({
    ...entry,
    comment: `suggested by rsr tune: ${events} of ${input.events} events, peak ${peak}`,
  }));
}

/** Number of alerts with suppression: first crossing window, then the first one ending ≥ S buckets later, ... */
export function alertsAt(counts: readonly WindowCount[], threshold: number, suppressionMinutes: number): number {
  let alerts = 0;
  let nextEnd = Number.NEGATIVE_INFINITY;
  for (const w of counts) {
    if (w.end >= nextEnd && w.count >= threshold) {
      alerts++;
      nextEnd = w.end + suppressionMinutes;
    }
  }
  return alerts;
}

export function histogramOf(peaks: readonly number[]): HistogramBin[] {
  return HISTOGRAM_BINS.map((bin) => ({
    label: bin.to === null ? `${bin.from}+` : bin.from === bin.to ? `${bin.from}` : `${bin.from}–${bin.to}`,
    from: bin.from,
    to: bin.to,
    keys: peaks.filter((p) => p >= bin.from && (bin.to === null || p <= bin.to)).length,
  }));
}

const iso = (ms: number): string => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------------------------
// The analysis.

interface Analysed {
  readonly report: KeyReport;
  readonly pairs: readonly PairCount[];
  readonly alerts: readonly number[];
}

function analyseKey(
  key: string,
  tally: KeyTally,
  store: MemoryWindowStore,
  config: DetectionConfig,
  thresholds: readonly number[],
): Analysed {
  const width = bucketsPerWindow(config);
  const buckets = store.readBucketsSync(key, tally.firstBucket, tally.lastBucket, READ_ALL);
  // Every window that holds any of the key's buckets: ends from its first bucket to its last + width - 1.
  const counts = windowCounts(buckets, tally.firstBucket, tally.lastBucket + width - 1, width, config.count);
  let peak = counts[0] as WindowCount;
  for (const w of counts) if (w.count > peak.count) peak = w;
  const peakFrom = peak.end - width + 1;
  // Loops rather than Math.min(...spread): a key active all month has tens of thousands of buckets.
  let firstSeen = Number.POSITIVE_INFINITY;
  let lastSeen = Number.NEGATIVE_INFINITY;
  let peakFirst = Number.POSITIVE_INFINITY;
  let peakLast = Number.NEGATIVE_INFINITY;
  for (const b of buckets) {
    firstSeen = Math.min(firstSeen, b.firstSeen);
    lastSeen = Math.max(lastSeen, b.lastSeen);
    if (b.bucket >= peakFrom && b.bucket <= peak.end) {
      peakFirst = Math.min(peakFirst, b.firstSeen);
      peakLast = Math.max(peakLast, b.lastSeen);
    }
  }
  const latest = buckets[buckets.length - 1] as BucketState;
  const pairs = tally.pairs.pairs();
  const topPairs = pairs.slice(0, PAIRS_REPORTED);
  const listed = topPairs.reduce((sum, p) => sum + p.events, 0);
  return {
    report: {
      key,
      userName: latest.identity.userName,
      userArn: latest.identity.userArn,
      identityType: latest.identity.identityType,
      accountId: latest.identity.accountId,
      peak: peak.count,
      peakIsLowerBound: buckets.some((b) => b.saturated),
      peakWindowStart: iso(bucketStart(peakFrom)),
      peakWindowEnd: iso(bucketStart(peak.end + 1)),
      peakFirstEvent: iso(peakFirst),
      peakLastEvent: iso(peakLast),
      events: tally.events,
      activeMinutes: buckets.length,
      firstSeen: iso(firstSeen),
      lastSeen: iso(lastSeen),
      topPairs,
      otherEvents: tally.events - listed,
      timeline: buckets.map((b) => ({ minute: iso(bucketStart(b.bucket)), events: b.events })),
    },
    pairs,
    alerts: thresholds.map((t) => alertsAt(counts, t, config.suppressionMinutes)),
  };
}

export interface TuneOptions {
  /** Thresholds to tabulate (default: candidateThresholds(config.threshold)). */
  readonly thresholds?: readonly number[];
}

/** Counts `items` exactly as `rsr replay` does and analyses every key's history. */
export async function tune(
  items: AsyncIterable<ReplayItem> | Iterable<ReplayItem>,
  config: DetectionConfig,
  options: TuneOptions = {},
): Promise<TuneReport> {
  const thresholds = [...new Set(options.thresholds ?? candidateThresholds(config.threshold))].sort((a, b) => a - b);
  const ceiling = Math.max(config.threshold, ...thresholds);
  // Same qualification and keys; only the saturation point (derived from the threshold) and the signals differ.
  const detector = new Detector({ ...config, threshold: ceiling, signals: [] });
  const store = new TallyingStore();
  const { stats, firstEvent, lastEvent } = await countRecords(items, detector, store);

  const analysed = [...store.tallies.entries()].map(([key, tally]) =>
    analyseKey(key, tally, store, config, thresholds),
  );
  analysed.sort(
    (a, b) => b.report.peak - a.report.peak || b.report.events - a.report.events || compare(a.report.key, b.report.key),
  );
  // Timelines only for the loudest keys: enough to see their shape, without one entry per minute for every key.
  const keys = analysed.map((a, i) => {
    if (i < TIMELINE_KEYS) return a.report;
    const { timeline: _dropped, ...rest } = a.report;
    return rest;
  });

  const thresholdRows: ThresholdRow[] = thresholds.map((threshold, i) => {
    const over = analysed.filter((a) => a.report.peak >= threshold);
    return {
      threshold,
      current: threshold === config.threshold,
      keys: over.length,
      alerts: over.reduce((sum, a) => sum + (a.alerts[i] as number), 0),
      identities: over.map((a) => a.report.key),
    };
  });

  const suggestions = analysed
    .filter((a) => a.report.peak >= config.threshold)
    .slice(0, SUGGESTED_KEYS)
    .flatMap((a) => suggestFor({ ...a.report, pairs: a.pairs }, config.groupBy));

  return {
    version: TUNE_SCHEMA_VERSION,
    config: {
      preset: config.preset,
      threshold: config.threshold,
      windowMinutes: config.windowMinutes,
      windowBuckets: bucketsPerWindow(config),
      count: config.count,
      groupBy: config.groupBy,
      suppressionMinutes: config.suppressionMinutes,
      browserNames: config.browserNames,
      exceptions: config.exceptions.length,
      saturation: detector.saturation,
      signalsNotAnalysed: config.signals,
    },
    totals: totalsOf(stats, keys.length, firstEvent, lastEvent),
    keys,
    histogram: histogramOf(keys.map((k) => k.peak)),
    thresholds: thresholdRows,
    suggestions,
  };
}

function totalsOf(stats: IngestStats, keys: number, first: number | undefined, last: number | undefined): TuneTotals {
  return {
    records: stats.received,
    qualifying: stats.qualifying,
    counted: stats.counted,
    duplicates: stats.duplicates,
    aboveSaturation: stats.saturated,
    skipped: Object.fromEntries(Object.entries(stats.skipped).filter(([, n]) => n > 0)),
    keys,
    firstEvent: first === undefined ? null : iso(first),
    lastEvent: last === undefined ? null : iso(last),
  };
}
