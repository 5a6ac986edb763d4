import {
  buildSnsMessage,
  CHAT_DESCRIPTION_MAX,
  type ChatbotNotification,
  IDENTITY_ATTRIBUTE_MAX,
  renderChatbot,
  renderSubject,
  renderText,
  SNS_MAX_MESSAGE_BYTES,
} from '../../lib/adapters/notify/render';
import { validateSnsMessage } from '../../lib/adapters/notify/validate';
import type { Alert, ValueCount } from '../../lib/engine/alert';
import { OTHER_VALUE } from '../../lib/engine/ports';
import { continuationAlert, hostileAlert, overflowSummary, protocolBodies, stratusAlert } from './fixtures';

/** Things an attacker string must not smuggle into a human rendering. */
function expectDefanged(rendered: string): void {
  expect(rendered).not.toMatch(/<!|<@|<#|<http/);
  expect(rendered).not.toMatch(/(?!\n)\p{Cc}/u); // controls; newline (\n) is ours
  expect(rendered).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2028\u2029]/);
  expect(rendered).not.toMatch(/[a-z]:\/\//i); // a clickable scheme
  expect(rendered).not.toMatch(/@here|@channel/);
}

function withIdentity(identity: string, extra: Partial<Alert> = {}): Alert {
  return { ...stratusAlert(), identity, userName: '', identityType: 'IAMUser', ...extra };
}

describe('renderSubject', () => {
  it('names the identity, the count and the window length', () => {
    // Act
    const subject = renderSubject(stratusAlert());
    // Assess
    expect(subject).toBe('[RSR] Rapid secret retrieval: christophe (20 secret reads in 10 min)');
  });

  it('marks continuations and lower-bound counts', () => {
    // Act
    const subject = renderSubject(continuationAlert());
    // Assess
    expect(subject).toBe(
      '[RSR] Rapid secret retrieval continues: app-backend/i-0abc123d... (250+ distinct secrets in 10 min)',
    );
  });

  it.each([
    ['newlines and tabs', 'AIDAX\r\nBcc: victim@example.com\tX'],
    ['unicode, bidi and emoji', 'été\u202eresu-nimda\u200b😀 中文'],
    ['500 characters', 'A'.repeat(500)],
    ['Slack markup and a URL', '<!channel> <http://evil.example|x> `y`'],
    ['only non-ASCII', '\u202e\u200b'],
    ['empty', ''],
  ])('stays one ASCII line under 100 characters with a hostile identity (%s)', (_name, identity) => {
    // Act
    const subject = renderSubject(withIdentity(identity, { count: 123_456, countIsLowerBound: true }));
    // Assess
    expect(subject).toMatch(/^\[RSR\] Rapid secret retrieval: .+ \(123456\+ secret reads in 10 min\)$/);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[<>`]|:\/\//);
    expect(validateSnsMessage({ ...buildSnsMessage(withIdentity(identity), { httpsFormat: 'chatbot' }) })).toEqual([]);
  });

  it('replaces non-ASCII characters rather than passing them', () => {
    // Act
    const subject = renderSubject(withIdentity('été-中'));
    // Assess
    expect(subject).toContain(': ete-? (');
  });

  it('summarises an overflow', () => {
    expect(renderSubject(overflowSummary())).toBe('[RSR] 3 more identities crossed the threshold (overflow)');
    expect(renderSubject({ ...overflowSummary(), keys: 1 })).toBe(
      '[RSR] 1 more identity crossed the threshold (overflow)',
    );
  });
});

describe('renderText', () => {
  it('says who, how many, which secrets, from where, when, what to do, and the dedup ids', () => {
    // Prepare
    const alert = stratusAlert();
    // Act
    const text = renderText(alert);
    // Assess
    // who
    expect(text).toContain('Identity (grouping key, principal): AIDA45XCCHPPLELFTIIM');
    expect(text).toContain('Identity type: IAMUser');
    expect(text).toContain('User or role name: christophe');
    expect(text).toContain('ARN: arn:aws:iam::903144391865:user/christophe');
    expect(text).toContain('Account: 903144391865');
    expect(text).toContain('Access key: AKIA1JMTHE9ZMZMWG0MG (AKIA: long-term access key of an IAM user)');
    // how many
    expect(text).toContain('christophe: 20 secret reads, within a 10-minute window.');
    expect(text).toContain('Distinct secrets: 20');
    expect(text).toContain('- GetSecretValue: 20');
    expect(text).not.toContain('lower bound');
    // which secrets: all 20 fit under the default list limit
    for (const s of alert.secrets) expect(text).toContain(`- ${s.value}: 1`);
    // from where
    expect(text).toContain('- 253.201.144.253: 20');
    expect(text).toContain('- stratus-red-team_10e7edf3-5063-4eba-8842-68f83bb52d65: 20');
    expect(text).toContain('- cn-centraleast-1r: 20');
    // when
    expect(text).toContain('Window: 2024-07-31T12:27:00.000Z to 2024-07-31T12:37:00.000Z');
    expect(text).toContain('First read: 2024-07-31T12:36:52.000Z');
    expect(text).toContain('Last read: 2024-07-31T12:36:55.000Z');
    // what to check next
    expect(text).toContain('WHAT TO CHECK NEXT');
    expect(text).toMatch(/owner of this identity/);
    expect(text).toMatch(/rotate them/);
    expect(text).toContain('docs/EXCEPTIONS.md');
    expect(text).toContain(
      'aws cloudtrail lookup-events --region cn-centraleast-1r --lookup-attributes ' +
        'AttributeKey=AccessKeyId,AttributeValue=AKIA1JMTHE9ZMZMWG0MG --start-time 2024-07-31T11:36:52Z --end-time 2024-07-31T13:36:55Z',
    );
    expect(text).toContain(
      'aws iam update-access-key --user-name christophe --access-key-id AKIA1JMTHE9ZMZMWG0MG --status Inactive',
    );
    // dedup
    expect(text).toContain('alertId: 3f9c2a7d5e1b4c60a8d7e2f1b0c9d8e7');
    expect(text).toContain('threadId: 3f9c2a7d5e1b4c60a8d7e2f1b0c9d8e7');
  });

  it('explains lower-bound counts, temporary credentials and continuations', () => {
    // Act
    const text = renderText(continuationAlert());
    // Assess
    expect(text).toContain(
      'app-backend/i-0abc123def4567890: at least 250 distinct secrets read, within a 10-minute window',
    );
    expect(text).toContain('The count is a lower bound');
    expect(text).toContain('Access key: ASIA4EXAMPLETEMPKEY1 (ASIA: temporary credentials from STS)');
    expect(text).toContain('This burst was first reported as 5d2c8f1a0e9b7c6d4a3f2e1d0c9b8a76');
    expect(text).toContain('threadId: 5d2c8f1a0e9b7c6d4a3f2e1d0c9b8a76');
    expect(text).toContain('- (other values, not kept individually): 230');
    expect(text).toContain('- prod/app-backend/secret-019: 1');
    expect(text).not.toContain('more not shown');
    // No key-deactivation command for temporary credentials.
    expect(text).not.toContain('update-access-key');
  });

  it('shows the top entries of long lists, counts the rest, and keeps the OTHER_VALUE bucket', () => {
    // Act
    const text = renderText(continuationAlert(), { listLimit: 5 });
    // Assess
    expect(text).toContain('- prod/app-backend/secret-004: 1');
    expect(text).not.toContain('- prod/app-backend/secret-005');
    expect(text).toContain('- ... and 15 more not shown\n  - (other values, not kept individually): 230');
  });

  it('defangs attacker-controlled values', () => {
    // Act
    const text = renderText(hostileAlert());
    // Assess
    expectDefanged(text);
    expect(text).toContain('sess\\u202eion\\u000aSECOND LINE ‹!channel›');
    expect(text).toContain('‹http[:]//evil.example/phish|Click to acknowledge›');
    expect(text).toContain('us-east-1\\u000d\\u000aBcc: attacker@example.com');
    // The 1000-character user agent is cut.
    expect(text).toMatch(/x{150,}…: 1/);
    expect(text).not.toMatch(/x{201}/);
    // No CloudTrail region taken from a hostile value, but the command is still offered.
    expect(text).toMatch(
      /lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=ASIAHOSTILEKEY000001/,
    );
  });

  it('lists overflow identities with counts and alertIds and explains why they were not alerted', () => {
    // Act
    const text = renderText(overflowSummary());
    // Assess
    expect(text).toContain('- AROA4EXAMPLEROLEID123:batch-2: 45 (alertId bb22bb22bb22bb22bb22bb22bb22bb22)');
    expect(text).toContain('- AROA4EXAMPLEROLEID123:batch-1: 31 (alertId aa11aa11aa11aa11aa11aa11aa11aa11)');
    expect(text).toContain('- AIDA‹!channel›EVIL: 22');
    expect(text).toContain('MAX_ALERTS_PER_RUN (100)');
    expect(text).toMatch(/not alerted\s+individually/);
    expect(text).toContain('alertId: 0f0f0f0f1e1e1e1e2d2d2d2d3c3c3c3c');
    expectDefanged(text);
  });
});

describe('renderChatbot', () => {
  it('produces the AWS Chatbot custom notification shape', () => {
    // Act
    const chat = renderChatbot(stratusAlert());
    // Assess
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: '3f9c2a7d5e1b4c60a8d7e2f1b0c9d8e7',
      content: { textType: 'client-markdown' },
      metadata: {
        threadId: '3f9c2a7d5e1b4c60a8d7e2f1b0c9d8e7',
        eventType: 'RapidSecretRetrieval',
        additionalContext: { alertId: '3f9c2a7d5e1b4c60a8d7e2f1b0c9d8e7', count: '20', accountId: '903144391865' },
      },
    });
    expect(chat.content.title).toBe('Rapid secret retrieval: `christophe` (20 secret reads in 10 min)');
    expect(chat.content.description).toContain('`AKIA1JMTHE9ZMZMWG0MG`');
    expect(chat.content.description).toContain('`253.201.144.253` ×20');
    // Secret ARNs are shown by name so the cut values stay distinguishable.
    expect(chat.content.description).toContain('`stratus-red-team-retrieve-secret-0-X00abc` ×1');
    expect(chat.content.description).toContain(', 15 more');
    expect(chat.content.description.length).toBeLessThanOrEqual(CHAT_DESCRIPTION_MAX);
    expect(chat.content.nextSteps.length).toBeGreaterThanOrEqual(3);
    expect(chat.content.nextSteps.join(' ')).toContain('docs/EXCEPTIONS.md');
    expect(chat.metadata.relatedResources[0]).toBe('arn:aws:iam::903144391865:user/christophe');
    for (const v of Object.values(chat.metadata.additionalContext)) expect(typeof v).toBe('string');
  });

  it('threads continuation alerts under the first alert of the burst', () => {
    // Act
    const chat = renderChatbot(continuationAlert());
    // Assess
    expect(chat.metadata.threadId).toBe('5d2c8f1a0e9b7c6d4a3f2e1d0c9b8a76');
    expect(chat.id).toBe('9b1e44c07a3d2f8e6c5b4a3928170615');
    expect(chat.content.title).toContain('continues');
    expect(chat.content.description).toContain('lower bound');
  });

  it('defangs attacker-controlled values in every human-visible field', () => {
    // Act
    const chat = renderChatbot(hostileAlert());
    // Assess
    const visible = [
      chat.content.title,
      chat.content.description,
      ...chat.content.keywords,
      chat.metadata.summary,
      ...chat.metadata.relatedResources,
      ...Object.values(chat.metadata.additionalContext),
    ].join('\n');
    expectDefanged(visible);
    // Every value sits inside a code span: an odd number of backticks per line would mean a broken span.
    for (const line of chat.content.description.split('\n')) expect((line.match(/`/g) ?? []).length % 2).toBe(0);
  });

  it('renders the overflow summary compactly', () => {
    // Act
    const chat: ChatbotNotification = renderChatbot(overflowSummary());
    // Assess
    expect(chat.metadata.eventType).toBe('RapidSecretRetrievalOverflow');
    expect(chat.id).toBe('0f0f0f0f1e1e1e1e2d2d2d2d3c3c3c3c');
    expect(chat.content.description).toContain('MAX_ALERTS_PER_RUN (100)');
    expect(chat.content.description).toContain('`AROA4EXAMPLEROLEID123:batch-2` ×45');
    expectDefanged(chat.content.description);
  });
});

describe('buildSnsMessage', () => {
  it('puts a string per protocol into a MessageStructure json document', () => {
    // Prepare
    const alert = stratusAlert();
    // Act
    const msg = buildSnsMessage(alert, { httpsFormat: 'chatbot' });
    // Assess
    expect(msg.MessageStructure).toBe('json');
    expect(msg.Subject).toBe(renderSubject(alert));
    const bodies = protocolBodies(msg.Message);
    expect(Object.keys(bodies).sort()).toEqual(['default', 'email', 'https', 'lambda', 'sqs']);
    for (const v of Object.values(bodies)) expect(typeof v).toBe('string');
    expect(bodies.default).toBe(renderText(alert));
    expect(bodies.email).toBe(bodies.default);
    expect(JSON.parse(bodies.https as string)).toEqual(renderChatbot(alert));
    expect(JSON.parse(bodies.sqs as string)).toEqual(alert);
    expect(JSON.parse(bodies.lambda as string)).toEqual(alert);
    expect(validateSnsMessage(msg)).toEqual([]);
  });

  it('sends the alert JSON to https subscribers in alert-json format', () => {
    // Act
    const msg = buildSnsMessage(stratusAlert(), { httpsFormat: 'alert-json' });
    // Assess
    expect(JSON.parse(protocolBodies(msg.Message).https as string)).toEqual(stratusAlert());
    expect(validateSnsMessage(msg, { httpsFormat: 'alert-json' })).toEqual([]);
  });

  it('keeps hostile values exact in the sqs/lambda JSON while defanging the human bodies', () => {
    // Prepare
    const alert = hostileAlert();
    // Act
    const msg = buildSnsMessage(alert, { httpsFormat: 'chatbot' });
    // Assess
    const bodies = protocolBodies(msg.Message);
    expect(JSON.parse(bodies.sqs as string)).toEqual(alert);
    expectDefanged(bodies.default as string);
    expectDefanged(JSON.parse(bodies.https as string).content.description);
    expect(validateSnsMessage(msg)).toEqual([]);
  });

  it('sets filterable string attributes with safe fallbacks', () => {
    // Act
    const alertAttrs = buildSnsMessage(withIdentity('Z'.repeat(1000), { accountId: '', continuation: true }), {
      httpsFormat: 'chatbot',
    }).MessageAttributes;
    const overflowAttrs = buildSnsMessage(overflowSummary(), { httpsFormat: 'chatbot' }).MessageAttributes;
    // Assess
    expect(alertAttrs.kind).toEqual({ DataType: 'String', StringValue: 'alert' });
    expect(alertAttrs.rule?.StringValue).toBe('rapid-secret-retrieval');
    expect(alertAttrs.severity?.StringValue).toBe('medium');
    expect(alertAttrs.accountId?.StringValue).toBe('unknown');
    expect(alertAttrs.identity?.StringValue).toBe('Z'.repeat(IDENTITY_ATTRIBUTE_MAX));
    expect(alertAttrs.continuation?.StringValue).toBe('true');
    expect(alertAttrs.truncated).toBeUndefined();
    expect(overflowAttrs.kind?.StringValue).toBe('overflow');
    expect(overflowAttrs.identity?.StringValue).toBe('(overflow)');
    for (const a of [...Object.values(alertAttrs), ...Object.values(overflowAttrs)]) {
      expect(a.StringValue.length).toBeGreaterThan(0);
    }
  });

  it('keeps the attribute identity SQS-safe when the identity holds characters SQS refuses', () => {
    // Act
    const attrs = buildSnsMessage(withIdentity('AIDA\u0000X\ud800\uffff'), {
      httpsFormat: 'chatbot',
    }).MessageAttributes;
    // Assess
    expect(attrs.identity?.StringValue).toBe('AIDA\ufffdX\ufffd\ufffd');
  });
});

describe('size guard', () => {
  /** 20 user agents of 1 KB, 20 secret ids of 2 KB full of characters that JSON escapes six-fold. */
  function hugeAlert(): Alert {
    const nasty = (i: number, n: number) => `${i}:${'\u0001"\\\u202e'.repeat(n)}`;
    const list = (n: number): ValueCount[] =>
      Array.from({ length: 20 }, (_, i) => ({ value: nasty(i, n), count: 20 - i }));
    return {
      ...stratusAlert(),
      identity: nasty(0, 200),
      userAgents: [...list(256), { value: OTHER_VALUE, count: 3 }],
      secrets: list(512),
      sourceIps: list(64),
      regions: list(64),
      eventNames: list(16),
    };
  }

  it('shrinks a huge alert under 256 KiB, flags it, and says so in the text', () => {
    // Prepare
    const alert = hugeAlert();
    const naive = JSON.stringify(alert).length * 2;
    expect(naive).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES); // the fixture really is too big
    // Act
    const msg = buildSnsMessage(alert, { httpsFormat: 'chatbot' });
    // Assess
    expect(validateSnsMessage(msg)).toEqual([]);
    expect(Buffer.byteLength(msg.Message)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
    expect(msg.MessageAttributes.truncated?.StringValue).toBe('true');
    const bodies = protocolBodies(msg.Message);
    expect(bodies.default).toContain('shortened to fit the SNS limit of 256 KiB');
    expect(bodies.default).toContain('truncated=true');
    const data = JSON.parse(bodies.sqs as string) as Alert;
    // Still an alert with the exact ids; lists kept most-frequent first with the rest summed under OTHER_VALUE.
    expect(data.alertId).toBe(alert.alertId);
    expect(data.threadId).toBe(alert.threadId);
    const totalUa = alert.userAgents.reduce((s, v) => s + v.count, 0);
    expect(data.userAgents.reduce((s, v) => s + v.count, 0)).toBe(totalUa);
    expect(data.userAgents.at(-1)?.value).toBe(OTHER_VALUE);
  });

  it('shrinks a huge overflow summary', () => {
    // Prepare
    const identities = Array.from({ length: 5000 }, (_, i) => ({
      identity: `AROA${'Q'.repeat(60)}:session-${i}-${'\u0001'.repeat(40)}`,
      count: 20 + (i % 50),
      alertId: `${i}`.padStart(32, '0'),
    }));
    const summary = { ...overflowSummary(), keys: 5000, identities };
    // Act
    const msg = buildSnsMessage(summary, { httpsFormat: 'chatbot' });
    // Assess
    expect(validateSnsMessage(msg)).toEqual([]);
    expect(msg.MessageAttributes.truncated?.StringValue).toBe('true');
    expect(protocolBodies(msg.Message).default).toMatch(/\.\.\. and \d+ more not listed/);
  });

  it('leaves ordinary alerts untouched', () => {
    // Act
    const msg = buildSnsMessage(continuationAlert(), { httpsFormat: 'chatbot' });
    // Assess
    expect(msg.MessageAttributes.truncated).toBeUndefined();
    expect(protocolBodies(msg.Message).default).not.toContain('shortened');
  });
});
