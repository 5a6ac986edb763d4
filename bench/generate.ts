/**
 * Fast, deterministic generator of CloudTrail as a trail writes it to S3: many gzipped `{"Records":[...]}` files of a
 * few thousand records each, mostly other services' management events and a few percent Secrets Manager.
 *
 * The Secrets Manager traffic (ordinary callers, failures, console reads, describes, batch reads, and `bursts`
 * identities that each read 45 secrets in 3 minutes) is drawn from its own random stream and depends only on
 * `identities`, `minutes`, `secretsManagerRecords` and `bursts` — not on `records`. Two datasets that differ only in
 * `records` therefore hold exactly the same Secrets Manager records (the same window state, the same alerts) and
 * differ in how many other-service records surround them: that is how the replay benchmark shows that memory
 * follows the window state, not the number of records.
 *
 * Ordinary callers average secretsManagerRecords / (identities × minutes) reads per minute (0.3 by default: about 3
 * in a 10-minute window), so none of them comes near the default threshold of 20; each burst alerts exactly once.
 * scripts/generate-sample.mjs tells a story in one small day; this one is about volume and speed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Rng } from './stats';

const gzipAsync = promisify(gzip);

export interface DatasetSpec {
  /** Total records, Secrets Manager ones included. */
  readonly records: number;
  /** Records per file (CloudTrail files hold a few thousand in a busy account). */
  readonly recordsPerFile: number;
  /** Ordinary Secrets Manager callers (principal ids). */
  readonly identities: number;
  /** Time span of the data. */
  readonly minutes: number;
  /** Secrets Manager records of ordinary callers (all kinds: reads, failures, console, describes). */
  readonly secretsManagerRecords: number;
  /** Identities that each read BURST_READS secrets within BURST_MINUTES minutes: one alert each. */
  readonly bursts: number;
}

export const BURST_READS = 45;
const BURST_MINUTES = 3;
const ACCOUNT = '111122223333';
const START = Date.UTC(2026, 10, 25, 6, 0, 0);
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const SEC = 1000;
const MIN = 60_000;

export interface Dataset {
  readonly dir: string;
  readonly spec: DatasetSpec;
  readonly files: number;
  readonly bytes: number;
  readonly uncompressedBytes: number;
  readonly records: number;
  readonly secretsManagerRecords: number;
  /** Generation time (0 when an earlier identical dataset was reused). */
  readonly generatedMs: number;
}

// ---- pieces of records -------------------------------------------------------------------------------------------

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const chars = (rng: Rng, n: number, alphabet = UPPER) => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
  return s;
};
const time = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

const AGENTS = [
  'aws-sdk-java/2.31.63 md/io#sync md/http#Apache ua/2.1 api/Secrets_Manager#2.31.63 os/Linux#5.10.240-238.966.amzn2.x86_64 lang/java#21.0.8 md/OpenJDK_64-Bit_Server_VM#21.0.8+9-LTS exec-env/AWS_ECS_FARGATE m/D,N,e',
  'aws-sdk-js/3.890.0 ua/2.1 os/linux#5.10.240-258.930.amzn2.x86_64 lang/js md/nodejs#22.19.0 api/secrets-manager#3.890.0 exec-env/AWS_Lambda_nodejs22.x m/N,E,e',
  'Boto3/1.40.55 md/Botocore#1.40.55 ua/2.1 os/linux#6.1.0-40-cloud-amd64 md/arch#x86_64 lang/python#3.12.12 md/pyimpl#CPython m/Z,b,D cfg/retry-mode#legacy Botocore/1.40.55',
  'aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.1 md/GOOS#linux md/GOARCH#amd64 api/secretsmanager#1.35.2 m/E',
  'aws-cli/2.31.18 md/awscrt#0.28.1 ua/2.1 os/linux#6.11.0-1018-azure md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,b cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#secretsmanager.get-secret-value',
];
const BROWSER =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const OTHER_AGENTS = [
  'aws-sdk-go/1.55.7 (go1.23.8; linux; amd64)',
  'aws-sdk-java/2.31.63 md/io#sync md/http#Apache ua/2.1 api/KMS#2.31.63 os/Linux#5.10.240-238.966.amzn2.x86_64 lang/java#21.0.8 m/D,N,e',
  'Boto3/1.38.36 md/Botocore#1.38.36 ua/2.1 os/linux#5.10.240-258.930.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 m/D,b cfg/retry-mode#legacy Botocore/1.38.36',
  'aws-sdk-js/3.701.0 ua/2.1 os/linux#5.10.228-219.884.amzn2.x86_64 lang/js md/nodejs#20.18.1 api/cloudwatch-logs#3.701.0 exec-env/AWS_ECS_FARGATE m/E',
  'AWS Internal',
  'amazon-ssm-agent/3.3.2299.0 aws-sdk-go/1.55.5 (go1.22.12; linux; amd64)',
];

export interface Principal {
  readonly principalId: string;
  /** The userIdentity object, as JSON text. */
  readonly json: string;
  readonly agent: string;
  readonly ip: string;
  readonly region: string;
}

/** A caller with fixed ids, agent, address and Region (assumed-role session 70 %, IAM user 30 %). */
export function principal(rng: Rng, label: string, agents: readonly string[] = AGENTS): Principal {
  const region = rng.pick(REGIONS);
  const ip = `${rng.pick([3, 18, 34, 52, 54])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  const agent = rng.pick(agents);
  if (rng.chance(0.7)) {
    const roleId = `AROA${chars(rng, 17)}`;
    const role = `${label}-role`;
    const session = `${label}-${rng.int(1_000_000, 9_999_999)}`;
    const principalId = `${roleId}:${session}`;
    const json =
      `{"type":"AssumedRole","principalId":"${principalId}","arn":"arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}",` +
      `"accountId":"${ACCOUNT}","accessKeyId":"ASIA${chars(rng, 16)}","sessionContext":{"sessionIssuer":{"type":"Role",` +
      `"principalId":"${roleId}","arn":"arn:aws:iam::${ACCOUNT}:role/${role}","accountId":"${ACCOUNT}","userName":"${role}"},` +
      `"webIdFederationData":{},"attributes":{"creationDate":"2026-11-25T05:12:40Z","mfaAuthenticated":"false"}}}`;
    return { principalId, json, agent, ip, region };
  }
  const principalId = `AIDA${chars(rng, 17)}`;
  const json =
    `{"type":"IAMUser","principalId":"${principalId}","arn":"arn:aws:iam::${ACCOUNT}:user/${label}",` +
    `"accountId":"${ACCOUNT}","accessKeyId":"AKIA${chars(rng, 16)}","userName":"${label}"}`;
  return { principalId, json, agent, ip, region };
}

interface Call {
  readonly source: string;
  readonly name: string;
  readonly request: string;
  readonly response: string;
  readonly readOnly: boolean;
  readonly error?: string;
  readonly extra?: string;
}

function record(rng: Rng, t: number, who: Principal, agent: string, call: Call, region = who.region): string {
  const error = call.error
    ? `"errorCode":"${call.error}","errorMessage":"User is not authorized to perform this operation",`
    : '';
  return (
    `{"eventVersion":"1.10","userIdentity":${who.json},"eventTime":"${time(t)}","eventSource":"${call.source}",` +
    `"eventName":"${call.name}","awsRegion":"${region}","sourceIPAddress":"${who.ip}","userAgent":"${agent}",` +
    `${error}"requestParameters":${call.request},"responseElements":${call.response},"requestID":"${rng.uuid()}",` +
    `"eventID":"${rng.uuid()}","readOnly":${call.readOnly},${call.extra ?? ''}"eventType":"AwsApiCall",` +
    `"managementEvent":true,"recipientAccountId":"${ACCOUNT}","eventCategory":"Management","tlsDetails":{` +
    `"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":` +
    `"${call.source.split('.')[0]}.${region}.amazonaws.com"}}`
  );
}

/** Other services' management events, roughly in the proportions of a busy account (KMS and EC2 lead). */
function otherCall(rng: Rng, who: Principal): Call {
  const r = rng.next();
  const id = rng.int(1, 400);
  if (r < 0.3) {
    return {
      source: 'kms.amazonaws.com',
      name: 'Decrypt',
      request: `{"encryptionAlgorithm":"SYMMETRIC_DEFAULT","encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:${who.region}:${ACCOUNT}:function:worker-${id}"}}`,
      response: 'null',
      readOnly: true,
      extra: `"resources":[{"accountId":"${ACCOUNT}","type":"AWS::KMS::Key","ARN":"arn:aws:kms:${who.region}:${ACCOUNT}:key/0b7e6f1c-${String(id).padStart(4, '0')}-4a3b-9c2d-5e6f7a8b9c0d"}],`,
    };
  }
  if (r < 0.5) {
    return {
      source: 'ec2.amazonaws.com',
      name: rng.pick(['DescribeInstances', 'DescribeVolumes', 'DescribeSecurityGroups', 'DescribeNetworkInterfaces']),
      request: `{"instancesSet":{},"filterSet":{"items":[{"name":"tag:service","valueSet":{"items":[{"value":"svc-${id}"}]}}]}}`,
      response: 'null',
      readOnly: true,
    };
  }
  if (r < 0.62) {
    return {
      source: 'ssm.amazonaws.com',
      name: 'GetParameter',
      request: `{"name":"/app/svc-${id}/config","withDecryption":true}`,
      response: 'null',
      readOnly: true,
    };
  }
  if (r < 0.72) {
    const session = `svc-${id}-${rng.int(100000, 999999)}`;
    return {
      source: 'sts.amazonaws.com',
      name: 'AssumeRole',
      request: `{"roleArn":"arn:aws:iam::${ACCOUNT}:role/svc-${id}-role","roleSessionName":"${session}","durationSeconds":3600}`,
      response: `{"credentials":{"accessKeyId":"ASIA${chars(rng, 16)}","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLETOKEN","expiration":"Nov 25, 2026, 9:03:47 AM"},"assumedRoleUser":{"assumedRoleId":"AROA${chars(rng, 17)}:${session}","arn":"arn:aws:sts::${ACCOUNT}:assumed-role/svc-${id}-role/${session}"}}`,
      readOnly: true,
    };
  }
  if (r < 0.82) {
    return {
      source: 'logs.amazonaws.com',
      name: rng.pick(['CreateLogStream', 'DescribeLogGroups', 'DescribeLogStreams']),
      request: `{"logGroupName":"/aws/lambda/worker-${id}","logStreamName":"2026/11/25/[$LATEST]${chars(rng, 32, '0123456789abcdef')}"}`,
      response: 'null',
      readOnly: false,
    };
  }
  if (r < 0.9) {
    return {
      source: 'monitoring.amazonaws.com',
      name: rng.pick(['DescribeAlarms', 'GetMetricData', 'ListMetrics']),
      request: `{"alarmNames":["svc-${id}-errors","svc-${id}-latency"],"maxRecords":100}`,
      response: 'null',
      readOnly: true,
    };
  }
  if (r < 0.96) {
    return {
      source: 's3.amazonaws.com',
      name: rng.pick(['GetBucketLocation', 'GetBucketAcl', 'ListBuckets']),
      request: `{"bucketName":"app-data-${id}-${ACCOUNT}","Host":"app-data-${id}-${ACCOUNT}.s3.amazonaws.com","location":""}`,
      response: 'null',
      readOnly: true,
      extra: `"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"${chars(rng, 40)}","bytesTransferredOut":137},`,
    };
  }
  return {
    source: 'iam.amazonaws.com',
    name: rng.pick(['GetRole', 'ListAttachedRolePolicies', 'GetPolicyVersion']),
    request: `{"roleName":"svc-${id}-role"}`,
    response: 'null',
    readOnly: true,
  };
}

const secretArn = (region: string, n: number) =>
  `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:prod/service-${String(n).padStart(3, '0')}/api-key-AbC12d`;

/** An ordinary caller's Secrets Manager call: mostly successful reads, a few failures, console reads, describes. */
function secretsCall(rng: Rng, who: Principal, secret: number): { call: Call; agent: string } {
  const r = rng.next();
  const arn = secretArn(who.region, secret);
  const base = { source: 'secretsmanager.amazonaws.com', response: 'null', readOnly: true };
  if (r < 0.86)
    return { call: { ...base, name: 'GetSecretValue', request: `{"secretId":"${arn}"}` }, agent: who.agent };
  if (r < 0.9) {
    return {
      call: { ...base, name: 'GetSecretValue', request: `{"secretId":"${arn}"}`, error: 'AccessDenied' },
      agent: who.agent,
    };
  }
  if (r < 0.93) return { call: { ...base, name: 'GetSecretValue', request: `{"secretId":"${arn}"}` }, agent: BROWSER };
  if (r < 0.98)
    return { call: { ...base, name: 'DescribeSecret', request: `{"secretId":"${arn}"}` }, agent: who.agent };
  const list = `["${arn}","${secretArn(who.region, secret + 1)}"]`;
  return { call: { ...base, name: 'BatchGetSecretValue', request: `{"secretIdList":${list}}` }, agent: who.agent };
}

/** One successful GetSecretValue record by `who` at `t`, as JSON text. */
export function secretRead(rng: Rng, t: number, who: Principal, secret: number): string {
  const call: Call = {
    source: 'secretsmanager.amazonaws.com',
    name: 'GetSecretValue',
    request: `{"secretId":"${secretArn(who.region, secret)}"}`,
    response: 'null',
    readOnly: true,
  };
  return record(rng, t, who, who.agent, call);
}

/** An EventBridge "AWS API Call via CloudTrail" event around one record, as the ingest Lambda receives it. */
export function eventBridgeEnvelope(rng: Rng, recordText: string, t: number, region: string): unknown {
  return {
    version: '0',
    id: rng.uuid(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.secretsmanager',
    account: ACCOUNT,
    time: time(t),
    region,
    resources: [],
    detail: JSON.parse(recordText) as unknown,
  };
}

// ---- the dataset -------------------------------------------------------------------------------------------------

interface Timed {
  readonly t: number;
  readonly json: string;
}

/** The Secrets Manager records, ascending by time: independent of spec.records (see the file comment). */
function secretsManagerRecords(spec: DatasetSpec): Timed[] {
  const rng = new Rng(`sm|${spec.identities}|${spec.minutes}|${spec.secretsManagerRecords}`);
  const callers = Array.from({ length: spec.identities }, (_, i) => ({
    who: principal(rng, `app-${String(i).padStart(5, '0')}`, AGENTS),
    secrets: rng.int(1, 480),
  }));
  const span = spec.minutes * MIN;
  const out: Timed[] = [];
  for (let i = 0; i < spec.secretsManagerRecords; i++) {
    const t = START + Math.floor(rng.next() * span);
    const caller = callers[Math.floor(rng.next() * callers.length)] as (typeof callers)[number];
    const { call, agent } = secretsCall(rng, caller.who, caller.secrets + rng.int(0, 3));
    out.push({ t, json: record(rng, t, caller.who, agent, call) });
  }
  const burstRng = new Rng(`bursts|${spec.bursts}|${spec.minutes}`);
  for (let b = 0; b < spec.bursts; b++) {
    const who = principal(burstRng, `burst-${b}`, AGENTS);
    const begin = START + Math.floor(((b + 0.5) * span) / spec.bursts);
    for (let k = 0; k < BURST_READS; k++) {
      const t = begin + Math.floor((k * BURST_MINUTES * MIN) / BURST_READS) + burstRng.int(0, 2) * SEC;
      out.push({ t, json: secretRead(burstRng, t, who, k) });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

function datasetKey(spec: DatasetSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).update('v1').digest('hex').slice(0, 16);
}

/**
 * Writes the dataset under `root` (a directory named after the spec, reused when a complete identical one is
 * there) and returns what was written.
 */
export async function generateDataset(spec: DatasetSpec, root = tmpdir()): Promise<Dataset> {
  const dir = join(root, `rsr-bench-${datasetKey(spec)}`);
  // Beside the directory, not in it: `rsr replay DIR` would read it as input.
  const manifest = `${dir}.json`;
  if (existsSync(manifest)) return { ...(JSON.parse(readFileSync(manifest, 'utf8')) as Dataset), generatedMs: 0 };
  rmSync(dir, { recursive: true, force: true });
  const started = Date.now();

  const sm = secretsManagerRecords(spec);
  const others = spec.records - sm.length;
  if (others < 0) throw new RangeError(`records (${spec.records}) < Secrets Manager records (${sm.length})`);
  const rng = new Rng(`other|${spec.records}|${spec.minutes}`);
  const pool = Array.from({ length: 200 }, (_, i) => principal(rng, `svc-${i}`, OTHER_AGENTS));
  const files = Math.max(1, Math.ceil(spec.records / spec.recordsPerFile));
  const span = spec.minutes * MIN;
  let bytes = 0;
  let uncompressedBytes = 0;
  let smAt = 0;
  const inFlight = new Set<Promise<void>>();
  for (let f = 0; f < files; f++) {
    const from = START + Math.floor((f * span) / files);
    const to = START + Math.floor(((f + 1) * span) / files);
    const count = Math.floor(((f + 1) * others) / files) - Math.floor((f * others) / files);
    const items: Timed[] = [];
    for (let i = 0; i < count; i++) {
      const t = from + Math.floor(rng.next() * (to - from));
      const who = rng.pick(pool);
      items.push({ t, json: record(rng, t, who, who.agent, otherCall(rng, who)) });
    }
    while (smAt < sm.length && ((sm[smAt] as Timed).t < to || f === files - 1)) items.push(sm[smAt++] as Timed);
    items.sort((a, b) => a.t - b.t);
    const region = REGIONS[f % REGIONS.length] as string;
    const stamp = time(to).replace(/[-:]/g, '').slice(0, 13);
    const sub = join(dir, 'AWSLogs', ACCOUNT, 'CloudTrail', region, '2026', '11', '25');
    mkdirSync(sub, { recursive: true });
    const name = `${ACCOUNT}_CloudTrail_${region}_${stamp}Z_${chars(rng, 16)}.json.gz`;
    const text = `{"Records":[${items.map((x) => x.json).join(',')}]}`;
    uncompressedBytes += Buffer.byteLength(text);
    // Compression runs on the libuv pool while the next file is rendered; at most 3 files in memory.
    const job = gzipAsync(text).then(async (packed) => {
      bytes += packed.byteLength;
      await writeFile(join(sub, name), packed);
    });
    const tracked = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= 3) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const dataset: Dataset = {
    dir,
    spec,
    files,
    bytes,
    uncompressedBytes,
    records: spec.records,
    secretsManagerRecords: sm.length,
    generatedMs: Date.now() - started,
  };
  writeFileSync(manifest, `${JSON.stringify(dataset, null, 2)}\n`);
  return dataset;
}
