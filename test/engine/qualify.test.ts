import { DEFAULTS, type DetectionConfig } from '../../lib/config/load';
import { ConfigError } from '../../lib/engine/errors';
import type { SkipReason } from '../../lib/engine/event';
import type { ExceptionEntry } from '../../lib/engine/exceptions';
import { makeQualifier, qualifierChecks } from '../../lib/engine/qualify';
import { loadEvent } from './qualify-helpers';

function config(overrides: Partial<DetectionConfig> = {}): DetectionConfig {
  return { ...DEFAULTS, ...overrides };
}

function withExceptions(exceptions: readonly ExceptionEntry[]): DetectionConfig {
  return config({ exceptions });
}

describe('makeQualifier with the default configuration', () => {
  const qualify = makeQualifier(config());

  it.each<[fixture: string, expected: SkipReason | undefined]>([
    // counted
    ['get-secret-value-cli', undefined],
    ['batch-get-secret-value-sdk', undefined],
    ['custom-agent-stratus', undefined],
    ['assumed-role-boto3', undefined],
    ['assumed-role-ipv6', undefined],
    ['console-aws-internal', undefined],
    ['service-source', undefined],
    // browsers the reference rule does not list still count
    ['headless-chrome', undefined],
    ['chrome-mobile-android', undefined],
    ['mobile-safari-iphone', undefined],
    // each listed browser is excluded
    ['browser-chrome', 'browser-agent'],
    ['browser-firefox', 'browser-agent'],
    ['browser-safari', 'browser-agent'],
    ['browser-edge', 'browser-agent'],
    ['browser-brave-token', 'browser-agent'],
    ['browser-opera', 'browser-agent'],
    // unsuccessful calls
    ['failed-access-denied', 'failed-call'],
    ['failed-error-message-only', 'failed-call'],
    // other calls
    ['list-secrets', 'other-api'],
    ['kms-decrypt', 'other-service'],
    ['kms-get-secret-value-name', 'other-service'],
  ])('%s -> %s', (fixture, expected) => {
    // Prepare
    const event = loadEvent(fixture);
    // Act
    const reason = qualify(event);
    // Assess
    expect(reason).toBe(expected);
  });

  it('reports the earliest failing check when several apply', () => {
    // Prepare / Act / Assess: a failed browser call is a failed call; a browser ListSecrets is another API.
    expect(qualify(loadEvent('failed-from-browser'))).toBe('failed-call');
    expect(qualify(loadEvent('list-secrets-from-browser'))).toBe('other-api');
  });

  it('lets an exception skip only events that would otherwise count', () => {
    // Prepare: an entry matching alice by principal; her browser and failed calls keep their own reasons.
    const qualifyWithException = makeQualifier(withExceptions([{ principal: 'AIDAEXAMPLEUSER00001' }]));
    // Act / Assess
    expect(qualifyWithException(loadEvent('get-secret-value-cli'))).toBe('exception');
    expect(qualifyWithException(loadEvent('browser-chrome'))).toBe('browser-agent');
    expect(qualifyWithException(loadEvent('failed-access-denied'))).toBe('failed-call');
  });
});

describe('makeQualifier browser names', () => {
  it('compares names exactly and case-sensitively as configured', () => {
    // Prepare
    const lowerCase = makeQualifier(config({ browserNames: ['chrome', 'firefox'] }));
    // Act / Assess
    expect(lowerCase(loadEvent('browser-chrome'))).toBeUndefined();
    expect(lowerCase(loadEvent('browser-firefox'))).toBeUndefined();
  });

  it('excludes exactly the configured families, mobile ones included when listed', () => {
    // Prepare
    const qualify = makeQualifier(config({ browserNames: ['Chrome Mobile', 'HeadlessChrome'] }));
    // Act / Assess
    expect(qualify(loadEvent('chrome-mobile-android'))).toBe('browser-agent');
    expect(qualify(loadEvent('headless-chrome'))).toBe('browser-agent');
    expect(qualify(loadEvent('browser-chrome'))).toBeUndefined();
    expect(qualify(loadEvent('mobile-safari-iphone'))).toBeUndefined();
  });

  it('excludes no browser when the list is empty', () => {
    // Prepare
    const qualify = makeQualifier(config({ browserNames: [] }));
    // Act / Assess
    expect(qualify(loadEvent('browser-chrome'))).toBeUndefined();
    expect(qualifierChecks(config({ browserNames: [] }))).toHaveLength(3);
  });
});

describe('makeQualifier exceptions', () => {
  // get-secret-value-cli: IAM user alice (AIDAEXAMPLEUSER00001), account 111122223333, 203.0.113.10, aws-cli/2.x
  // assumed-role-boto3: AROAEXAMPLEROLE00001:build-7f3a, role ci/ci-deployer, account 444455556666, 198.51.100.77
  // assumed-role-ipv6: the same session from 2001:db8:4d2:17::a1
  it.each<[label: string, entry: ExceptionEntry, fixture: string, expected: SkipReason | undefined]>([
    ['principal matches', { principal: 'AROAEXAMPLEROLE00001:*' }, 'assumed-role-boto3', 'exception'],
    ['principal does not match', { principal: 'AROAEXAMPLEROLE00001:*' }, 'get-secret-value-cli', undefined],
    ['arn matches the user ARN', { arn: 'arn:aws:iam::111122223333:user/alice' }, 'get-secret-value-cli', 'exception'],
    ['arn matches the session issuer', { arn: 'arn:aws:iam::*:role/ci/*' }, 'assumed-role-boto3', 'exception'],
    ['arn does not match', { arn: 'arn:aws:iam::*:role/ops/*' }, 'assumed-role-boto3', undefined],
    ['userAgent matches', { userAgent: 'Boto3/1.34.*' }, 'assumed-role-boto3', 'exception'],
    ['userAgent does not match', { userAgent: 'Boto3/1.35.*' }, 'assumed-role-boto3', undefined],
    ['accountId matches', { accountId: '111122223333' }, 'get-secret-value-cli', 'exception'],
    ['accountId does not match', { accountId: '111122223333' }, 'assumed-role-boto3', undefined],
    ['IPv4 CIDR matches', { sourceCidr: '203.0.113.0/24' }, 'get-secret-value-cli', 'exception'],
    ['IPv4 CIDR does not match', { sourceCidr: '203.0.114.0/24' }, 'get-secret-value-cli', undefined],
    ['IPv6 CIDR matches', { sourceCidr: '2001:db8:4d2::/48' }, 'assumed-role-ipv6', 'exception'],
    ['IPv6 CIDR does not match', { sourceCidr: '2001:db8:4d3::/48' }, 'assumed-role-ipv6', undefined],
    [
      'CIDR list matches on its second item',
      { sourceCidr: ['192.0.2.0/24', '198.51.100.64/26'] },
      'assumed-role-boto3',
      'exception',
    ],
    ['CIDR list matches none', { sourceCidr: ['192.0.2.0/24', '198.51.100.0/26'] }, 'assumed-role-boto3', undefined],
    ['IPv4-mapped source in IPv4 CIDR', { sourceCidr: '198.51.100.0/24' }, 'ipv4-mapped-source', 'exception'],
    ['service name never in a CIDR', { sourceCidr: ['0.0.0.0/0', '::/0'] }, 'service-source', undefined],
    [
      'agent and CIDR together match',
      { userAgent: 'Boto3/*', sourceCidr: '198.51.100.0/24', comment: 'CI runners' },
      'assumed-role-boto3',
      'exception',
    ],
    [
      'agent right but CIDR wrong',
      { userAgent: 'Boto3/*', sourceCidr: '203.0.113.0/24', comment: 'CI runners' },
      'assumed-role-boto3',
      undefined,
    ],
    [
      'CIDR right but agent wrong',
      { userAgent: 'aws-sdk-java/*', sourceCidr: '198.51.100.0/24', comment: 'CI runners' },
      'assumed-role-boto3',
      undefined,
    ],
  ])('%s', (_label, entry, fixture, expected) => {
    // Prepare
    const qualify = makeQualifier(withExceptions([entry]));
    // Act
    const reason = qualify(loadEvent(fixture));
    // Assess
    expect(reason).toBe(expected);
  });

  it('rejects an invalid exception entry when the qualifier is built', () => {
    // Prepare
    const bad = withExceptions([{ sourceCidr: '10.0.0.1/8' }]);
    // Act / Assess
    expect(() => makeQualifier(bad)).toThrow(ConfigError);
  });
});

describe('qualifierChecks', () => {
  it('runs the reference filters, then the browser list, then exceptions', () => {
    // Prepare / Act
    const none = qualifierChecks(config({ browserNames: [], exceptions: [] }));
    const all = qualifierChecks(withExceptions([{ accountId: '111122223333' }]));
    // Assess: the elastic-2024 preset adds no checks of its own.
    expect(none).toHaveLength(3);
    expect(all).toHaveLength(5);
  });
});
