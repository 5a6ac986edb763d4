/**
 * A second CloudTrail generator, written apart from bench/generate.ts so that replay's speed and its alerts are not
 * tuned to one generator's habits. Records are built as objects and serialised with JSON.stringify (generate.ts
 * writes text templates); services, field sets, file sizes and the folder layout differ, and a few files are
 * pretty-printed or carry non-ASCII text, so both the fast path and its fall-backs are exercised.
 *
 * Mix: S3 data events, KMS, STS, DynamoDB, Lambda, EC2, CloudWatch Logs, IAM, plus a few percent Secrets Manager
 * (reads by ordinary callers, describes and lists, failures, and a handful of identities reading many secrets in a
 * couple of minutes). What alerts is not fixed here: the benchmark compares `rsr replay` with the full-parse path.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface MixedSpec {
  readonly records: number;
  /** Share of Secrets Manager records among all, 0–1. */
  readonly secretsShare: number;
  /** Identities that read `burstSecrets` distinct secrets within two minutes. */
  readonly bursts: number;
  readonly burstSecrets: number;
  readonly seed: number;
}

export interface MixedDataset {
  readonly dir: string;
  readonly records: number;
  readonly files: number;
  readonly bytes: number;
}

/** mulberry32: small, fast, good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ACCOUNTS = ['210987654321', '123456789012', '555566667777'];
const REGIONS = ['eu-central-1', 'us-west-2', 'ap-southeast-2', 'us-east-1'];
const AGENTS = [
  'aws-sdk-java/1.12.700 Linux/5.10 OpenJDK_64-Bit_Server_VM/17.0.9',
  'Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux#6.1 lang/python#3.11.6',
  'aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2023 prompt/off command/s3.cp',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  'terraform/1.7.0 (+https://www.terraform.io) terraform-provider-aws/5.31.0',
  'aws-internal/3 aws-sdk-java/1.12.600',
  'S3Console/0.4 — überwachung ✓',
];
const SERVICES: readonly { source: string; names: readonly string[] }[] = [
  { source: 's3.amazonaws.com', names: ['GetObject', 'PutObject', 'HeadObject', 'ListObjects'] },
  { source: 'kms.amazonaws.com', names: ['Decrypt', 'GenerateDataKey', 'Encrypt'] },
  { source: 'sts.amazonaws.com', names: ['AssumeRole', 'GetCallerIdentity'] },
  { source: 'dynamodb.amazonaws.com', names: ['DescribeTable', 'ListTables'] },
  { source: 'lambda.amazonaws.com', names: ['Invoke', 'GetFunction'] },
  { source: 'ec2.amazonaws.com', names: ['DescribeInstances', 'DescribeSecurityGroups'] },
  { source: 'logs.amazonaws.com', names: ['CreateLogStream', 'PutLogEvents'] },
  { source: 'iam.amazonaws.com', names: ['GetRole', 'ListRoles'] },
];
const SM = 'secretsmanager.amazonaws.com';
const START = Date.UTC(2026, 5, 1, 8, 0, 0);
const SPAN_MS = 6 * 3600_000;

interface Caller {
  readonly account: string;
  readonly role: string;
  readonly session: string;
  readonly agent: string;
  readonly ip: string;
}

function hex(rand: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function caller(rand: () => number, i: number): Caller {
  return {
    account: pick(rand, ACCOUNTS),
    role: `app-${i % 40}`,
    session: `s-${hex(rand, 8)}`,
    agent: pick(rand, AGENTS),
    ip: `10.${Math.floor(rand() * 250)}.${Math.floor(rand() * 250)}.${1 + Math.floor(rand() * 250)}`,
  };
}

function identity(c: Caller): Record<string, unknown> {
  return {
    type: 'AssumedRole',
    principalId: `AROA${c.role.toUpperCase()}:${c.session}`,
    arn: `arn:aws:sts::${c.account}:assumed-role/${c.role}/${c.session}`,
    accountId: c.account,
    accessKeyId: `ASIA${c.session.toUpperCase()}`,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: `AROA${c.role.toUpperCase()}`,
        arn: `arn:aws:iam::${c.account}:role/${c.role}`,
        accountId: c.account,
        userName: c.role,
      },
      attributes: { creationDate: new Date(START).toISOString(), mfaAuthenticated: 'false' },
    },
  };
}

function event(
  rand: () => number,
  c: Caller,
  t: number,
  source: string,
  name: string,
  request: Record<string, unknown> | null,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const region = pick(rand, REGIONS);
  return {
    eventVersion: '1.09',
    userIdentity: identity(c),
    eventTime: `${new Date(t).toISOString().slice(0, 19)}Z`,
    eventSource: source,
    eventName: name,
    awsRegion: region,
    sourceIPAddress: c.ip,
    userAgent: c.agent,
    ...extra,
    requestParameters: request,
    responseElements: null,
    requestID: hex(rand, 32),
    eventID: `${hex(rand, 8)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 4)}-${hex(rand, 12)}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: source !== 's3.amazonaws.com',
    recipientAccountId: c.account,
    eventCategory: source === 's3.amazonaws.com' ? 'Data' : 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: source },
  };
}

function otherEvent(rand: () => number, c: Caller, t: number): Record<string, unknown> {
  const service = pick(rand, SERVICES);
  const name = pick(rand, service.names);
  const request =
    service.source === 's3.amazonaws.com'
      ? { bucketName: `data-${c.account}`, key: `reports/${hex(rand, 6)}/part-${Math.floor(rand() * 999)}.parquet` }
      : service.source === 'kms.amazonaws.com'
        ? {
            encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
            keyId: `arn:aws:kms:eu-central-1:${c.account}:key/${hex(rand, 8)}`,
          }
        : { maxResults: Math.floor(rand() * 100) };
  const extra: Record<string, unknown> = rand() < 0.03 ? { errorCode: 'AccessDenied', errorMessage: 'denied' } : {};
  const e = event(rand, c, t, service.source, name, request, extra);
  if (service.source === 's3.amazonaws.com') {
    e.resources = [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::data-${c.account}/reports` }];
    e.additionalEventData = { bytesTransferredIn: 0, bytesTransferredOut: Math.floor(rand() * 1e6) };
  }
  return e;
}

function secretsEvent(rand: () => number, c: Caller, t: number): Record<string, unknown> {
  const r = rand();
  const secret = `arn:aws:secretsmanager:eu-central-1:${c.account}:secret:${c.role}/db-${Math.floor(rand() * 3)}-${hex(rand, 6)}`;
  if (r < 0.7) return event(rand, c, t, SM, 'GetSecretValue', { secretId: secret });
  if (r < 0.8) return event(rand, c, t, SM, 'DescribeSecret', { secretId: secret });
  if (r < 0.9) return event(rand, c, t, SM, 'ListSecrets', { maxResults: 100 });
  return event(rand, c, t, SM, 'GetSecretValue', { secretId: secret }, { errorCode: 'ResourceNotFoundException' });
}

/** Writes the dataset under `root` (replacing what is there) and returns where. */
export function generateMixed(spec: MixedSpec, root: string): MixedDataset {
  const rand = prng(spec.seed);
  const dir = join(root, `rsr-mixed-${spec.records}-${spec.seed}`);
  rmSync(dir, { recursive: true, force: true });
  const callers = Array.from({ length: 300 }, (_, i) => caller(rand, i));
  const all: { t: number; e: Record<string, unknown> }[] = [];
  for (let b = 0; b < spec.bursts; b++) {
    const c = caller(rand, 1000 + b);
    const t0 = START + Math.floor(rand() * (SPAN_MS - 600_000));
    for (let k = 0; k < spec.burstSecrets; k++) {
      const t = t0 + Math.floor(rand() * 120_000);
      all.push({ t, e: event(rand, c, t, SM, 'GetSecretValue', { secretId: `prod/burst-${b}/secret-${k}` }) });
    }
  }
  while (all.length < spec.records) {
    const t = START + Math.floor(rand() * SPAN_MS);
    const c = pick(rand, callers);
    all.push({ t, e: rand() < spec.secretsShare ? secretsEvent(rand, c, t) : otherEvent(rand, c, t) });
  }
  all.sort((a, b) => a.t - b.t);
  let files = 0;
  let bytes = 0;
  for (let at = 0; at < all.length; ) {
    const size = 500 + Math.floor(rand() * 4500);
    const chunk = all.slice(at, at + size).map((x) => x.e);
    const first = new Date(all[at]?.t ?? START);
    at += size;
    const day = first.toISOString().slice(0, 10).replaceAll('-', '/');
    const folder = join(dir, 'trail', day);
    mkdirSync(folder, { recursive: true });
    // One file in fifty pretty-printed: not CloudTrail's layout, so replay must take its full-parse fall-back.
    const text = rand() < 0.02 ? JSON.stringify({ Records: chunk }, null, 1) : JSON.stringify({ Records: chunk });
    const data = gzipSync(text, { level: 6 });
    writeFileSync(join(folder, `part-${String(files).padStart(5, '0')}.json.gz`), data);
    files++;
    bytes += data.length;
  }
  return { dir, records: all.length, files, bytes };
}
