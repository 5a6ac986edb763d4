/**
 * `rsr mute`, `rsr unmute`, `rsr mutes` through the real bundle against dynalite and a local STS server, and
 * `rsr replay --mutes FILE`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rsrAsync as rsr } from '../support/cli';
import { uniqueTableName, useDynalite } from '../support/dynalite';
import { type LocalSts, startSts } from '../support/sts';

useDynalite();

const ANALYST = 'arn:aws:sts::111122223333:assumed-role/SecOps/alice';
const STRATUS = 'test/fixtures/cases/count-20.json';

describe('rsr mute / unmute / mutes', () => {
  let sts: LocalSts;
  let table: string;
  const env = () => ({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.AWS_ENDPOINT_URL_DYNAMODB as string,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    TABLE_NAME: table,
  });

  beforeAll(async () => {
    sts = await startSts(ANALYST);
    table = uniqueTableName('mutes');
    const r = await rsr(['create-table', '--table-name', table], { env: env() });
    expect(r.code).toBe(0);
  });
  afterAll(async () => sts?.stop());

  it('records who muted (from STS), why and until when; lists it; unmute removes it', async () => {
    // Act
    const muted = await rsr(['mute', 'AIDAEXAMPLEJOB', '--for', '12h', '--reason', 'reindex job, ticket SEC-42'], {
      env: env(),
    });
    const listed = await rsr(['mutes', '--json'], { env: env() });
    const unmuted = await rsr(['unmute', 'AIDAEXAMPLEJOB'], { env: env() });
    const after = await rsr(['mutes'], { env: env() });
    // Assess
    expect(muted.code).toBe(0);
    expect(muted.stdout).toContain(`by ${ANALYST}`);
    expect(sts.actions).toContain('GetCallerIdentity');
    const [mute] = JSON.parse(listed.stdout) as { key: string; by: string; reason: string; until: string }[];
    expect(mute).toMatchObject({ key: 'AIDAEXAMPLEJOB', by: ANALYST, reason: 'reindex job, ticket SEC-42' });
    const hours = (Date.parse(mute?.until ?? '') - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(11.9);
    expect(hours).toBeLessThanOrEqual(12);
    expect(unmuted.stdout).toContain('1 mute(s) removed');
    expect(after.stdout).toContain('no mutes in force');
  });

  it('a mute of one signal says so', async () => {
    const r = await rsr(['mute', 'AIDAEXAMPLEJOB2', '--for', '30m', '--reason', 'x', '--signal', 'access-denied'], {
      env: env(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(access-denied only)');
    await rsr(['unmute', 'AIDAEXAMPLEJOB2'], { env: env() });
  });

  it.each([
    [['--for', '0m', '--reason', 'x'], '--for'],
    [['--for', '31d', '--reason', 'x'], '--for'],
    [['--for', 'soon', '--reason', 'x'], '--for'],
    [['--for', '1h', '--reason', '  '], '--reason'],
    [['--for', '1h', '--reason', 'x', '--signal', 'loud'], '--signal'],
  ])('rejects %j with one line naming %s, writing nothing', async (args, option) => {
    const r = await rsr(['mute', 'AIDAEXAMPLEJOB', ...args], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(option);
    expect((await rsr(['mutes'], { env: env() })).stdout).toContain('no mutes in force');
  });

  it('writes nothing when STS cannot say who is muting', async () => {
    sts.fail = true;
    try {
      const r = await rsr(['mute', 'AIDAEXAMPLEJOB', '--for', '1h', '--reason', 'x'], { env: env() });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('GetCallerIdentity');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      sts.fail = false;
    }
    expect((await rsr(['mutes'], { env: env() })).stdout).toContain('no mutes in force');
  });
});

describe('rsr replay --mutes FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsr-mutes-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };
  const replayJson = async (...extra: string[]) => {
    const r = await rsr(['replay', STRATUS, '--json', ...extra]);
    return {
      ...r,
      kinds: r.stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).kind as string),
    };
  };

  it('silences the muted key while the mute is in force, and counts the muted crossing', async () => {
    // Prepare
    const base = await replayJson();
    const identity = JSON.parse(base.stdout.split('\n')[0] as string).identity as string;
    const mutes = file('on.json', [{ key: identity, until: '2100-01-01T00:00:00Z', reason: 'known test run' }]);
    // Act
    const r = await replayJson('--mutes', mutes);
    // Assess
    expect(base.kinds).toEqual(['alert', 'summary']);
    expect(r.code).toBe(0);
    expect(r.kinds).toEqual([]);
    expect(r.stderr).toMatch(/muted crossings\s+1/);
  });

  it('never hides another key, nor a crossing outside the mute period', async () => {
    const other = file('other.json', [{ key: 'AIDANOTTHISONE', until: '2100-01-01T00:00:00Z', reason: 'x' }]);
    const expired = file('expired.json', [{ key: 'AIDA45XCCHPPLELFTIIM', until: '2001-01-01T00:00:00Z', reason: 'x' }]);
    expect((await replayJson('--mutes', other)).kinds).toEqual(['alert', 'summary']);
    expect((await replayJson('--mutes', expired)).kinds).toEqual(['alert', 'summary']);
  });

  it('rejects a bad entry with one line naming the file, the entry and the field', async () => {
    const bad = file('bad.json', [{ key: 'AIDAX', until: 'tomorrow', reason: 'x' }]);
    const r = await rsr(['replay', STRATUS, '--mutes', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('entry 0 until');
    expect(r.stderr).toContain('"tomorrow"');
  });
});
