/**
 * What a responder reads first names the signal that fired, in that signal's unit, in every rendering: the terminal,
 * the email, the Slack message (Chatbot), the subject and the Security Hub finding. Real cases: the bundled sample
 * under `recommended` (the inventory-worker AccessDenied probe) and the Stratus batch detonation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readInputs } from '../../lib/adapters/io/read';
import { renderChatbot, renderSubject, renderText } from '../../lib/adapters/notify/render';
import { toFinding } from '../../lib/adapters/notify/securityhub';
import { loadConfig } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { type ReplayItem, replay } from '../../lib/usecases/replay';
import { ROOT, rsr } from '../support/cli';

async function alertsOf(items: AsyncIterable<ReplayItem> | ReplayItem[], preset: 'recommended' | 'elastic-2024') {
  const { notifications } = await replay(items, loadConfig({ RSR_PRESET: preset }));
  return notifications.filter((n): n is Alert => n.kind === 'alert');
}

const sample = () =>
  readInputs([join(ROOT, 'sample')], {
    onError: (e) => {
      throw e;
    },
  });

describe('the access-denied alert of the sample under recommended', () => {
  let alert: Alert;
  beforeAll(async () => {
    const alerts = await alertsOf(sample(), 'recommended');
    alert = alerts.find((a) => a.userName === 'inventory-worker') as Alert;
  }, 60_000);

  test('is headlined as denied calls in the email, with its threshold, and not told to rotate what was not read', () => {
    const text = renderText(alert);
    expect(text).toContain('inventory-worker: 24 denied GetSecretValue calls on 2 secrets, within a 10-minute window.');
    expect(text).toContain('Fired: 24 denied GetSecretValue calls on 2 secrets (access-denied signal, threshold 20)');
    expect(text).not.toContain('distinct secrets read');
    expect(text).toContain('These reads were denied');
  });

  test('is headlined as denied calls in Slack and in the subject', () => {
    const chat = renderChatbot(alert);
    expect(chat.content.title).toContain('(24 denied reads in 10 min)');
    expect(chat.content.description).toContain(
      '*24 denied GetSecretValue calls on 2 secrets (access-denied signal, threshold 20)*',
    );
    expect(chat.metadata?.additionalContext?.signals).toBe('access-denied');
    expect(renderSubject(alert)).toContain('(24 denied reads in 10 min)');
  });

  test('is headlined as denied calls in the Security Hub finding', () => {
    const finding = toFinding(alert, { accountId: '111122223333', region: 'us-east-1', partition: 'aws' });
    expect(finding.Title).toContain('24 denied reads');
    expect(finding.Description).toContain(
      '24 denied GetSecretValue calls on 2 secrets (access-denied signal, threshold 20)',
    );
  });
});

test('the terminal headlines each alert by its signal, shows every threshold, and counts failed calls used by a signal as used', () => {
  const r = rsr(['replay', 'sample', '--preset', 'recommended']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(
    'fires on: main rule at 20 distinct secrets read; batch-calls signal at 5 BatchGetSecretValue calls;',
  );
  expect(r.stdout).toContain('access-denied signal at 20 denied secret read calls');
  expect(r.stdout).toContain(
    'ALERT rapid secret retrieval: 24 denied GetSecretValue calls on 2 secrets — severity medium',
  );
  expect(r.stdout).toContain(
    'fired      access-denied signal: 24 denied GetSecretValue calls on 2 secrets in a 10-minute window (threshold 20)',
  );
  expect(r.stdout).toMatch(/used by signals\s+\d+ \(failed calls counted by access-denied\)/);
});

test('a batch-calls alert counts BatchGetSecretValue calls, not secrets', async () => {
  const records = JSON.parse(
    readFileSync(join(ROOT, 'test/fixtures/stratus-red-team/secretsmanager-batch-retrieve-secrets.json'), 'utf8'),
  ) as unknown[];
  const [alert] = await alertsOf(
    records.map((record) => ({ record })),
    'recommended',
  );
  expect(renderText(alert as Alert)).toContain('Fired: 5 BatchGetSecretValue calls (batch-calls signal, threshold 5)');
  expect(renderChatbot(alert as Alert).content.title).toContain('(5 batch calls in 10 min)');
});
