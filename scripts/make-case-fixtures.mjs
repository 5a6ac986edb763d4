// Writes the hand-made CloudTrail fixtures: test/fixtures/cases/ (each a CloudTrail log file, {"Records": [...]}, that
// carries its own description and expected outcome under the default preset) and test/fixtures/presets/ (one JSON
// array of bare records per case; test/engine/presets.test.ts holds their outcome under each preset).
// Deterministic: fixed times and ids. Run: node scripts/make-case-fixtures.mjs
import { mkdirSync, writeFileSync } from 'node:fs';

const dir = 'test/fixtures/cases';
const base = Date.parse('2026-03-02T10:00:00Z');
const ua = {
  cli: 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79 exe/x86_64.amzn.2023 prompt/off command/secretsmanager.get-secret-value',
  chrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  firefox: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
  safari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
  brave:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Brave/131',
  opera:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0',
  headless:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.6778.85 Safari/537.36',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36',
  mobileSafari:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
};

let seq = 0;
const hex = (n, w) => n.toString(16).padStart(w, '0');
const uuid = (n) => `${hex(n, 8)}-0000-4000-8000-${hex(n * 7919, 12)}`;

function record({
  t,
  agent = ua.cli,
  principal = 'AIDAEXAMPLEUSER00001',
  user = 'alice',
  session,
  errorCode,
  id,
  secret,
  eventName = 'GetSecretValue',
  params,
  region = 'us-east-1',
  fromConsole,
  role = 'app-role',
  sourceIp = '203.0.113.10',
  invokedBy,
  rolePath = '',
  sourceIdentity,
}) {
  seq += 1;
  const assumed = session !== undefined;
  const identity = assumed
    ? {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLEROLE00001:${session}`,
        arn: `arn:aws:sts::111122223333:assumed-role/${role}/${session}`,
        accountId: '111122223333',
        accessKeyId: `ASIAEXAMPLE${hex(seq, 9).toUpperCase()}`,
        sessionContext: {
          sessionIssuer: {
            type: 'Role',
            principalId: 'AROAEXAMPLEROLE00001',
            arn: `arn:aws:iam::111122223333:role/${rolePath}${role}`,
            accountId: '111122223333',
            userName: role,
          },
          attributes: {
            creationDate: new Date(t - 300_000).toISOString().replace('.000', ''),
            mfaAuthenticated: 'false',
          },
        },
      }
    : {
        type: 'IAMUser',
        principalId: principal,
        arn: `arn:aws:iam::111122223333:user/${user}`,
        accountId: '111122223333',
        accessKeyId: 'AKIAEXAMPLEKEY000001',
        userName: user,
      };
  const r = {
    eventVersion: '1.09',
    userIdentity: identity,
    eventTime: new Date(t).toISOString().replace('.000', ''),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName,
    awsRegion: region,
    sourceIPAddress: sourceIp,
    userAgent: agent,
    requestParameters: params ?? { secretId: secret ?? `prod/app/secret-${seq % 40}` },
    responseElements: null,
    requestID: uuid(seq + 100000),
    eventID: id ?? uuid(seq),
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
  if (fromConsole) r.sessionCredentialFromConsole = 'true';
  if (invokedBy) identity.invokedBy = invokedBy;
  if (sourceIdentity) identity.sessionContext.sourceIdentity = sourceIdentity;
  if (errorCode) {
    r.errorCode = errorCode;
    r.errorMessage = `User: ${identity.arn} is not authorized to perform: secretsmanager:GetSecretValue`;
    r.responseElements = null;
  }
  return r;
}

const burst = (n, spanMs, opts = {}) =>
  Array.from({ length: n }, (_, i) =>
    record({ t: base + 5_000 + Math.round((i * spanMs) / Math.max(1, n - 1)), ...opts }),
  );

/** Each case's description and expected outcome under the default preset (elastic-2024), written into its file. */
const expectations = {
  'browser-chrome': {
    description: '25 reads from desktop Chrome: a browser, so none qualifies',
    expect: {
      alerts: 0,
      skipped: {
        'browser-agent': 25,
      },
    },
  },
  'browser-firefox': {
    description: '25 reads from desktop Firefox',
    expect: {
      alerts: 0,
      skipped: {
        'browser-agent': 25,
      },
    },
  },
  'browser-safari': {
    description: '25 reads from desktop Safari',
    expect: {
      alerts: 0,
      skipped: {
        'browser-agent': 25,
      },
    },
  },
  'browser-edge': {
    description: '25 reads from desktop Edge',
    expect: {
      alerts: 0,
      skipped: {
        'browser-agent': 25,
      },
    },
  },
  'browser-brave': {
    description: '25 reads from desktop Brave',
    expect: {
      alerts: 0,
      skipped: {
        'browser-agent': 25,
      },
    },
  },
  'browser-opera': {
    description: '25 reads from desktop Opera',
    expect: {
      alerts: 0,
      skipped: {
        'browser-agent': 25,
      },
    },
  },
  'agent-headless-chrome': {
    description: '20 reads from HeadlessChrome in a minute: not a desktop browser family, so it alerts',
    expect: {
      alerts: 1,
      count: 20,
    },
  },
  'agent-chrome-mobile': {
    description: '20 reads from Chrome Mobile in a minute: alerts',
    expect: {
      alerts: 1,
      count: 20,
    },
  },
  'agent-mobile-safari': {
    description: '20 reads from Mobile Safari in a minute: alerts',
    expect: {
      alerts: 1,
      count: 20,
    },
  },
  'failed-calls': {
    description: '25 AccessDenied reads: failed calls never count under the default preset',
    expect: {
      alerts: 0,
      skipped: {
        'failed-call': 25,
      },
    },
  },
  'count-19': {
    description: '19 reads in 30 s: one below the threshold',
    expect: {
      alerts: 0,
    },
  },
  'count-20': {
    description: '20 reads in 30 s: exactly the threshold',
    expect: {
      alerts: 1,
      count: 20,
    },
  },
  'spread-8-minutes': {
    description: '20 reads spread over 8 minutes: inside the 9-minute look-back',
    expect: {
      alerts: 1,
      count: 20,
    },
  },
  'one-per-minute-20-minutes': {
    description: 'one read a minute for 20 minutes: never 20 in a window',
    expect: {
      alerts: 0,
    },
  },
  'duplicates-15-unique': {
    description: 'redelivered records: 15 distinct eventIDs',
    expect: {
      alerts: 0,
    },
  },
  'duplicates-20-unique': {
    description: 'redelivered records: 20 distinct eventIDs',
    expect: {
      alerts: 1,
      count: 20,
    },
  },
  'role-sessions': {
    description: '30 reads spread over role sessions: each session is its own principal',
    expect: {
      alerts: 0,
    },
  },
};

const cases = {
  'browser-chrome': burst(25, 120_000, { agent: ua.chrome }),
  'browser-firefox': burst(25, 120_000, { agent: ua.firefox }),
  'browser-safari': burst(25, 120_000, { agent: ua.safari }),
  'browser-edge': burst(25, 120_000, { agent: ua.edge }),
  'browser-brave': burst(25, 120_000, { agent: ua.brave }),
  'browser-opera': burst(25, 120_000, { agent: ua.opera }),
  'agent-headless-chrome': burst(20, 60_000, { agent: ua.headless }),
  'agent-chrome-mobile': burst(20, 60_000, { agent: ua.chromeAndroid }),
  'agent-mobile-safari': burst(20, 60_000, { agent: ua.mobileSafari }),
  'failed-calls': burst(25, 60_000, { errorCode: 'AccessDeniedException' }),
  'count-19': burst(19, 30_000),
  'count-20': burst(20, 30_000),
  'spread-8-minutes': burst(20, 8 * 60_000),
  'one-per-minute-20-minutes': burst(20, 19 * 60_000),
  'duplicates-15-unique': (() => {
    const xs = burst(15, 60_000);
    return [...xs, ...xs];
  })(),
  'duplicates-20-unique': (() => {
    const xs = burst(20, 60_000);
    return [...xs, ...xs.slice().reverse()];
  })(),
  // one role, 5 sessions x 6 calls within 5 minutes: 30 calls for the role, 6 per session
  'role-sessions': Array.from({ length: 30 }, (_, i) =>
    record({ t: base + 5_000 + i * 10_000, session: `i-0abc${i % 5}` }),
  ),
};

// Where the presets differ (test/engine/presets.test.ts).
const arn = (name, suffix) => `arn:aws:secretsmanager:us-east-1:111122223333:secret:${name}-${suffix}`;
const twelve = Array.from({ length: 12 }, (_, i) => `prod/svc/key-${i}`);
const presets = {
  // A browser user agent set on an access-key call (no console session): the reference excludes it.
  'spoofed-browser-agent': burst(25, 120_000, { agent: ua.chrome }),
  // A real console session browsing secrets: everyone excludes it.
  'console-session-browser': burst(25, 120_000, {
    agent: ua.chrome,
    session: 'alice@example.com',
    role: 'AWSReservedSSO_Admin_0123456789abcdef',
    fromConsole: true,
  }),
  // 30 sessions of one role, one distinct secret each, within 3 minutes.
  'role-30-sessions': Array.from({ length: 30 }, (_, i) =>
    record({ t: base + 5_000 + i * 6_000, session: `task-${i}`, role: 'worker', secret: `prod/worker/secret-${i}` }),
  ),
  // One batch of 12 secrets, the per-secret GetSecretValue entries AWS writes for it (ARN form), and 8 re-reads by
  // name: 21 calls, 12 secrets.
  'batch-plus-per-secret': [
    record({ t: base + 5_000, eventName: 'BatchGetSecretValue', params: { secretIdList: twelve } }),
    ...twelve.map((name, i) => record({ t: base + 5_000, secret: arn(name, `Ab${i}dEf`.slice(0, 6).padEnd(6, 'x')) })),
    ...twelve.slice(0, 8).map((name, i) => record({ t: base + 60_000 + i * 1000, secret: name })),
  ],
  // An AWS service calling on the principal's behalf (Amazon MSK reading SASL/SCRAM credentials).
  'aws-service-caller': burst(25, 120_000, {
    agent: 'kafka.amazonaws.com',
    sourceIp: 'kafka.amazonaws.com',
    invokedBy: 'kafka.amazonaws.com',
  }),
  // One BatchGetSecretValue whose negated tag filter matches nearly every secret.
  'catch-all-filter': [
    record({
      t: base + 5_000,
      eventName: 'BatchGetSecretValue',
      params: { filters: [{ key: 'tag-key', values: ['!nonexistent'] }], maxResults: 20 },
    }),
  ],
  // Batch retrieval from three regions within two minutes.
  'batch-regions': ['us-east-1', 'eu-west-1', 'ap-southeast-2'].map((region, i) =>
    record({
      t: base + 5_000 + i * 40_000,
      region,
      eventName: 'BatchGetSecretValue',
      params: { secretIdList: ['a', 'b'] },
    }),
  ),
  // Someone probing: 25 AccessDenied retrievals of different secrets.
  'access-denied-probe': burst(25, 120_000, { errorCode: 'AccessDeniedException' }),
};

// BatchGetSecretValue dumps: `calls` calls of `size` secrets each, each followed by the per-secret GetSecretValue
// entries Secrets Manager writes for it, in one of the two shapes they may have (no public sample shows which):
// Secrets Manager as the caller, or the caller's own address and agent. `list`: secretIdList, else a tag filter.
const serviceShape = {
  agent: 'secretsmanager.amazonaws.com',
  sourceIp: 'secretsmanager.amazonaws.com',
  invokedBy: 'secretsmanager.amazonaws.com',
};
function batchDump({ calls, size, shape, list }) {
  return Array.from({ length: calls }, (_, c) => {
    const names = Array.from({ length: size }, (_, i) => `prod/dump/secret-${c * size + i}`);
    const t = base + 5_000 + c * 30_000;
    const params = list
      ? { secretIdList: names }
      : {
          filters: [{ key: 'tag-key', values: ['team'] }],
          maxResults: size,
          ...(c > 0 ? { nextToken: `page-${c}` } : {}),
        };
    const entryShape = shape === 'service' ? serviceShape : {};
    return [
      record({ t, eventName: 'BatchGetSecretValue', params }),
      ...names.map((name, i) => record({ t: t + 100, secret: arn(name, `Zz${hex(i, 4)}`), ...entryShape })),
    ];
  }).flat();
}
// IAM Identity Center: permission-set roles live under a reserved path; the session name is the user's name.
const sso = { role: 'AWSReservedSSO_Developer_0123456789abcdef', rolePath: 'aws-reserved/sso.amazonaws.com/' };
const batchAndActor = {
  'batch-filter-service-4x20': batchDump({ calls: 4, size: 20, shape: 'service', list: false }),
  'batch-filter-service-1x20': batchDump({ calls: 1, size: 20, shape: 'service', list: false }),
  'batch-filter-own-1x19': batchDump({ calls: 1, size: 19, shape: 'own', list: false }),
  'batch-filter-own-2x10': batchDump({ calls: 2, size: 10, shape: 'own', list: false }),
  'batch-list-service-3x7': batchDump({ calls: 3, size: 7, shape: 'service', list: true }),
  'batch-list-own-1x20': batchDump({ calls: 1, size: 20, shape: 'own', list: true }),
  // 30 developers on one permission set, 2 of their own secrets each, from 30 addresses within 8 minutes.
  'sso-30-developers': Array.from({ length: 60 }, (_, i) => {
    const dev = i % 30;
    return record({
      t: base + 5_000 + i * 8_000,
      ...sso,
      session: `dev${dev}@example.com`,
      sourceIp: `198.51.100.${dev + 1}`,
      secret: `dev/${dev}/secret-${Math.floor(i / 30)}`,
    });
  }),
  // One Identity Center user reading 24 secrets.
  'sso-one-user-24': Array.from({ length: 24 }, (_, i) =>
    record({ t: base + 5_000 + i * 5_000, ...sso, session: 'mallory@example.com', secret: `prod/team/secret-${i}` }),
  ),
  // One person (source identity) reading 24 secrets through two roles, 12 each.
  'source-identity-two-roles': Array.from({ length: 24 }, (_, i) =>
    record({
      t: base + 5_000 + i * 5_000,
      role: i % 2 === 0 ? 'reader-a' : 'reader-b',
      session: `s-${i}`,
      sourceIdentity: 'mallory',
      secret: `prod/team/secret-${i}`,
    }),
  ),
};

mkdirSync(dir, { recursive: true });
for (const [name, records] of Object.entries(cases)) {
  const { description, expect } = expectations[name];
  writeFileSync(`${dir}/${name}.json`, `${JSON.stringify({ description, expect, Records: records }, null, 1)}\n`);
}
mkdirSync('test/fixtures/presets', { recursive: true });
for (const [name, records] of Object.entries(presets)) {
  writeFileSync(`test/fixtures/presets/${name}.json`, `${JSON.stringify(records, null, 1)}\n`);
}
for (const [name, records] of Object.entries(batchAndActor)) {
  writeFileSync(`test/fixtures/presets/${name}.json`, `${JSON.stringify(records, null, 1)}\n`);
}
console.log(
  `wrote ${Object.keys(cases).length + Object.keys(presets).length + Object.keys(batchAndActor).length} fixtures`,
);
