/**
 * `--from-cloudtrail` against a local server speaking the CloudTrail JSON protocol: real-shaped LookupEvents pages,
 * paging, a throttled request retried, the documented request rate, and the same alerts as the same records read
 * from a file.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { readEventHistory } from '../../lib/adapters/cloudtrail/event-history';
import { type LocalServer, startJsonService } from '../support/aws-local';
import { rsr, rsrAsync } from '../support/cli';

type JsonRecord = Record<string, unknown>;
const HOUR = 3600_000;

/** The 21 real Stratus records moved to an hour ago (event history keeps 90 days), newest first as the API returns. */
function recentRecords(now: number): JsonRecord[] {
  const records = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'stratus-red-team', 'secretsmanager-retrieve-secrets.json'), 'utf8'),
  ) as JsonRecord[];
  const first = Math.min(...records.map((r) => Date.parse(String(r.eventTime))));
  const base = Math.floor((now - HOUR) / 60_000) * 60_000;
  return records
    .map((r) => ({
      ...r,
      eventTime: `${new Date(base + Date.parse(String(r.eventTime)) - first).toISOString().slice(0, 19)}Z`,
    }))
    .sort((a, b) => String(b.eventTime).localeCompare(String(a.eventTime)));
}

/** LookupEvents as CloudTrail answers it: `pageSize` events a page, the second request throttled once. */
function lookupEvents(records: JsonRecord[], pageSize: number) {
  let calls = 0;
  return (operation: string, input: JsonRecord) => {
    calls += 1;
    if (operation !== 'LookupEvents') return { status: 400, body: { __type: 'UnknownOperationException' } };
    if (calls === 2) return { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
    const offset = Number(input.NextToken ?? 0);
    const page = records.slice(offset, offset + Math.min(pageSize, Number(input.MaxResults)));
    const next = offset + page.length < records.length ? String(offset + page.length) : undefined;
    return {
      body: {
        Events: page.map((r) => ({
          EventId: r.eventID,
          EventName: r.eventName,
          ReadOnly: 'true',
          AccessKeyId: (r.userIdentity as JsonRecord).accessKeyId,
          EventTime: Date.parse(String(r.eventTime)) / 1000,
          EventSource: r.eventSource,
          Username: (r.userIdentity as JsonRecord).userName,
          Resources: [],
          CloudTrailEvent: JSON.stringify(r),
        })),
        ...(next === undefined ? {} : { NextToken: next }),
      },
    };
  };
}

describe('CloudTrail event history (LookupEvents)', () => {
  let server: LocalServer;
  const now = Date.now();
  const records = recentRecords(now);

  beforeEach(async () => {
    server = await startJsonService(lookupEvents(records, 8));
  });
  afterEach(() => server.close());

  it('pages 50 at a time, retries throttling, keeps 2 requests/s, and yields every record once', async () => {
    let clock = 0;
    const requestTimes: number[] = [];
    const client = new CloudTrailClient({ region: 'us-east-1', endpoint: server.url, maxAttempts: 1 });
    const original = client.send.bind(client);
    client.send = ((command: never) => {
      requestTimes.push(clock);
      return original(command);
    }) as typeof client.send;
    const items = [];
    for await (const item of readEventHistory({
      regions: ['us-east-1'],
      start: now - 2 * HOUR,
      end: now,
      clientFor: () => client,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    })) {
      items.push(item);
    }
    expect(items).toHaveLength(21);
    // 3 pages of 8, 8 and 5, plus the throttled retry of the second.
    expect(server.requests.map((r) => r.input.NextToken ?? '-')).toEqual(['-', '8', '8', '16']);
    for (const r of server.requests) {
      expect(r.input.MaxResults).toBe(50);
      expect(r.input.LookupAttributes).toEqual([
        { AttributeKey: 'EventSource', AttributeValue: 'secretsmanager.amazonaws.com' },
      ]);
    }
    for (let i = 1; i < requestTimes.length; i += 1) {
      expect((requestTimes[i] as number) - (requestTimes[i - 1] as number)).toBeGreaterThanOrEqual(500);
    }
  });

  it('rsr replay --from-cloudtrail gives the same alerts as the same records in a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsr-history-'));
    writeFileSync(join(dir, 'records.json'), JSON.stringify({ Records: records }));
    const fromFile = rsr(['replay', join(dir, 'records.json'), '--json']);
    const fromHistory = await rsrAsync(
      ['replay', '--from-cloudtrail', '--days', '1', '--region', 'us-east-1', '--json'],
      {
        env: { AWS_ENDPOINT_URL_CLOUDTRAIL: server.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
      },
    );
    expect(fromHistory.stderr).toContain('management events only');
    expect(fromHistory.code).toBe(0);
    expect(
      fromFile.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).kind),
    ).toEqual(['alert', 'summary']);
    expect(fromHistory.stdout).toBe(fromFile.stdout);
  });

  it('rsr tune --from-cloudtrail reads the same history', async () => {
    const r = await rsrAsync(['tune', '--from-cloudtrail', '--days', '1', '--region', 'us-east-1', '--json'], {
      env: { AWS_ENDPOINT_URL_CLOUDTRAIL: server.url, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' },
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).totals.records).toBe(21);
  });

  it('ends with an error naming the Region when throttling outlasts the retries, keeping what was read', async () => {
    let clock = 0;
    const client = new CloudTrailClient({ region: 'eu-west-1', endpoint: server.url, maxAttempts: 1 });
    const seen: unknown[] = [];
    const read = async () => {
      for await (const item of readEventHistory({
        regions: ['eu-west-1'],
        start: now - HOUR * 2,
        end: now,
        clientFor: () => client,
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
        maxThrottleRetries: 0,
      })) {
        seen.push(item);
      }
    };
    await expect(read()).rejects.toMatchObject({
      name: 'EventHistoryError',
      message: 'CloudTrail event history in eu-west-1: still throttled after 0 retries',
    });
    expect(seen).toHaveLength(8);
  });

  it('refuses a range event history does not hold, naming the flag', () => {
    const r = rsr(['replay', '--from-cloudtrail', '--days', '91', '--region', 'us-east-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--days="91" is not valid: expected an integer from 1 to 90');
  });
});
