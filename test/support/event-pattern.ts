/**
 * A small EventBridge event-pattern matcher for tests. It implements exactly the operators the project's rules use:
 * exact string (or number/boolean) values, an array of alternatives, `{"exists": true|false}`, and nested objects.
 * Any other operator (`prefix`, `anything-but`, `$or`, ...) throws, so a rule that starts using one cannot pass a
 * test by accident. EventBridge semantics kept: every pattern field must match; alternatives are OR-ed; an array in
 * the event matches when any of its elements matches; `exists: false` matches an absent field.
 */

export type PatternValue = string | number | boolean | { readonly exists: boolean };
export interface EventPattern {
  readonly [field: string]: readonly PatternValue[] | EventPattern;
}

export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function matchesAlternative(alternative: PatternValue, present: boolean, value: unknown): boolean {
  if (isRecord(alternative)) {
    const keys = Object.keys(alternative);
    if (keys.length !== 1 || keys[0] !== 'exists' || typeof alternative.exists !== 'boolean') {
      throw new UnsupportedPatternError(`unsupported pattern operator ${JSON.stringify(alternative)}`);
    }
    // EventBridge's `exists` applies to leaf values; an object or array value does not count as existing.
    const leaf = present && value !== null && typeof value !== 'object';
    return alternative.exists ? leaf : !present;
  }
  if (!present) return false;
  const candidates = Array.isArray(value) ? value : [value];
  return candidates.some((candidate) => candidate === alternative);
}

/** True when `event` matches `pattern`. Throws UnsupportedPatternError on operators this matcher does not know. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isRecord(event)) return false;
  return Object.entries(pattern).every(([field, expected]) => {
    const present = Object.hasOwn(event, field);
    const value = event[field];
    if (Array.isArray(expected)) {
      if (expected.length === 0) throw new UnsupportedPatternError(`empty alternatives for ${field}`);
      return expected.some((alternative: PatternValue) => matchesAlternative(alternative, present, value));
    }
    if (isRecord(expected)) {
      return present && isRecord(value) && matchesPattern(expected as EventPattern, value);
    }
    throw new UnsupportedPatternError(`pattern field ${field} must be an array or an object`);
  });
}

/** Wraps a bare CloudTrail record the way EventBridge delivers it ("AWS API Call via CloudTrail"). */
export function cloudTrailEnvelope(record: Record<string, unknown>): Record<string, unknown> {
  const eventSource = String(record.eventSource ?? '');
  return {
    version: '0',
    id: String(record.eventID ?? 'test'),
    source: `aws.${eventSource.replace(/\.amazonaws\.com$/, '')}`,
    'detail-type': 'AWS API Call via CloudTrail',
    account: String(record.recipientAccountId ?? '111122223333'),
    time: String(record.eventTime ?? '1970-01-01T00:00:00Z'),
    region: String(record.awsRegion ?? 'us-east-1'),
    resources: [],
    detail: record,
  };
}
