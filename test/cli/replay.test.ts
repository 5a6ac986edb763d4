/** `rsr replay` end to end: the real bundle, real files, exit codes and output contracts. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, rsr } from '../support/cli';
import { eventBridgeEnvelope } from '../support/records';

const stratus = (name: string): unknown[] =>
  JSON.parse(readFileSync(join(ROOT, 'test/fixtures/stratus-red-team', name), 'utf8'));
const retrieve = stratus('secretsmanager-retrieve-secrets.json');
const envelope = eventBridgeEnvelope;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsr-replay-'));
});

describe('rsr replay', () => {
  it('reads a gzipped CloudTrail S3 log file and prints one alert block and a summary', () => {
    // Prepare
    const file = join(dir, '903144391865_CloudTrail_us-east-1_20240731T1240Z_abc.json.gz');
    writeFileSync(file, gzipSync(JSON.stringify({ Records: retrieve })));
    // Act
    const r = rsr(['replay', file]);
    // Assess
    expect(r.code).toBe(0);
    expect(r.stdout.match(/^ALERT /gm)).toHaveLength(1);
    expect(r.stdout).toContain('AIDA45XCCHPPLELFTIIM');
    expect(r.stdout).toContain('fired      main rule: 20 secret reads in a 10-minute window (threshold 20)');
    expect(r.stdout).toMatch(/records read\s+21/);
    expect(r.stdout).toMatch(/skipped\s+other-api 1/);
  });

  it('reads EventBridge events as JSON Lines and prints exactly one JSON object per line with --json', () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, `${retrieve.map((r) => JSON.stringify(envelope(r))).join('\n')}\n`);
    const r = rsr(['replay', file, '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // The alert, then the burst summary once the identity has been quiet for QUIET_MINUTES.
    expect(lines).toHaveLength(2);
    const [alert, summary] = lines.map((l) => JSON.parse(l));
    expect(alert.kind).toBe('alert');
    expect(alert.count).toBe(20);
    expect(summary).toMatchObject({ kind: 'summary', threadId: alert.alertId, calls: 20, distinctSecrets: 20 });
    expect(r.stderr).toMatch(/alerts\s+1/);
    expect(r.stderr).toMatch(/burst summaries\s+1/);
  });

  it('reads stdin for -', () => {
    const r = rsr(['replay', '-', '--json'], { input: JSON.stringify(retrieve) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('reports a corrupt file, processes the others, and exits 1', () => {
    const bad = join(dir, 'corrupt.json.gz');
    writeFileSync(bad, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5]));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(retrieve));
    const r = rsr(['replay', bad, good, '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('corrupt.json.gz');
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('exits 1 naming a path that does not exist', () => {
    const r = rsr(['replay', join(dir, 'missing.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.json');
  });

  it.each([
    [['--count', 'secrets'], '--count', 'events, distinct-secrets'],
    [['--group-by', 'user'], '--group-by', 'principal, actor'],
    [['--threshold', '0'], '--threshold', 'integer from 1'],
    [['--window-minutes', 'ten'], '--window-minutes', 'integer from 1'],
  ])('exits 2 on %j naming the option and the accepted values', (flags, option, accepted) => {
    const r = rsr(['replay', join(ROOT, 'test/fixtures/stratus-red-team'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(option);
    expect(r.stderr).toContain(accepted);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on an invalid environment variable, naming it', () => {
    const r = rsr(['replay', join(ROOT, 'test/fixtures/stratus-red-team')], { env: { THRESHOLD: 'many' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('THRESHOLD');
  });

  it('lets a flag override its environment variable', () => {
    const path = join(ROOT, 'test/fixtures/stratus-red-team');
    expect(rsr(['replay', path, '--json'], { env: { THRESHOLD: '21' } }).stdout).toBe('');
    expect(rsr(['replay', path, '--json', '--threshold', '20'], { env: { THRESHOLD: '21' } }).stdout).not.toBe('');
  });

  it('applies exceptions from --exceptions FILE', () => {
    const file = join(dir, 'exceptions.json');
    writeFileSync(file, JSON.stringify([{ userAgent: 'stratus-red-team_*', sourceCidr: '253.201.144.0/24' }]));
    const r = rsr(['replay', join(ROOT, 'test/fixtures/stratus-red-team'), '--exceptions', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('ALERT');
    expect(r.stdout).toMatch(/exception 20/);
  });

  it('exits 2 on an invalid exceptions file, naming it', () => {
    const file = join(dir, 'bad-exceptions.json');
    writeFileSync(file, '{"not":"an array"}');
    const r = rsr(['replay', join(ROOT, 'test/fixtures/stratus-red-team'), '--exceptions', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--exceptions');
  });

  it('warns and exits 3 when nothing was read, naming what was searched', () => {
    const empty = mkdtempSync(join(tmpdir(), 'rsr-empty-'));
    writeFileSync(join(empty, 'notes.txt'), 'not a log');
    const r = rsr(['replay', empty]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`rsr: warning: no CloudTrail records read from ${empty} (1 files skipped, see above)`);
    expect(r.stderr).toContain('not read by extension: 1 file (.txt 1)');
  });
});

describe('rsr conduct', () => {
  it('prints the version with --version and -V and exits 0', () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = rsr([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('prints usage on stderr and exits 2 when run bare', () => {
    const r = rsr([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage: rsr');
  });

  it('uses one wording for the window in the header and in each alert', () => {
    const r = rsr(['replay', join(ROOT, 'test/fixtures/stratus-red-team/secretsmanager-retrieve-secrets.json')]);
    expect(r.stdout).toContain('10-minute window (WINDOW_MINUTES 9 + the current minute)');
    expect(r.stdout).toContain('in a 10-minute window (threshold 20)');
    expect(r.stdout).not.toMatch(/\bin \d+ min\b/);
  });
});
