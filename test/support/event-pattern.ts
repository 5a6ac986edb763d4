/**
 * A small EventBridge event-pattern matcher for tests. It implements exactly the operators the project's rules use:
 * exact string (or number/boolean) values, an array of alternatives, `{"exists": true|false}`, `{"prefix": "..."}`,
 * `{"suffix": "..."}`, `{"wildcard": "..."}`, and nested objects. Any other operator (`anything-but`, `numeric`,
 * `equals-ignore-case`, a nested `{"prefix": {"equals-ignore-case": ...}}`, `$or`, ...) throws, so a rule that starts
 * using one cannot pass a test by accident. EventBridge semantics kept: every pattern field must match; alternatives
 * are OR-ed; an array in the event matches when any of its elements matches; `exists: false` matches an absent field;
 * prefix, suffix and wildcard match string values only (never a number, boolean, null, object or array).
 *
 * Wildcard, as EventBridge's engine (Event Ruler) defines it: `*` stands for zero or more characters; `\*` is a
 * literal asterisk and `\\` a literal backslash; two consecutive wildcards, and a backslash before anything else,
 * are invalid patterns (EventBridge refuses the rule, so this matcher throws).
 */

export type PatternValue =
  | string
  | number
  | boolean
  | { readonly exists: boolean }
  | { readonly prefix: string }
  | { readonly suffix: string }
  | { readonly wildcard: string };
export interface EventPattern {
  readonly [field: string]: readonly PatternValue[] | EventPattern;
}

export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One piece of a parsed wildcard pattern: literal text, or a `*`. */
type WildcardPart = { readonly literal: string } | { readonly star: true };

/** Parses a wildcard pattern, refusing what EventBridge refuses (`**`, and escapes other than `\*` and `\\`). */
export function parseWildcard(pattern: string): WildcardPart[] {
  const parts: WildcardPart[] = [];
  let literal = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        throw new UnsupportedPatternError(`wildcard ${JSON.stringify(pattern)}: a backslash may only escape * or \\`);
      }
      literal += next;
      i++;
    } else if (c === '*') {
      if (pattern[i + 1] === '*') {
        throw new UnsupportedPatternError(`wildcard ${JSON.stringify(pattern)}: consecutive wildcards are not allowed`);
      }
      if (literal !== '') parts.push({ literal });
      literal = '';
      parts.push({ star: true });
    } else {
      literal += c;
    }
  }
  if (literal !== '') parts.push({ literal });
  return parts;
}

/** True when `value` matches the parsed wildcard `parts` in full (a `*` spans zero or more characters). */
function matchesWildcard(parts: readonly WildcardPart[], value: string): boolean {
  // Greedy-free matching with backtracking to the last star: linear in practice for the few stars a rule has.
  const match = (p: number, v: number): boolean => {
    if (p === parts.length) return v === value.length;
    const part = parts[p] as WildcardPart;
    if ('literal' in part) {
      return value.startsWith(part.literal, v) && match(p + 1, v + part.literal.length);
    }
    for (let next = v; next <= value.length; next++) if (match(p + 1, next)) return true;
    return false;
  };
  return match(0, 0);
}

/** The string operators: each takes a string operand and matches string values only. */
const STRING_OPERATORS: Readonly<Record<string, (operand: string) => (value: string) => boolean>> = {
  prefix: (operand) => (value) => value.startsWith(operand),
  suffix: (operand) => (value) => value.endsWith(operand),
  wildcard: (operand) => {
    const parts = parseWildcard(operand);
    return (value) => matchesWildcard(parts, value);
  },
};

function matchesAlternative(alternative: PatternValue, present: boolean, value: unknown): boolean {
  if (isRecord(alternative)) {
    const keys = Object.keys(alternative);
    const [operator] = keys;
    const operand = operator === undefined ? undefined : (alternative as Record<string, unknown>)[operator];
    if (keys.length === 1 && operator === 'exists' && typeof operand === 'boolean') {
      // EventBridge's `exists` applies to leaf values; an object or array value does not count as existing.
      const leaf = present && value !== null && typeof value !== 'object';
      return operand ? leaf : !present;
    }
    const makeTest = operator === undefined ? undefined : STRING_OPERATORS[operator];
    if (keys.length !== 1 || makeTest === undefined || typeof operand !== 'string') {
      throw new UnsupportedPatternError(`unsupported pattern operator ${JSON.stringify(alternative)}`);
    }
    // Build (and so validate) the test before looking at the event: an invalid pattern throws even on a miss.
    const test = makeTest(operand);
    if (!present) return false;
    const candidates = Array.isArray(value) ? value : [value];
    return candidates.some((candidate) => typeof candidate === 'string' && test(candidate));
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
