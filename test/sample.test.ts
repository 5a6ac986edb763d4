/**
 * The committed demo sample (sample/AWSLogs): it is exactly what scripts/generate-sample.mjs writes, it looks like a
 * trail's S3 delivery, and a brute-force form of the default rule written here (independent of the engine) finds
 * exactly the one alert the sample's README promises, and the negatives for the reasons it gives.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(__dirname, '..');
const SAMPLE = join(ROOT, 'sample');
const SCRIPT = join(ROOT, 'scripts', 'generate-sample.mjs');

const DAY_START = Date.UTC(2026, 10, 25);
const DAY_END = DAY_START + 86_400_000;
const THRESHOLD = 20;
const WINDOW_BUCKETS = 10;
/** Desktop browser agents as the console sends them; enough for the agents this sample contains. */
const DESKTOP_BROWSER = /^Mozilla\/5\.0 \((?:Windows NT|Macintosh|X11)[^)]*\).*(?:Chrome|Firefox|Safari|Edg|OPR)\//;
const FILE_NAME =
  /^111122223333_CloudTrail_(us-east-1|eu-west-1)_20261125T([01]\d|2[0-3])[0-5][05]Z_[A-Za-z0-9]{16}\.json\.gz$/;

interface CloudTrailRecord {
  readonly eventVersion: string;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly eventID: string;
  readonly awsRegion: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly recipientAccountId: string;
  readonly sessionCredentialFromConsole?: string;
  readonly userIdentity: {
    readonly type?: string;
    readonly principalId?: string;
    readonly arn?: string;
    readonly invokedBy?: string;
  };
}

interface SampleFile {
  /** Path below the sample directory, with forward slashes. */
  readonly path: string;
  readonly bytes: number;
  readonly json: string;
  readonly records: readonly CloudTrailRecord[];
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(path));
    else out.push(path);
  }
  return out.sort();
}

function readSample(dir: string): SampleFile[] {
  return listFiles(join(dir, 'AWSLogs')).map((file) => {
    const json = gunzipSync(readFileSync(file)).toString('utf8');
    const parsed = JSON.parse(json) as { Records: CloudTrailRecord[] };
    return {
      path: relative(dir, file).split('\\').join('/'),
      bytes: statSync(file).size,
      json,
      records: parsed.Records,
    };
  });
}

/** Best total per principal over any WINDOW_BUCKETS consecutive one-minute buckets of eventTime. */
function bestWindowPerPrincipal(records: readonly CloudTrailRecord[]): Map<string, number> {
  const buckets = new Map<string, Map<number, number>>();
  for (const r of records) {
    const principal = r.userIdentity.principalId;
    if (principal === undefined) continue;
    const bucket = Math.floor(Date.parse(r.eventTime) / 60_000);
    const counts = buckets.get(principal) ?? new Map<number, number>();
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    buckets.set(principal, counts);
  }
  const best = new Map<string, number>();
  for (const [principal, counts] of buckets) {
    let top = 0;
    // A best window can always be moved to start at an occupied bucket.
    for (const first of counts.keys()) {
      let sum = 0;
      for (let b = first; b < first + WINDOW_BUCKETS; b++) sum += counts.get(b) ?? 0;
      top = Math.max(top, sum);
    }
    best.set(principal, top);
  }
  return best;
}

const isSecretRead = (r: CloudTrailRecord): boolean =>
  r.eventSource === 'secretsmanager.amazonaws.com' &&
  (r.eventName === 'GetSecretValue' || r.eventName === 'BatchGetSecretValue');
const succeeded = (r: CloudTrailRecord): boolean => r.errorCode === undefined && r.errorMessage === undefined;
const notBrowser = (r: CloudTrailRecord): boolean => !DESKTOP_BROWSER.test(r.userAgent ?? '');

function overThreshold(best: Map<string, number>): string[] {
  return [...best].filter(([, n]) => n >= THRESHOLD).map(([principal]) => principal);
}

describe('committed sample', () => {
  const files = readSample(SAMPLE);
  const records = files.flatMap((f) => f.records);
  const reads = records.filter(isSecretRead);

  it('is exactly what the generator writes (same file names, same records)', () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), 'rsr-sample-'));
    try {
      // Act
      execFileSync(process.execPath, [SCRIPT, out], { stdio: 'pipe' });
      const regenerated = readSample(out);

      // Assess
      expect(regenerated.map((f) => f.path)).toEqual(files.map((f) => f.path));
      regenerated.forEach((f, i) => {
        expect(f.json).toBe(files[i]?.json);
      });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('is laid out as a trail delivers it: ~5-minute gzipped files of roughly ordered records in the day folder', () => {
    // Prepare
    const dirs = new Set(files.map((f) => f.path.split('/').slice(0, -1).join('/')));
    let unordered = 0;

    // Act
    for (const f of files) {
      const times = f.records.map((r) => Date.parse(r.eventTime));
      if (times.some((t, i) => i > 0 && t < (times[i - 1] ?? 0))) unordered++;
      // Assess (per file)
      expect(f.path.split('/').at(-1)).toMatch(FILE_NAME);
      expect(f.json.startsWith('{"Records":[{"eventVersion":')).toBe(true);
      expect(f.records.length).toBeGreaterThan(0);
      expect(Math.max(...times) - Math.min(...times)).toBeLessThan(20 * 60_000);
      for (const r of f.records) expect(f.path).toContain(`/${r.awsRegion}/`);
    }

    // Assess
    expect([...dirs].sort()).toEqual([
      'AWSLogs/111122223333/CloudTrail/eu-west-1/2026/11/25',
      'AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25',
    ]);
    expect(unordered).toBeGreaterThan(files.length / 4);
    expect(files.filter((f) => f.path.includes('/us-east-1/')).length).toBeGreaterThanOrEqual(288);
  });

  it('holds one day of records for the one account, with unique event ids, in under 1.5 MB', () => {
    // Act
    const times = records.map((r) => Date.parse(r.eventTime));
    const ids = new Set(records.map((r) => r.eventID));
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);

    // Assess
    expect(Math.min(...times)).toBeGreaterThanOrEqual(DAY_START);
    expect(Math.max(...times)).toBeLessThan(DAY_END);
    expect(ids.size).toBe(records.length);
    expect(records.every((r) => r.recipientAccountId === '111122223333')).toBe(true);
    expect(bytes).toBeLessThan(1.5 * 1024 * 1024);
    // Mostly other services' events, as in a real trail.
    const other = records.filter((r) => r.eventSource !== 'secretsmanager.amazonaws.com').length;
    expect(other / records.length).toBeGreaterThan(0.7);
    expect(other / records.length).toBeLessThan(0.9);
  });

  it('makes the default rule alert on exactly one principal: svc-reporting, from its burst of ~45 reads', () => {
    // Act
    const best = bestWindowPerPrincipal(reads.filter(succeeded).filter(notBrowser));
    const alerted = overThreshold(best);

    // Assess
    expect(alerted).toHaveLength(1);
    const attacker = alerted[0] ?? '';
    const attackerReads = reads.filter((r) => r.userIdentity.principalId === attacker);
    expect(attackerReads[0]?.userIdentity.arn).toBe('arn:aws:iam::111122223333:user/svc-reporting');
    expect(best.get(attacker)).toBeGreaterThanOrEqual(40);
    expect(best.get(attacker)).toBeLessThanOrEqual(50);
    // Its two reads on a normal morning are far from the burst.
    const burst = attackerReads.filter((r) => r.eventTime >= '2026-11-25T14:30:00Z');
    expect(burst.every((r) => r.eventTime < '2026-11-25T14:42:00Z')).toBe(true);
    expect(attackerReads.length - burst.length).toBe(2);
  });

  it('would alert on the console reviewer if desktop browsers were not excluded', () => {
    // Act
    const withBrowsers = overThreshold(bestWindowPerPrincipal(reads.filter(succeeded)));
    const extra = withBrowsers.filter(
      (p) => !overThreshold(bestWindowPerPrincipal(reads.filter(succeeded).filter(notBrowser))).includes(p),
    );

    // Assess
    expect(extra).toHaveLength(1);
    const consoleReads = reads.filter((r) => r.userIdentity.principalId === extra[0]);
    expect(consoleReads.every((r) => r.sessionCredentialFromConsole === 'true')).toBe(true);
    expect(consoleReads.every((r) => DESKTOP_BROWSER.test(r.userAgent ?? ''))).toBe(true);
    expect(consoleReads[0]?.userIdentity.arn).toContain('assumed-role/AWSReservedSSO_AdministratorAccess_');
  });

  it('would alert on the AccessDenied loop if failed calls counted', () => {
    // Act
    const withFailures = overThreshold(bestWindowPerPrincipal(reads.filter(notBrowser)));
    const extra = withFailures.filter(
      (p) => !overThreshold(bestWindowPerPrincipal(reads.filter(succeeded).filter(notBrowser))).includes(p),
    );

    // Assess
    expect(extra).toHaveLength(1);
    const failed = reads.filter((r) => r.userIdentity.principalId === extra[0] && !succeeded(r));
    expect(failed).toHaveLength(60);
    expect(
      failed.every((r) => r.errorCode === 'AccessDenied' && (r.errorMessage ?? '').includes('not authorized')),
    ).toBe(true);
  });

  it('keeps a near miss below the threshold: an SDK app with 15 reads inside ten minutes', () => {
    // Act
    const best = bestWindowPerPrincipal(reads.filter(succeeded).filter(notBrowser));
    const ranked = [...best].sort((x, y) => y[1] - x[1]);

    // Assess
    const runnerUp = ranked[1];
    expect(runnerUp?.[1]).toBe(15);
    const agent = reads.find((r) => r.userIdentity.principalId === runnerUp?.[0])?.userAgent ?? '';
    expect(agent).toMatch(/^aws-sdk-js\/3\./);
  });
});
