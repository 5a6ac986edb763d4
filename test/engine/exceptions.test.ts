import { ConfigError } from '../../lib/engine/errors';
import { compileExceptions, compileGlob, type ExceptionEntry, parseExceptions } from '../../lib/engine/exceptions';
import { loadEvent } from './qualify-helpers';

/** The ConfigError thrown by `act`, for assertions on its fields. */
function configErrorOf(act: () => unknown): ConfigError {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('compileGlob', () => {
  it.each([
    ['arn:aws:iam::111122223333:role/*', 'arn:aws:iam::111122223333:role/ci/ci-deployer', true],
    [
      'arn:aws:sts::*:assumed-role/ci-deployer/*',
      'arn:aws:sts::444455556666:assumed-role/ci-deployer/build-7f3a',
      true,
    ],
    ['AROAEXAMPLEROLE00001:*', 'AROAEXAMPLEROLE00001:build-7f3a', true],
    ['aws-sdk-java/2.* Linux/*', 'aws-sdk-java/2.25.16 Linux/5.10.213 OpenJDK', true],
    ['Mozilla/5.0 (Windows NT *', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', true],
    ['*', '', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'a/b:c', true],
    ['a?c', 'a/c', true],
    ['a?c', 'ac', false],
    ['a?c', 'abbc', false],
    ['alice', 'Alice', false],
    ['alice', 'alice2', false],
    ['alice', 'malice', false],
    ['role/*', 'arn:aws:iam::111122223333:role/x', false],
    ['[abc]', '[abc]', true],
    ['[abc]', 'a', false],
    ['{a,b}', '{a,b}', true],
    ['!foo', '!foo', true],
    ['+(x)', '+(x)', true],
    ['literal\\*star', 'literal*star', true],
    ['literal\\*star', 'literalXstar', false],
    ['what\\?', 'what?', true],
    ['what\\?', 'whatX', false],
    ['back\\\\slash', 'back\\slash', true],
  ])('glob %j against %j is %s', (pattern, text, expected) => {
    // Prepare
    const glob = compileGlob(pattern);
    // Act
    const result = glob.test(text);
    // Assess
    expect(result).toBe(expected);
  });

  it('matches in linear-ish time where a naive regex would backtrack for ever', () => {
    // Prepare
    const glob = compileGlob('*a*a*a*a*a*a*a*a*b');
    const text = 'a'.repeat(1024);
    // Act
    const started = Date.now();
    const result = glob.test(text);
    // Assess
    expect(result).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('parseExceptions', () => {
  it('accepts a document with every field and returns the entries unchanged', () => {
    // Prepare
    const entries = [
      {
        principal: 'AROAEXAMPLEROLE00001:*',
        arn: 'arn:aws:iam::444455556666:role/ci/*',
        userAgent: 'Boto3/1.34.* *',
        sourceCidr: ['198.51.100.0/24', '2001:db8::/32'],
        accountId: '444455556666',
        comment: 'CI deploys read their secrets in bulk',
      },
      { sourceCidr: '10.0.0.0/8' },
      { sourceCidr: '203.0.113.7' },
    ];
    // Act
    const parsed = parseExceptions(JSON.stringify(entries), 'EXCEPTIONS');
    // Assess
    expect(parsed).toEqual(entries);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed[0])).toBe(true);
  });

  it('accepts an empty array', () => {
    // Prepare / Act
    const parsed = parseExceptions('[]', 'EXCEPTIONS');
    // Assess
    expect(parsed).toEqual([]);
  });

  it.each([
    ['not JSON', '[{principal:', 'EXCEPTIONS', /JSON parse error/],
    ['not an array', '{"principal":"x"}', 'EXCEPTIONS', /JSON array/],
    ['an entry that is not an object', '[{"principal":"x"}, "x"]', 'EXCEPTIONS[1]', /object/],
    ['an entry that is an array', '[[]]', 'EXCEPTIONS[0]', /object/],
    ['an entry without conditions', '[{"comment":"why"}]', 'EXCEPTIONS[0]', /at least one condition/],
    ['an empty entry', '[{}]', 'EXCEPTIONS[0]', /at least one condition/],
    ['a misspelt field', '[{"principal":"x"},{"principle":"AIDA*"}]', 'EXCEPTIONS[1].principle', /no such field/],
    ['an inherited-looking field', '[{"principal":"x","__proto__":{}}]', 'EXCEPTIONS[0].__proto__', /no such field/],
    ['a non-string glob', '[{"principal":42}]', 'EXCEPTIONS[0].principal', /glob string/],
    ['an empty glob', '[{"userAgent":""}]', 'EXCEPTIONS[0].userAgent', /non-empty glob/],
    ['a match-everything glob', '[{"arn":"**"}]', 'EXCEPTIONS[0].arn', /narrower than/],
    ['a numeric account id', '[{"accountId":111122223333}]', 'EXCEPTIONS[0].accountId', /12-digit/],
    ['a short account id', '[{"accountId":"11112222333"}]', 'EXCEPTIONS[0].accountId', /12-digit/],
    ['a non-string comment', '[{"principal":"x","comment":1}]', 'EXCEPTIONS[0].comment', /string/],
    [
      'a malformed CIDR',
      '[{"principal":"x"},{"principal":"y"},{"sourceCidr":"10.0.0/8"}]',
      'EXCEPTIONS[2].sourceCidr',
      /CIDR/,
    ],
    ['a prefix too long', '[{"sourceCidr":"10.0.0.0/33"}]', 'EXCEPTIONS[0].sourceCidr', /CIDR/],
    ['a short-form IPv4 address', '[{"sourceCidr":"10/8"}]', 'EXCEPTIONS[0].sourceCidr', /CIDR/],
    ['host bits set', '[{"sourceCidr":"10.1.2.3/8"}]', 'EXCEPTIONS[0].sourceCidr', /host bits/],
    ['IPv6 host bits set', '[{"sourceCidr":"2001:db8::1/32"}]', 'EXCEPTIONS[0].sourceCidr', /host bits/],
    ['a hostname', '[{"sourceCidr":"kafka.amazonaws.com"}]', 'EXCEPTIONS[0].sourceCidr', /CIDR/],
    ['an empty CIDR list', '[{"sourceCidr":[]}]', 'EXCEPTIONS[0].sourceCidr', /non-empty array/],
    ['a bad CIDR in a list', '[{"sourceCidr":["10.0.0.0/8","fe80::/ten"]}]', 'EXCEPTIONS[0].sourceCidr[1]', /CIDR/],
    ['a non-string CIDR in a list', '[{"sourceCidr":["10.0.0.0/8",8]}]', 'EXCEPTIONS[0].sourceCidr[1]', /CIDR/],
  ])('rejects %s, naming where', (_label, json, variable, accepted) => {
    // Prepare / Act
    const error = configErrorOf(() => parseExceptions(json, 'EXCEPTIONS'));
    // Assess
    expect(error.variable).toBe(variable);
    expect(error.accepted).toMatch(accepted);
    expect(error.message).toContain(`${variable}=`);
  });

  it('puts the offending value in the message', () => {
    // Prepare / Act
    const error = configErrorOf(() =>
      parseExceptions('[{"principal":"x"},{"principal":"y"},{"sourceCidr":"10.0.0.1/8"}]', 'EXCEPTIONS'),
    );
    // Assess
    expect(error.message).toMatch(/^EXCEPTIONS\[2\]\.sourceCidr="10\.0\.0\.1\/8" is not valid: expected /);
  });

  it('names the source it was given (e.g. an SSM parameter) in errors', () => {
    // Prepare / Act
    const error = configErrorOf(() => parseExceptions('[{"principle":"x"}]', '/rsr/exceptions'));
    // Assess
    expect(error.variable).toBe('/rsr/exceptions[0].principle');
  });
});

describe('compileExceptions', () => {
  const cli = loadEvent('get-secret-value-cli'); // IAM user alice, 203.0.113.10, aws-cli, account 111122223333
  const role = loadEvent('assumed-role-boto3'); // ci-deployer session, 198.51.100.77, Boto3, account 444455556666
  const ipv6 = loadEvent('assumed-role-ipv6'); // same session from 2001:db8:4d2:17::a1
  const mapped = loadEvent('ipv4-mapped-source'); // alice from ::ffff:198.51.100.23
  const service = loadEvent('service-source'); // sourceIPAddress secretsmanager.amazonaws.com

  it('never matches with no entries', () => {
    // Prepare
    const matches = compileExceptions([]);
    // Act / Assess
    expect([cli, role, ipv6, mapped, service].some(matches)).toBe(false);
  });

  it('requires every condition of an entry (conjunction)', () => {
    // Prepare
    const matches = compileExceptions([{ userAgent: 'Boto3/*', sourceCidr: '203.0.113.0/24' }]);
    // Act / Assess: role has the agent but not the address; cli has the address but not the agent.
    expect(matches(role)).toBe(false);
    expect(matches(cli)).toBe(false);
  });

  it('matches when any entry matches (disjunction)', () => {
    // Prepare
    const matches = compileExceptions([
      { accountId: '999999999999' },
      { userAgent: 'Boto3/*', sourceCidr: '198.51.100.0/24' },
    ]);
    // Act / Assess
    expect(matches(role)).toBe(true);
    expect(matches(cli)).toBe(false);
  });

  it.each<[string, ExceptionEntry, boolean, boolean]>([
    ['principal', { principal: 'AROAEXAMPLEROLE00001:*' }, true, false],
    ['arn against the session ARN', { arn: 'arn:aws:sts::444455556666:assumed-role/ci-deployer/*' }, true, false],
    ['arn against the session issuer', { arn: 'arn:aws:iam::444455556666:role/ci/*' }, true, false],
    ['arn against an IAM user', { arn: 'arn:aws:iam::111122223333:user/alice' }, false, true],
    ['userAgent', { userAgent: 'aws-cli/2.* *' }, false, true],
    ['accountId', { accountId: '444455556666' }, true, false],
    ['sourceCidr IPv4', { sourceCidr: '198.51.100.0/24' }, true, false],
    ['sourceCidr single address', { sourceCidr: '203.0.113.10' }, false, true],
    ['sourceCidr list', { sourceCidr: ['192.0.2.0/24', '203.0.113.0/28'] }, false, true],
  ])('matches by %s', (_label, entry, roleMatches, cliMatches) => {
    // Prepare
    const matches = compileExceptions([entry]);
    // Act / Assess
    expect(matches(role)).toBe(roleMatches);
    expect(matches(cli)).toBe(cliMatches);
  });

  it('matches an IPv6 source against an IPv6 CIDR and not against IPv4 ones', () => {
    // Prepare
    const v6 = compileExceptions([{ sourceCidr: '2001:db8:4d2::/48' }]);
    const v6Elsewhere = compileExceptions([{ sourceCidr: '2001:db8:ffff::/48' }]);
    const v4Everything = compileExceptions([{ sourceCidr: '0.0.0.0/0' }]);
    // Act / Assess
    expect(v6(ipv6)).toBe(true);
    expect(v6Elsewhere(ipv6)).toBe(false);
    expect(v4Everything(ipv6)).toBe(false);
    expect(v6(role)).toBe(false);
  });

  it('matches an IPv4-mapped IPv6 source against an IPv4 CIDR', () => {
    // Prepare
    const matches = compileExceptions([{ sourceCidr: ['10.0.0.0/8', '198.51.100.0/24'] }]);
    // Act / Assess
    expect(matches(mapped)).toBe(true);
  });

  it('matches an IPv4 source against a CIDR written in IPv4-mapped form', () => {
    // Prepare
    const matches = compileExceptions([{ sourceCidr: '::ffff:198.51.100.0/120' }]);
    // Act / Assess
    expect(matches(role)).toBe(true);
    expect(matches(cli)).toBe(false);
  });

  it('never matches a service name in sourceIPAddress against a CIDR, however wide', () => {
    // Prepare
    const matches = compileExceptions([{ sourceCidr: ['0.0.0.0/0', '::/0'] }]);
    // Act / Assess
    expect(matches(service)).toBe(false);
    expect(matches(cli)).toBe(true);
  });

  it('is case-sensitive and anchored', () => {
    // Prepare
    const matches = compileExceptions([{ userAgent: 'AWS-CLI/*' }, { principal: 'AIDAEXAMPLEUSER0000' }]);
    // Act / Assess
    expect(matches(cli)).toBe(false);
  });

  it('validates entries built in code, too', () => {
    // Prepare
    const entries = [{ sourceCidr: 'not-a-cidr' }];
    // Act
    const error = configErrorOf(() => compileExceptions(entries));
    // Assess
    expect(error.variable).toBe('exceptions[0].sourceCidr');
  });
});
