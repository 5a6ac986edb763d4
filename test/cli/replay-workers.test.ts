/**
 * `rsr replay` and `rsr tune` with the byte-search fast path, on worker threads and in the main thread, give exactly
 * what the full-parse path gives (read.ts + the use cases, in process): the same alerts in the same order, the same
 * records read and skips per reason, the same tune report. The data come from the independent generator
 * (bench/generate-mixed.ts) plus files that must fall back: JSON Lines, a pretty-printed document, an escaped event
 * source, and an unreadable file.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateMixed } from '../../bench/generate-mixed';
import { readInputs } from '../../lib/adapters/io/read';
import { formatSummary } from '../../lib/cli/format';
import { loadConfig } from '../../lib/config/load';
import type { InputError } from '../../lib/engine/errors';
import { replay } from '../../lib/usecases/replay';
import { tune } from '../../lib/usecases/tune';
import { rsr } from '../support/cli';

let root: string;
let dir: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rsr-workers-'));
  dir = generateMixed({ records: 12_000, secretsShare: 0.05, bursts: 3, burstSecrets: 30, seed: 11 }, root).dir;
  const extra = join(dir, 'extra');
  mkdirSync(extra);
  const record = (source: string, secret: string, second: number) => ({
    eventVersion: '1.08',
    userIdentity: { type: 'IAMUser', principalId: 'AIDAESCAPED', arn: 'arn:aws:iam::1:user/e', accountId: '1' },
    eventTime: `2026-06-01T09:00:${String(second).padStart(2, '0')}Z`,
    eventSource: source,
    eventName: 'GetSecretValue',
    awsRegion: 'eu-central-1',
    sourceIPAddress: '10.0.0.1',
    userAgent: 'aws-cli/2',
    requestParameters: { secretId: secret },
    eventID: `escaped-${second}`,
  });
  // The event source written with a \u escape: only the full parse sees Secrets Manager here.
  const escaped = Array.from({ length: 25 }, (_, i) =>
    JSON.stringify(record('secretsmanager.amazonaws.com', `s${i}`, i)),
  )
    .map((text) => text.replace('secretsmanager.amazonaws.com', 'secretsmanager\\u002eamazonaws.com'))
    .join(',');
  writeFileSync(join(extra, 'escaped.json.gz'), gzipSync(`{"Records":[${escaped}]}`));
  writeFileSync(
    join(extra, 'lines.jsonl'),
    `${Array.from({ length: 30 }, (_, i) => JSON.stringify(record('secretsmanager.amazonaws.com', `l${i}`, i + 20))).join('\n')}\n`,
  );
  writeFileSync(join(extra, 'broken.json.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01]));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function fullParse(): Promise<{ stdout: string; stderr: string; tune: unknown }> {
  const errors: InputError[] = [];
  const config = loadConfig({}, {});
  const result = await replay(readInputs([dir], { onError: (e) => errors.push(e) }), config);
  const alerts = result.notifications.filter((n) => n.kind === 'alert').length;
  const report = await tune(readInputs([dir], { onError: () => {} }), config);
  return {
    stdout: result.notifications.map((n) => `${JSON.stringify(n)}\n`).join(''),
    stderr: `${formatSummary(
      result.stats,
      alerts,
      result.notifications.filter((n) => n.kind === 'overflow').length,
      errors.length,
      result.notifications.filter((n) => n.kind === 'summary').length,
      result.muted,
    )}\n`,
    tune: { ...report, totals: { ...report.totals, unreadableInputs: errors.length } },
  };
}

describe('replay fast path and workers', () => {
  it('replay gives the full-parse alerts and statistics, with 0, 1 and 2 workers', async () => {
    const reference = await fullParse();
    expect(reference.stdout).toContain('"kind":"alert"');
    for (const workers of ['0', '1', '2']) {
      const run = rsr(['replay', dir, '--json', '--workers', workers]);
      expect(run.code).toBe(1); // the broken file
      expect(run.stdout).toBe(reference.stdout);
      const cannot = run.stderr.split('\n').filter((l) => l.startsWith('rsr: cannot read'));
      expect(cannot).toEqual([expect.stringContaining('broken.json.gz')]);
      expect(
        run.stderr
          .split('\n')
          .filter((l) => !l.startsWith('rsr: cannot read'))
          .join('\n'),
      ).toBe(reference.stderr);
    }
  });

  it('tune gives the full-parse report on workers', async () => {
    const reference = await fullParse();
    const run = rsr(['tune', dir, '--json', '--workers', '2']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(JSON.stringify(reference.tune)));
  });

  it('rejects a bad --workers value naming it', () => {
    const run = rsr(['replay', dir, '--workers', 'many']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--workers');
    expect(run.stderr).toContain('many');
  });
});
