/**
 * The test matcher for EventBridge event patterns (test/support/event-pattern.ts): the deploy tests trust it to say
 * which CloudTrail events a rule would receive, so its operators are checked here against the semantics EventBridge
 * documents, including the invalid patterns EventBridge would refuse.
 */
import {
  type EventPattern,
  matchesPattern,
  type PatternValue,
  parseWildcard,
  UnsupportedPatternError,
} from '../support/event-pattern';

function event(functionName: unknown): Record<string, unknown> {
  return { detail: { requestParameters: { functionName } } };
}

function onFunctionName(alternatives: readonly PatternValue[]): EventPattern {
  return { detail: { requestParameters: { functionName: alternatives } } };
}

describe('exact values and exists', () => {
  test('match an equal value, any element of an array value, and absence with exists false', () => {
    // Prepare
    const exact = onFunctionName(['rsr-ingest']);
    const absent: EventPattern = { detail: { errorCode: [{ exists: false }] } };
    // Act / Assess
    expect(matchesPattern(exact, event('rsr-ingest'))).toBe(true);
    expect(matchesPattern(exact, event(['other', 'rsr-ingest']))).toBe(true);
    expect(matchesPattern(exact, event('rsr-ingest-copy'))).toBe(false);
    expect(matchesPattern(absent, { detail: {} })).toBe(true);
    expect(matchesPattern(absent, { detail: { errorCode: 'AccessDenied' } })).toBe(false);
  });
});

describe('prefix and suffix', () => {
  test('match the start or the end of a string value, element by element in an array', () => {
    // Prepare
    const prefix = onFunctionName([{ prefix: 'rsr-ingest:' }]);
    const suffix = onFunctionName([{ suffix: ':function:rsr-ingest' }]);
    // Act / Assess
    expect(matchesPattern(prefix, event('rsr-ingest:1'))).toBe(true);
    expect(matchesPattern(prefix, event('rsr-ingest:'))).toBe(true);
    expect(matchesPattern(prefix, event('rsr-ingest'))).toBe(false);
    expect(matchesPattern(prefix, event('x-rsr-ingest:1'))).toBe(false);
    expect(matchesPattern(suffix, event('arn:aws:lambda:us-east-1:111122223333:function:rsr-ingest'))).toBe(true);
    expect(matchesPattern(suffix, event('111122223333:function:rsr-ingest'))).toBe(true);
    expect(matchesPattern(suffix, event('rsr-ingest'))).toBe(false);
    expect(matchesPattern(suffix, event('arn:aws:lambda:us-east-1:111122223333:function:rsr-ingest:1'))).toBe(false);
    expect(matchesPattern(suffix, event(['a', 'b:function:rsr-ingest']))).toBe(true);
  });

  test('never match a non-string value or an absent field', () => {
    // Prepare
    const prefix = onFunctionName([{ prefix: '1' }]);
    const suffix = onFunctionName([{ suffix: 'e' }]);
    // Act / Assess
    for (const value of [12, true, null, { a: '1' }]) {
      expect(matchesPattern(prefix, event(value))).toBe(false);
      expect(matchesPattern(suffix, event(value))).toBe(false);
    }
    expect(matchesPattern(prefix, { detail: { requestParameters: {} } })).toBe(false);
  });
});

describe('wildcard', () => {
  test('a star spans zero or more characters, anywhere in the pattern', () => {
    // Prepare
    const inner = onFunctionName([{ wildcard: '*:function:rsr-ingest:*' }]);
    const both = onFunctionName([{ wildcard: 'arn:*:rsr-*' }]);
    // Act / Assess
    expect(matchesPattern(inner, event('arn:aws:lambda:us-east-1:111122223333:function:rsr-ingest:$LATEST'))).toBe(
      true,
    );
    expect(matchesPattern(inner, event(':function:rsr-ingest:'))).toBe(true);
    expect(matchesPattern(inner, event('111122223333:function:rsr-ingest'))).toBe(false);
    expect(matchesPattern(inner, event('arn:aws:lambda:us-east-1:111122223333:function:rsr-ingestion:1'))).toBe(false);
    expect(matchesPattern(both, event('arn::rsr-'))).toBe(true);
    expect(matchesPattern(both, event('arn:aws:lambda:x:rsr-ingest'))).toBe(true);
    expect(matchesPattern(both, event('xarn:aws:rsr-ingest'))).toBe(false);
  });

  test('without a star it is an exact match; a lone star matches every string and nothing else', () => {
    // Prepare
    const plain = onFunctionName([{ wildcard: 'rsr-ingest' }]);
    const any = onFunctionName([{ wildcard: '*' }]);
    // Act / Assess
    expect(matchesPattern(plain, event('rsr-ingest'))).toBe(true);
    expect(matchesPattern(plain, event('rsr-ingest2'))).toBe(false);
    expect(matchesPattern(any, event(''))).toBe(true);
    expect(matchesPattern(any, event('x'))).toBe(true);
    expect(matchesPattern(any, event(7))).toBe(false);
    expect(matchesPattern(any, { detail: { requestParameters: {} } })).toBe(false);
  });

  test('backtracks when a literal after a star occurs more than once', () => {
    // Prepare
    const pattern = onFunctionName([{ wildcard: '*ab*abc' }]);
    // Act / Assess
    expect(matchesPattern(pattern, event('xabyababc'))).toBe(true);
    expect(matchesPattern(pattern, event('abab'))).toBe(false);
  });

  test('\\* is a literal asterisk and \\\\ a literal backslash', () => {
    // Prepare
    const star = onFunctionName([{ wildcard: 'a\\*b' }]);
    const backslash = onFunctionName([{ wildcard: 'a\\\\*' }]);
    // Act / Assess
    expect(matchesPattern(star, event('a*b'))).toBe(true);
    expect(matchesPattern(star, event('axb'))).toBe(false);
    expect(matchesPattern(backslash, event('a\\'))).toBe(true);
    expect(matchesPattern(backslash, event('a\\anything'))).toBe(true);
    expect(matchesPattern(backslash, event('ab'))).toBe(false);
    expect(parseWildcard('a\\*b*')).toEqual([{ literal: 'a*b' }, { star: true }]);
  });

  test('refuses the patterns EventBridge refuses: consecutive stars and other escapes, even on a miss', () => {
    // Act / Assess
    for (const wildcard of ['a**b', '**', 'a\\b', 'trailing\\']) {
      const pattern = onFunctionName([{ wildcard }]);
      expect(() => matchesPattern(pattern, event('a'))).toThrow(UnsupportedPatternError);
      expect(() => matchesPattern(pattern, { detail: { requestParameters: {} } })).toThrow(UnsupportedPatternError);
    }
    // An escaped star next to a real one is not two consecutive wildcards.
    expect(matchesPattern(onFunctionName([{ wildcard: '\\**' }]), event('*x'))).toBe(true);
  });
});

describe('operators this matcher does not implement', () => {
  test('throw instead of matching or failing silently', () => {
    // Prepare
    // Cast: these are exactly the shapes the PatternValue type keeps out of the rules' own patterns.
    const unsupported = [
      { 'anything-but': 'x' },
      { 'equals-ignore-case': 'x' },
      { numeric: ['>', 0] },
      { prefix: { 'equals-ignore-case': 'x' } },
      { prefix: 'a', suffix: 'b' },
      { exists: 'yes' },
    ] as unknown as PatternValue[];
    // Act / Assess
    for (const alternative of unsupported) {
      expect(() => matchesPattern(onFunctionName([alternative]), event('x'))).toThrow(UnsupportedPatternError);
    }
  });
});
