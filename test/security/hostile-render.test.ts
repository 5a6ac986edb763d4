/**
 * End to end from a hostile CloudTrail record to what people read: 20 reads of test/fixtures/hostile/render-attack.json
 * (Slack mentions, links, markdown, forged lines, terminal escapes, bidi and zero-width characters in the fields a
 * caller chooses) go through a CloudTrail log file, readInputs and replay, under both groupings, and every human
 * rendering is checked:
 *  - Slack (AWS Chatbot notification): no control sequence (`<!…>`, `<@…>`, `<#…>`, `<url|text>`), no broadcast
 *    keyword, no live URL scheme, balanced code spans, no invisible or control character, no forged line;
 *  - email (SNS default/email text and subject): the same, plus a printable-ASCII one-line subject;
 *  - terminal (`rsr replay` through the bundled CLI): no escape sequence, control, bidi or zero-width character, no
 *    forged line. (Slack syntax means nothing to a terminal; chat gets the Chatbot rendering.)
 * The sqs/lambda JSON keeps the exact values, by design (machines, not people, read it).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readInputs } from '../../lib/adapters/io/read';
import { buildSnsMessage, renderChatbot, renderText } from '../../lib/adapters/notify/render';
import { formatNotification } from '../../lib/cli/format';
import type { GroupBy } from '../../lib/config/load';
import type { Alert, BurstSummary } from '../../lib/engine/alert';
import { replay } from '../../lib/usecases/replay';
import { rsrAsync } from '../support/cli';
import { readFixture } from '../support/hostile';
import { testConfig } from '../support/records';

const attack = readFixture<{ record: Record<string, unknown> }>('hostile', 'render-attack.json').record;
const FORGED = 'ALERT RESOLVED';
const START = Date.parse('2026-01-01T00:00:00Z');

let dir: string;
let logFile: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsr-hostile-render-'));
  const records = Array.from({ length: 20 }, (_, i) => ({
    ...attack,
    eventID: `hostile-render-${i}`,
    eventTime: new Date(START + i * 3000).toISOString().replace('.000Z', 'Z'),
  }));
  logFile = join(dir, '111122223333_CloudTrail_us-east-1_20260101T0000Z_hostile.json');
  writeFileSync(logFile, JSON.stringify({ Records: records }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function alertFor(groupBy: GroupBy): Promise<Alert> {
  return (await notificationsFor(groupBy)).alert;
}

async function notificationsFor(groupBy: GroupBy): Promise<{ alert: Alert; summary: BurstSummary }> {
  const result = await replay(
    readInputs([logFile], {
      onError: (e) => {
        throw e;
      },
    }),
    testConfig({ groupBy }),
  );
  const alerts = result.notifications.filter((n): n is Alert => n.kind === 'alert');
  const summaries = result.notifications.filter((n): n is BurstSummary => n.kind === 'summary');
  expect(alerts).toHaveLength(1);
  expect(summaries).toHaveLength(1);
  return { alert: alerts[0] as Alert, summary: summaries[0] as BurstSummary };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Bidi embeddings, overrides and isolates, zero-width characters, line and paragraph separators. */
const INVISIBLE = /[\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
const SLACK_SEQUENCE = /<[!@#]|<(https?|mailto|slack):/i;
const BROADCAST = /@(channel|here|everyone|group)/i;
const LIVE_URL = /:\/\/evil/;

/** Problems a text meant for a chat or mail reader has; empty when it is safe. */
function chatProblems(text: string): string[] {
  const problems: string[] = [];
  if (SLACK_SEQUENCE.test(text)) problems.push('Slack control sequence');
  if (BROADCAST.test(text)) problems.push('broadcast keyword');
  if (LIVE_URL.test(text)) problems.push('live attacker URL');
  if (CONTROL.test(text)) problems.push('control character');
  if (INVISIBLE.test(text)) problems.push('invisible character');
  for (const line of text.split('\n')) if (line.trimStart().startsWith(FORGED)) problems.push('forged line');
  return problems;
}

/** What any text for a mail reader must avoid (Slack syntax aside). */
function mailProblems(text: string): string[] {
  return chatProblems(text).filter((p) => p !== 'Slack control sequence' && p !== 'broadcast keyword');
}

/**
 * The email's investigation queries (from the "CloudTrail Lake" heading to the "Event history" line) and the rest.
 * The queries are meant to be pasted into a console, so their values stay SQL-exact rather than display-defanged.
 */
function splitQueries(text: string): { queries: string; rest: string } {
  const queries: string[] = [];
  const rest: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (line.includes('CloudTrail Lake (')) inside = true;
    if (line.trimStart().startsWith('Event history:')) inside = false;
    (inside ? queries : rest).push(line);
  }
  return { queries: queries.join('\n'), rest: rest.join('\n') };
}

function terminalProblems(text: string): string[] {
  const problems: string[] = [];
  if (CONTROL.test(text.replace(/\n/g, ''))) problems.push('control character');
  if (/[\u202a-\u202e\u2066-\u2069\u200b-\u200f]/.test(text)) problems.push('bidi or zero-width character');
  for (const line of text.split('\n')) if (line.trimStart().startsWith(FORGED)) problems.push('forged line');
  return problems;
}

describe.each(['principal', 'actor'] as const)('a hostile record rendered for people (group by %s)', (groupBy) => {
  it('is inert in the Slack (AWS Chatbot) notification', async () => {
    // Prepare
    const alert = await alertFor(groupBy);
    // Act
    const chat = renderChatbot(alert);
    const fields: [string, string][] = [
      ['title', chat.content.title],
      ['description', chat.content.description],
      ['summary', chat.metadata.summary],
      ...chat.content.keywords.map((k, i): [string, string] => [`keyword ${i}`, k]),
      ...chat.metadata.relatedResources.map((r, i): [string, string] => [`related ${i}`, r]),
      ...Object.entries(chat.metadata.additionalContext).map(([k, v]): [string, string] => [`context ${k}`, v]),
    ];
    // Assess: the attack reached the alert, and none of it is live in chat.
    expect(JSON.stringify(alert)).toContain('<!channel>');
    for (const [field, text] of fields)
      expect({ field, problems: chatProblems(text) }).toEqual({ field, problems: [] });
    for (const line of [chat.content.title, ...chat.content.description.split('\n')]) {
      expect({ line, backticks: (line.match(/`/g) ?? []).length % 2 }).toEqual({ line, backticks: 0 });
    }
  });

  it('is inert in the email text and subject, and exact in the machine JSON', async () => {
    // Prepare
    const alert = await alertFor(groupBy);
    // Act
    const text = renderText(alert);
    const message = buildSnsMessage(alert, { httpsFormat: 'chatbot' });
    const bodies = JSON.parse(message.Message) as Record<string, string>;
    const { queries, rest } = splitQueries(text);
    // Assess: the ready-to-paste queries keep values SQL-exact (Slack syntax means nothing in mail), but even they
    // carry no live link, control or invisible character.
    expect(chatProblems(rest)).toEqual([]);
    expect(mailProblems(queries)).toEqual([]);
    expect(queries).toContain(groupBy === 'principal' ? 'principalId' : 'sessionIssuer');
    expect(bodies.email).toBe(text);
    expect(bodies.default).toBe(text);
    expect(message.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(mailProblems(message.Subject)).toEqual([]);
    for (const [name, attribute] of Object.entries(message.MessageAttributes)) {
      expect({ name, problems: terminalProblems(attribute.StringValue) }).toEqual({ name, problems: [] });
    }
    expect((JSON.parse(bodies.sqs as string) as Alert).userAgents[0]?.value).toBe(attack.userAgent);
  });

  it('is inert in every rendering of the burst summary, and exact in its machine JSON', async () => {
    // Prepare
    const { summary } = await notificationsFor(groupBy);
    // Act
    const chat = renderChatbot(summary);
    const text = renderText(summary);
    const message = buildSnsMessage(summary, { httpsFormat: 'chatbot' });
    const { queries, rest } = splitQueries(text);
    // Assess
    expect(JSON.stringify(summary)).toContain('<!channel>');
    for (const field of [
      chat.content.title,
      chat.content.description,
      chat.metadata.summary,
      ...chat.content.nextSteps,
      ...Object.values(chat.metadata.additionalContext),
    ]) {
      expect({ field, problems: chatProblems(field) }).toEqual({ field, problems: [] });
    }
    expect(chatProblems(rest)).toEqual([]);
    expect(mailProblems(queries)).toEqual([]);
    expect(message.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(terminalProblems(formatNotification(summary))).toEqual([]);
    const bodies = JSON.parse(message.Message) as Record<string, string>;
    expect((JSON.parse(bodies.sqs as string) as BurstSummary).userAgents[0]?.value).toBe(attack.userAgent);
  });

  it('is inert in the terminal rendering', async () => {
    // Act
    const text = formatNotification(await alertFor(groupBy));
    // Assess
    expect(terminalProblems(text)).toEqual([]);
  });
});

describe('rsr replay on the hostile file (bundled CLI, a real terminal stream)', () => {
  it('prints one alert and its summary with no escape sequence, control or bidi character and no forged line; --json stays exact', async () => {
    // Act
    const human = await rsrAsync(['replay', logFile]);
    const json = await rsrAsync(['replay', '--json', '--group-by', 'actor', logFile]);
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ALERT /m);
    expect(terminalProblems(human.stdout)).toEqual([]);
    expect(terminalProblems(human.stderr)).toEqual([]);
    // --json is machine output and keeps values exact: one object per line, controls (ESC included) as JSON
    // escapes. Bidi and zero-width characters are valid JSON text and stay as they are (docs/THREAT_MODEL.md).
    expect(json.code).toBe(0);
    const lines = json.stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['alert', 'summary']);
    expect(CONTROL.test(json.stdout.replace(/\n/g, ''))).toBe(false);
    for (const line of lines) expect((JSON.parse(line) as Alert).userAgents[0]?.value).toBe(attack.userAgent);
  });
});
