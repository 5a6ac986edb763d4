import fc from 'fast-check';
import { asciiOnly, DISPLAY_VALUE_MAX, neutralize, sqsSafeJson, wellFormed } from '../../lib/adapters/notify/sanitize';

/** With the u flag, \p{Cs} only matches unpaired surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Anything a human rendering must never contain after neutralize. */
const FORBIDDEN = [
  /<!/, // <!channel>, <!here>, <!subteam^…>
  /<@/, // <@U123>
  /<#/, // <#C123>
  /[<>]/, // any Slack control sequence or link
  /`/, // could close the code span the chat rendering wraps values in
  /\p{Cc}/u, // C0, DEL, C1
  /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/, // bidi
  /[\u200b-\u200d\u2060\ufeff]/, // zero-width
  /[\u2028\u2029]/, // line/paragraph separators
  /:\/\//, // clickable URL scheme
  /@(channel|here|everyone)\b/i,
];

/** Strings biased towards the dangerous parts: Slack markup, URLs, controls, bidi, surrogates. */
const hostileString = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        '<!channel>',
        '<!here>',
        '<!everyone>',
        '<@U0123ABC>',
        '<#C0123|general>',
        '<http://evil.example|ok>',
        'https://evil.example/x',
        'javascript://x',
        '`',
        '```',
        '*',
        '_',
        '~',
        '@here',
        '@channel',
        '\u202e',
        '\u2066',
        '\u200b',
        '\ufeff',
        '\u0000',
        '\n',
        '\r',
        '\u0085',
        '\u2028',
        '\ud800',
        '\udfff',
        '\uffff',
        ':',
        '/',
        '<',
        '!',
        '@',
      ),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('neutralize', () => {
  it('never lets Slack mentions, links, code-span breakers or invisible characters through', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 1, max: 400 }), (value, max) => {
        // Act
        const out = neutralize(value, max);
        // Assess
        for (const pattern of FORBIDDEN) expect(out).not.toMatch(pattern);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(LONE_SURROGATE);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves ordinary identifiers, ARNs, IPs and SDK user agents unchanged', () => {
    // Prepare
    const values = [
      'AROA4EXAMPLEROLEID123:i-0abc123def4567890',
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db_password-AbCdEf',
      '198.51.100.7',
      '2001:db8::1',
      'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#22.11.0',
      'alice@example.com',
      'été-ünïcode',
    ];
    // Act / Assess
    for (const v of values) expect(neutralize(v)).toBe(v);
  });

  it('shows control and invisible characters as visible escapes instead of dropping them', () => {
    // Prepare
    const value = 'sess\u202eion\nnext\u200bline\u0000';
    // Act
    const out = neutralize(value);
    // Assess
    expect(out).toBe('sess\\u202eion\\u000anext\\u200bline\\u0000');
  });

  it('defuses Slack broadcasts, user mentions and links', () => {
    // Act
    const out = neutralize('<!channel> <@U1> <http://evil.example|click> @here `code`');
    // Assess
    expect(out).toBe("‹!channel› ‹@U1› ‹http[:]//evil.example|click› [at]here 'code'");
  });

  it('cuts long values to the cap with an ellipsis, without splitting a surrogate pair', () => {
    // Prepare
    const long = '😀'.repeat(300);
    // Act
    const out = neutralize(long, 11);
    // Assess
    expect(out.length).toBeLessThanOrEqual(11);
    expect(out.endsWith('…')).toBe(true);
    expect(out).not.toMatch(LONE_SURROGATE);
    expect(neutralize('x'.repeat(1000)).length).toBe(DISPLAY_VALUE_MAX);
  });
});

describe('asciiOnly', () => {
  it('produces printable ASCII within the cap for any input', () => {
    fc.assert(
      fc.property(hostileString, fc.integer({ min: 4, max: 120 }), (value, max) => {
        // Act
        const out = asciiOnly(value, max);
        // Assess
        expect(out).toMatch(/^[\x20-\x7e]*$/);
        expect(out.length).toBeLessThanOrEqual(max);
        expect(out).not.toMatch(/[<>`]|:\/\//);
      }),
    );
  });

  it('drops accents instead of replacing the whole letter', () => {
    expect(asciiOnly('été à Zürich', 50)).toBe('ete a Zurich');
  });
});

describe('wellFormed', () => {
  it('keeps SQS-acceptable text exact and replaces what SQS refuses', () => {
    // Act / Assess
    expect(wellFormed('AROA:sess\u202eion\nline é 😀', 256, 'unknown')).toBe('AROA:sess\u202eion\nline é 😀');
    expect(wellFormed('a\u0000b\ud800c\uffff', 256, 'unknown')).toBe('a\ufffdb\ufffdc\ufffd');
    expect(wellFormed('', 256, 'unknown')).toBe('unknown');
    expect(wellFormed('😀'.repeat(10), 5, 'unknown')).toBe('😀😀');
  });
});

describe('sqsSafeJson', () => {
  it('escapes U+FFFE/U+FFFF inside JSON strings without changing the decoded value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (value, s) => {
        // Prepare
        const doc = { value, s: `${s}\uffff\ufffe` };
        // Act
        const json = sqsSafeJson(JSON.stringify(doc));
        // Assess
        expect(json).not.toMatch(/[\ufffe\uffff]/);
        expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(doc)));
      }),
    );
  });
});
