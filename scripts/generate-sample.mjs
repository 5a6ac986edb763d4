#!/usr/bin/env node
/**
 * Deterministic generator of the demo sample: one day (2026-11-25 UTC) of CloudTrail for account 111122223333,
 * laid out as a trail writes it to S3 (gzipped `{"Records":[...]}` files, about one per 5 minutes and Region).
 *
 * Usage: node scripts/generate-sample.mjs [outDir]   (default `sample`; only `<outDir>/AWSLogs` is replaced)
 *
 * Plain Node ESM with built-ins only, so it runs without a build. Every random choice comes from a seeded PRNG,
 * one stream per actor (seeded from the actor's label), so editing one actor does not reshuffle the others and two
 * runs write byte-identical files (Node's gzip header carries mtime 0; the OS byte is fixed when zlib is built).
 *
 * The story, and what the default rule (20 successful GetSecretValue/BatchGetSecretValue by one principalId in 10
 * one-minute buckets, desktop browsers excluded) must make of it, is in sample/README.md. `generate` checks those
 * expectations itself and refuses to write a sample that breaks them.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ACCOUNT = '111122223333';
const DAY_START = Date.UTC(2026, 10, 25);
const DAY_END = DAY_START + 86_400_000;
const MAIN = 'us-east-1';
const EU = 'eu-west-1';
const SEED = 20261125;
const MIN = 60_000;
const SEC = 1000;
const HOUR = 3_600_000;
/** The default rule, used by the self-check. */
const THRESHOLD = 20;
const WINDOW_BUCKETS = 10;

// ---------------------------------------------------------------------------------------------------------------
// Randomness: mulberry32 (32-bit state, good enough for test data), one stream per label.

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const KEY_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

class Rng {
  constructor(label) {
    this.state = (fnv1a(label) ^ SEED) >>> 0;
  }

  next() {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.state ^ (this.state >>> 15), 1 | this.state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max]. */
  int(min, max) {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p) {
    return this.next() < p;
  }

  pick(items) {
    return items[Math.floor(this.next() * items.length)];
  }

  chars(n, alphabet) {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
    return s;
  }

  uuid() {
    const h = this.chars(32, HEX);
    const variant = '89ab'[this.int(0, 3)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  /** A Poisson-distributed count (Knuth; fine for the small means used here). */
  poisson(mean) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** `n` distinct items, in random order. */
  sample(items, n) {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, n);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// User agents. The browser ones are what the console sends; everything else is an SDK or CLI.

const UA = {
  chromeMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  firefoxWin: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:145.0) Gecko/20100101 Firefox/145.0',
  awsInternal: 'AWS Internal',
  javaEcs: (api) =>
    `aws-sdk-java/2.31.63 md/io#sync md/http#Apache ua/2.1 api/${api}#2.31.63 os/Linux#5.10.240-238.966.amzn2.x86_64 lang/java#21.0.8 md/OpenJDK_64-Bit_Server_VM#21.0.8+9-LTS md/vendor#Amazon.com_Inc. md/en_US exec-env/AWS_ECS_FARGATE m/D,N,e`,
  nodeLambda: (api) =>
    `aws-sdk-js/3.890.0 ua/2.1 os/linux#5.10.240-258.930.amzn2.x86_64 lang/js md/nodejs#22.19.0 api/${api}#3.890.0 exec-env/AWS_Lambda_nodejs22.x m/N,E,e`,
  nodeEcs: (api) =>
    `aws-sdk-js/3.701.0 ua/2.1 os/linux#5.10.228-219.884.amzn2.x86_64 lang/js md/nodejs#20.18.1 api/${api}#3.701.0 exec-env/AWS_ECS_FARGATE m/E`,
  boto3Etl:
    'Boto3/1.40.55 md/Botocore#1.40.55 ua/2.1 os/linux#6.1.0-40-cloud-amd64 md/arch#x86_64 lang/python#3.12.12 md/pyimpl#CPython m/Z,b,D cfg/retry-mode#legacy Botocore/1.40.55',
  boto3Reporting:
    'Boto3/1.35.99 md/Botocore#1.35.99 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.99',
  boto3Rotation:
    'Boto3/1.38.36 md/Botocore#1.38.36 ua/2.1 os/linux#5.10.240-258.930.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.11 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 m/D,b cfg/retry-mode#legacy Botocore/1.38.36',
  cliCi: (command) =>
    `aws-cli/2.31.18 md/awscrt#0.28.1 ua/2.1 os/linux#6.11.0-1018-azure md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,b cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#${command}`,
  cliOld: 'aws-cli/1.22.34 Python/3.11.9 Linux/6.11.2-amd64 botocore/1.23.34',
  pythonRequests: 'python-requests/2.32.3',
  goV2: (api) =>
    `aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.24.1 md/GOOS#linux md/GOARCH#amd64 api/${api}#1.35.2 m/E`,
  goV1: 'aws-sdk-go/1.55.7 (go1.23.8; linux; amd64)',
  lambdaWorker: 'awslambda-worker/1.0 rusoto/0.48.0 rust/1.85.0 linux',
  ssmAgent: 'aws-sdk-go/1.55.5 (go1.22.12; linux; amd64) amazon-ssm-agent/3.3.2299.0',
};

// ---------------------------------------------------------------------------------------------------------------
// The account: roles, users, secrets, keys. Ids come from one "inventory" stream so they never change.

const inv = new Rng('inventory');
const roleId = () => `AROA${inv.chars(17, UPPER_ALNUM)}`;
const userId = () => `AIDA${inv.chars(17, UPPER_ALNUM)}`;
const longKey = () => `AKIA${inv.chars(16, KEY_CHARS)}`;

function role(name, path = '/') {
  return { name, id: roleId(), arn: `arn:aws:iam::${ACCOUNT}:role${path}${name}` };
}

function user(name) {
  return { name, id: userId(), arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, key: longKey() };
}

const ROLES = {
  ordersTask: role('orders-api-task'),
  paymentsFn: role('payments-fn-role'),
  euWebhookFn: role('eu-webhook-fn-role'),
  ci: role('gha-deploy'),
  rotation: role('SecretsManagerRotation-rds'),
  ssoAdmin: role('AWSReservedSSO_AdministratorAccess_4f1c2a7d9e3b6c80', '/aws-reserved/sso.amazonaws.com/'),
  ssoReadOnly: role('AWSReservedSSO_DeveloperReadOnly_8b2e5d1f0a7c3e94', '/aws-reserved/sso.amazonaws.com/'),
  inventory: role('inventory-worker'),
  flags: role('flags-svc-task'),
  web: role('web-task'),
  bastion: role('bastion-host'),
  ecsService: role('AWSServiceRoleForECS', '/aws-service-role/ecs.amazonaws.com/'),
  config: role('AWSServiceRoleForConfig', '/aws-service-role/config.amazonaws.com/'),
  monitoring: role('MonitoringIntegrationRole'),
  grafana: role('grafana-server'),
};

const USERS = {
  etl: user('nightly-etl'),
  reporting: user('svc-reporting'),
};

const KMS = {
  managedSm: `arn:aws:kms:${MAIN}:${ACCOUNT}:key/${inv.uuid()}`,
  managedSmEu: `arn:aws:kms:${EU}:${ACCOUNT}:key/${inv.uuid()}`,
  prodSecrets: `arn:aws:kms:${MAIN}:${ACCOUNT}:key/${inv.uuid()}`,
  payments: `arn:aws:kms:${MAIN}:${ACCOUNT}:key/${inv.uuid()}`,
  datalake: `arn:aws:kms:${MAIN}:${ACCOUNT}:key/${inv.uuid()}`,
  cloudtrail: `arn:aws:kms:${MAIN}:${ACCOUNT}:key/${inv.uuid()}`,
  ssm: `arn:aws:kms:${MAIN}:${ACCOUNT}:key/${inv.uuid()}`,
};

const TRAIL_ARN = `arn:aws:cloudtrail:${MAIN}:${ACCOUNT}:trail/org-audit-trail`;
const OIDC_PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

/** Secret names; the secrets marked `cmk` use a customer managed key, the rest the AWS managed one. */
const SECRET_NAMES_MAIN = [
  ['prod/orders/db', 'prodSecrets'],
  ['prod/orders/stripe-webhook-secret', 'prodSecrets'],
  ['prod/orders/jwt-signing-key', 'prodSecrets'],
  ['prod/payments/stripe-secret-key', 'payments'],
  ['prod/payments/db', 'payments'],
  ['prod/payments/hsm-pin', 'payments'],
  ['prod/payments/fraud-api-key', 'payments'],
  ['prod/inventory/db'],
  ['prod/inventory/supplier-api-token'],
  ['prod/auth/oidc-client-secret', 'prodSecrets'],
  ['prod/auth/session-encryption-key', 'prodSecrets'],
  ['prod/search/opensearch-master'],
  ['prod/cache/redis-auth'],
  ['prod/mq/rabbitmq-admin'],
  ['prod/email/smtp-credentials'],
  ['prod/sms/provider-api-key'],
  ['prod/maps/api-key'],
  ['prod/analytics/write-key'],
  ['prod/flags/sdk-key'],
  ['prod/flags/admin-token'],
  ['prod/flags/webhook-secret'],
  ['prod/flags/db'],
  ['prod/flags/redis-auth'],
  ['prod/flags/audit-sink-token'],
  ['prod/flags/segment-sync-key'],
  ['prod/flags/signing-key'],
  ['etl/warehouse-admin'],
  ['etl/sftp-partner-key'],
  ['etl/source-crm-api'],
  ['etl/source-erp-db'],
  ['etl/source-hr-api'],
  ['etl/source-ads-api'],
  ['etl/source-billing-db'],
  ['etl/warehouse-loader'],
  ['etl/s3-export-hmac'],
  ['etl/geo-api-key'],
  ['etl/fx-rates-api'],
  ['etl/slack-webhook'],
  ['etl/pager-routing-key'],
  ['etl/smtp-relay'],
  ['ci/npm-token'],
  ['ci/sonarqube-token'],
  ['ci/registry-pull'],
  ['reporting/warehouse-readonly'],
  ['reporting/smtp'],
  ['security/breakglass-root-mfa', 'prodSecrets'],
  ['shared/github-app-private-key'],
  ['shared/pgp-signing-key'],
  ['shared/partner-sftp-host-key'],
  ['shared/vpn-psk-site-a'],
  ['shared/vpn-psk-site-b'],
  ['monitoring/api-key'],
  ['monitoring/app-key'],
  ['grafana/admin'],
  ['grafana/datasource-warehouse'],
  ['staging/orders/db'],
  ['staging/payments/stripe-test-key'],
  ['staging/auth/oidc-client-secret'],
  ['dev/shared/db'],
  ['dev/sandbox/api-key'],
  ['rds!db-7f3c2a1e-5b4d-4c8e-9a6f-2d1e0b9c8a7f', 'prodSecrets'],
  ['rds!cluster-0d9e8f7a-6b5c-4d3e-a2f1-9e8d7c6b5a43', 'prodSecrets'],
];
const SECRET_NAMES_EU = [
  ['eu/gateway/db'],
  ['eu/gateway/webhook-hmac'],
  ['eu/payments/psp-api-key'],
  ['eu/gdpr/export-signing-key'],
  ['eu/gateway/partner-oauth-client'],
];

function secret(region, [name, key]) {
  const keyArn = key ? KMS[key] : region === MAIN ? KMS.managedSm : KMS.managedSmEu;
  return {
    name,
    region,
    arn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-${inv.chars(6, MIXED_ALNUM)}`,
    keyArn,
    versions: [inv.uuid()],
    /** Times at which a rotation made a new version current (filled in by the rotation actor). */
    rotatedAt: [],
  };
}

const SECRETS = new Map();
for (const entry of SECRET_NAMES_MAIN) SECRETS.set(entry[0], secret(MAIN, entry));
for (const entry of SECRET_NAMES_EU) SECRETS.set(entry[0], secret(EU, entry));

function sec(name) {
  const s = SECRETS.get(name);
  if (!s) throw new Error(`unknown secret ${name}`);
  return s;
}

/** The version that was AWSCURRENT at `t`. */
function currentVersion(s, t) {
  let v = s.versions[0];
  for (let i = 0; i < s.rotatedAt.length; i++) if (t >= s.rotatedAt[i]) v = s.versions[i + 1];
  return v;
}

// ---------------------------------------------------------------------------------------------------------------
// Record building. Field order follows what CloudTrail writes.

/** @type {{ rec: Record<string, unknown>, scenario: string, t: number }[]} */
let OUT = [];

const SERVICE_HOSTS = {
  iam: () => 'iam.amazonaws.com',
  sts: (region) => `sts.${region}.amazonaws.com`,
  monitoring: (region) => `monitoring.${region}.amazonaws.com`,
  ecr: (region) => `api.ecr.${region}.amazonaws.com`,
};

function serviceOf(source) {
  return source.replace('.amazonaws.com', '');
}

function hostFor(source, region) {
  const svc = serviceOf(source);
  const special = SERVICE_HOSTS[svc];
  return special ? special(region) : `${svc}.${region}.amazonaws.com`;
}

const READ_PREFIXES = [
  'Get',
  'List',
  'Describe',
  'BatchGet',
  'Lookup',
  'Head',
  'Decrypt',
  'GenerateDataKey',
  'AssumeRole',
];

function isServiceName(ip) {
  return ip.endsWith('.amazonaws.com') || ip === 'AWS Internal';
}

function iso(t) {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function versionFor(source, name) {
  if (source === 's3.amazonaws.com') return '1.10';
  if (source === 'ec2.amazonaws.com') return '1.10';
  if (source === 'sts.amazonaws.com' && name.startsWith('AssumeRole')) return '1.08';
  if (source === 'signin.amazonaws.com') return '1.09';
  return '1.09';
}

/**
 * Emits one record. `a` is the acting context (identity, address, agent, region, scenario, rng); `o` the call.
 * `o.invokedBy` marks a call an AWS service made with the actor's credentials (source address and agent become the
 * service name and there is no TLS detail, as in real records).
 */
function call(a, t, source, name, o = {}) {
  const rng = a.rng;
  const region = o.region ?? a.region;
  const invokedBy = o.invokedBy;
  const ip = invokedBy ?? o.ip ?? a.ip;
  const ua = invokedBy ?? o.ua ?? a.ua;
  const identity = invokedBy ? { ...(o.identity ?? a.identity), invokedBy } : (o.identity ?? a.identity);
  const tms = Math.floor(t / SEC) * SEC;
  const r = {};
  r.eventVersion = o.eventVersion ?? versionFor(source, name);
  r.userIdentity = identity;
  r.eventTime = iso(tms);
  r.eventSource = source;
  r.eventName = name;
  r.awsRegion = region;
  r.sourceIPAddress = ip;
  r.userAgent = ua;
  if (o.err) {
    r.errorCode = o.err[0];
    if (o.err[1] !== undefined) r.errorMessage = o.err[1];
  }
  r.requestParameters = o.req ?? null;
  r.responseElements = o.resp ?? null;
  if (o.additional) r.additionalEventData = o.additional;
  if (o.requestID !== false) r.requestID = o.requestID ?? rng.uuid();
  r.eventID = rng.uuid();
  r.readOnly = o.readOnly ?? READ_PREFIXES.some((p) => name.startsWith(p));
  if (o.resources) r.resources = o.resources;
  r.eventType = o.eventType ?? 'AwsApiCall';
  r.managementEvent = true;
  r.recipientAccountId = ACCOUNT;
  if (o.sharedEventID) r.sharedEventID = o.sharedEventID;
  const vpce = invokedBy ? undefined : (o.vpce ?? a.vpce);
  if (vpce) {
    r.vpcEndpointId = vpce;
    r.vpcEndpointAccountId = ACCOUNT;
  }
  r.eventCategory = 'Management';
  if (!invokedBy && !isServiceName(ip) && o.tls !== false) {
    const legacy = a.tls12 === true;
    r.tlsDetails = {
      tlsVersion: legacy ? 'TLSv1.2' : 'TLSv1.3',
      cipherSuite: legacy ? 'ECDHE-RSA-AES128-GCM-SHA256' : 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: o.host ?? hostFor(source, region),
    };
  }
  if (a.console && !invokedBy) r.sessionCredentialFromConsole = 'true';
  if (tms >= DAY_START && tms < DAY_END) OUT.push({ rec: r, scenario: o.scenario ?? a.scenario, t: tms });
  return r;
}

// Identities ------------------------------------------------------------------------------------------------------

function iamUserIdentity(u) {
  return { type: 'IAMUser', principalId: u.id, arn: u.arn, accountId: ACCOUNT, accessKeyId: u.key, userName: u.name };
}

/**
 * An assumed-role session. `ec2` adds the IMDSv2 delivery marker; `webId` the OIDC federation data; `sourceAccount`
 * lets the Config service-linked role look like its real records.
 */
function sessionIdentity(rng, r, sessionName, created, extra = {}) {
  const ctx = {
    sessionIssuer: { type: 'Role', principalId: r.id, arn: r.arn, accountId: ACCOUNT, userName: r.name },
    webIdFederationData: extra.webId ? { federatedProvider: OIDC_PROVIDER, attributes: {} } : {},
    attributes: { creationDate: iso(Math.floor(created / SEC) * SEC), mfaAuthenticated: 'false' },
  };
  if (extra.ec2) ctx.ec2RoleDelivery = '2.0';
  return {
    type: 'AssumedRole',
    principalId: `${r.id}:${sessionName}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${r.name}/${sessionName}`,
    accountId: ACCOUNT,
    accessKeyId: `ASIA${rng.chars(16, KEY_CHARS)}`,
    sessionContext: ctx,
  };
}

const serviceIdentity = (service) => ({ type: 'AWSService', invokedBy: service });

/** Expiration as STS logs it in AssumeRole responses ("Nov 25, 2026, 3:04:05 PM"). */
function stsExpiration(t) {
  const d = new Date(t);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h12}:${mm}:${ss} ${h < 12 ? 'AM' : 'PM'}`;
}

/**
 * The sts AssumeRole record a service writes when it fetches credentials for a Lambda, ECS task or instance.
 * Session tokens are left out of responseElements to keep the sample small.
 */
function serviceAssumeRole(rng, t, service, r, sessionName, identity, scenario, durationH = 1) {
  call(
    { rng, identity: serviceIdentity(service), ip: service, ua: service, region: MAIN, scenario },
    t,
    'sts.amazonaws.com',
    'AssumeRole',
    {
      req: { roleArn: r.arn, roleSessionName: sessionName },
      resp: {
        credentials: { accessKeyId: identity.accessKeyId, expiration: stsExpiration(t + durationH * HOUR) },
        assumedRoleUser: { assumedRoleId: identity.principalId, arn: identity.arn },
      },
      resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: r.arn }],
      sharedEventID: rng.uuid(),
    },
  );
}

// Secrets Manager calls ------------------------------------------------------------------------------------------

/** GetSecretValue plus, when it succeeds, the KMS Decrypt that Secrets Manager makes with the caller's identity. */
function getSecret(a, t, name, o = {}) {
  const s = sec(name);
  const region = s.region;
  const secretId = o.byArn ? s.arn : name;
  const req = { secretId };
  if (o.versionStage) req.versionStage = o.versionStage;
  call(a, t, 'secretsmanager.amazonaws.com', 'GetSecretValue', { req, err: o.err, region, scenario: o.scenario });
  if (!o.err) kmsBySecretsManager(a, t, s, o.scenario);
}

function kmsBySecretsManager(a, t, s, scenario, eventName = 'Decrypt') {
  const req =
    eventName === 'Decrypt'
      ? {
          encryptionContext: { SecretARN: s.arn, SecretVersionId: currentVersion(s, t) },
          encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }
      : {
          keyId: s.keyArn,
          encryptionContext: { SecretARN: s.arn, SecretVersionId: s.versions.at(-1) },
          keySpec: 'AES_256',
        };
  call(a, t + (a.rng.chance(0.3) ? SEC : 0), 'kms.amazonaws.com', eventName, {
    invokedBy: 'secretsmanager.amazonaws.com',
    region: s.region,
    req,
    resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: s.keyArn }],
    scenario: scenario ?? a.scenario,
  });
}

/** The AccessDenied code and message as CloudTrail records them (the API itself answers AccessDeniedException). */
function accessDenied(
  identityArn,
  action,
  resource,
  reason = `because no identity-based policy allows the ${action} action`,
) {
  return [
    'AccessDenied',
    `User: ${identityArn} is not authorized to perform: ${action} on resource: ${resource} ${reason}`,
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Actors. Each function emits its records with its own PRNG stream.

/** Mean hourly activity of people (UTC, a US/EU team), used to shape human and business traffic. */
function businessFactor(hour) {
  if (hour >= 13 && hour < 22) return 1;
  if (hour >= 8 && hour < 13) return 0.6;
  if (hour >= 22 || hour < 1) return 0.35;
  return 0.12;
}

const NAT_IPS = ['3.215.88.41', '44.207.13.162'];
const CORP_IP = '198.51.100.23';
const CORP_IP_2 = '198.51.100.61';
const ONPREM_IP = '192.0.2.140';
const ATTACKER_IP = '203.0.113.57';

/** orders-api: ECS Fargate tasks behind a VPC endpoint; each task is its own session and reads 3 secrets at start. */
function ordersApi() {
  const rng = new Rng('orders-api');
  // [start, stop] of each task; the first three started the day before, 13:07 is the deployment.
  const tasks = [
    [-9 * HOUR, 13 * HOUR + 8 * MIN],
    [-7 * HOUR, 13 * HOUR + 8 * MIN],
    [-30 * MIN, 13 * HOUR + 9 * MIN],
    [6 * HOUR + 41 * MIN, 13 * HOUR + 9 * MIN],
    [9 * HOUR + 15 * MIN, 13 * HOUR + 10 * MIN],
    [9 * HOUR + 16 * MIN, 13 * HOUR + 10 * MIN],
    [13 * HOUR + 7 * MIN, 24 * HOUR],
    [13 * HOUR + 7 * MIN + 20 * SEC, 24 * HOUR],
    [13 * HOUR + 7 * MIN + 45 * SEC, 17 * HOUR + 31 * MIN],
    [13 * HOUR + 8 * MIN + 10 * SEC, 24 * HOUR],
    [13 * HOUR + 8 * MIN + 30 * SEC, 19 * HOUR + 49 * MIN],
    [19 * HOUR + 50 * MIN, 24 * HOUR],
  ].map(([s, e]) => [DAY_START + s, DAY_START + e]);
  for (const [start, stop] of tasks) ecsTask(rng, ROLES.ordersTask, start, stop, ordersTaskProfile);
}

const ordersTaskProfile = {
  scenario: 'orders-api',
  secrets: ['prod/orders/db', 'prod/orders/stripe-webhook-secret', 'prod/orders/jwt-signing-key'],
  ua: UA.javaEcs,
  api: { sm: 'SecretsManager', ssm: 'Ssm', kms: 'Kms' },
  vpce: 'vpce-0a1b2c3d4e5f60718',
  subnet: [20, 10, 47],
  targetGroup: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/orders-api-prod/943f017f100becff`,
  parameters: '/orders/prod/',
  dataKey: ['alias/orders-pii', 'prodSecrets', [15, 45]],
};

/**
 * One ECS task: its credentials (the agent fetches new ones every few hours, same session name), the secrets read at
 * start, a caching client that checks each secret hourly with DescribeSecret and re-reads it when the version has
 * changed (rotation), and some KMS traffic while it runs.
 */
function ecsTask(rng, r, start, stop, p) {
  const taskId = rng.chars(32, HEX);
  const ip = `10.${p.subnet[0]}.${rng.int(p.subnet[1], p.subnet[2])}.${rng.int(4, 250)}`;
  const creds = [];
  for (let c = start; c < stop; c += 5 * HOUR + rng.int(0, 40) * MIN) {
    const identity = sessionIdentity(rng, r, taskId, c);
    creds.push([c, identity]);
    serviceAssumeRole(rng, c - 2 * SEC, 'ecs-tasks.amazonaws.com', r, taskId, identity, p.scenario, 6);
  }
  const at = (t) => creds.filter(([from]) => from <= t).at(-1)?.[1] ?? creds[0][1];
  const base = { rng, ip, region: MAIN, scenario: p.scenario, vpce: p.vpce };
  ecsPlumbing(rng, start, stop, ip, p.targetGroup);
  const sm = (t) => ({ ...base, identity: at(t), ua: p.ua(p.api.sm) });
  let t = start + rng.int(8, 20) * SEC;
  for (const name of p.secrets) {
    getSecret(sm(t), t, name);
    t += rng.int(80, 400);
  }
  if (p.parameters) {
    call({ ...base, identity: at(t), ua: p.ua(p.api.ssm) }, t + 2 * SEC, 'ssm.amazonaws.com', 'GetParametersByPath', {
      req: { path: p.parameters, recursive: true, withDecryption: false },
    });
  }
  let last = t;
  for (let u = start + HOUR + rng.int(0, 120) * SEC; u < stop; u += HOUR) {
    for (const name of p.secrets) {
      const s = sec(name);
      call(sm(u), u, 'secretsmanager.amazonaws.com', 'DescribeSecret', { req: { secretId: name } });
      if (s.rotatedAt.some((r) => r > last && r <= u)) getSecret(sm(u), u + SEC, name, { versionStage: 'AWSCURRENT' });
    }
    last = u;
  }
  const [alias, key, [lo, hi]] = p.dataKey;
  for (let u = Math.max(start, DAY_START) + rng.int(1, 20) * MIN; u < stop; u += rng.int(lo, hi) * MIN) {
    call({ ...base, identity: at(u), ua: p.ua(p.api.kms) }, u, 'kms.amazonaws.com', 'GenerateDataKey', {
      req: { keyId: alias, keySpec: 'AES_256', encryptionContext: { app: p.scenario } },
      resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KMS[key] }],
    });
  }
}

/** The ECS service-linked role creates and removes each Fargate task's network interface and load-balancer target. */
let ecsServiceIdentity;
function ecsPlumbing(rng, start, stop, ip, targetGroup) {
  ecsServiceIdentity ??= sessionIdentity(
    new Rng('ecs-service'),
    ROLES.ecsService,
    'ecs-service-scheduler',
    DAY_START - 3 * HOUR,
  );
  const a = { rng, identity: ecsServiceIdentity, region: MAIN, scenario: 'ecs-service' };
  const eni = `eni-0${rng.chars(16, HEX)}`;
  const target = { targetGroupArn: targetGroup, targets: [{ id: ip, port: 8080 }] };
  const svc = (t, source, name, req) => call(a, t, source, name, { invokedBy: 'ecs.amazonaws.com', req });
  svc(start - 40 * SEC, 'ec2.amazonaws.com', 'CreateNetworkInterface', {
    subnetId: 'subnet-0f3a9c2b7d1e4a568',
    description: `arn:aws:ecs:us-east-1:111122223333:attachment/${rng.uuid()}`,
    groupSet: { items: [{ groupId: 'sg-0d2c4b6a8e1f3a579' }] },
    privateIpAddress: ip,
  });
  svc(start - 35 * SEC, 'ec2.amazonaws.com', 'DescribeNetworkInterfaces', {
    networkInterfaceIdSet: { items: [{ networkInterfaceId: eni }] },
  });
  if (targetGroup) svc(start + 25 * SEC, 'elasticloadbalancing.amazonaws.com', 'RegisterTargets', target);
  if (stop < DAY_END) {
    if (targetGroup) svc(stop - 30 * SEC, 'elasticloadbalancing.amazonaws.com', 'DeregisterTargets', target);
    svc(stop + 20 * SEC, 'ec2.amazonaws.com', 'DeleteNetworkInterface', { networkInterfaceId: eni });
  }
}

/** The SSM agent on an instance reports in every five minutes with the instance role's credentials. */
function ssmHeartbeats(rng, identityAt, instanceId, privateIp, from, to, scenario) {
  const a = { rng, ip: NAT_IPS[0], ua: UA.ssmAgent, region: MAIN, scenario };
  for (let t = from + rng.int(10, 290) * SEC; t < to; t += 5 * MIN + rng.int(-3, 3) * SEC) {
    call({ ...a, identity: identityAt(t) }, t, 'ssm.amazonaws.com', 'UpdateInstanceInformation', {
      req: {
        instanceId,
        agentVersion: '3.3.2299.0',
        agentStatus: 'Active',
        platformType: 'Linux',
        platformName: 'Amazon Linux',
        platformVersion: '2023',
        iPAddress: privateIp,
        computerName: `ip-${privateIp.replaceAll('.', '-')}.ec2.internal`,
        agentName: 'amazon-ssm-agent',
        availabilityZone: 'us-east-1b',
        availabilityZoneId: 'use1-az4',
        sSMConnectionChannel: 'ssmmessages',
      },
      readOnly: false,
    });
  }
}

/** A bastion instance that nobody used today: credential refreshes and SSM agent heartbeats only. */
function bastion() {
  const rng = new Rng('bastion');
  const instance = 'i-07aa3c5e1f9b2d846';
  const creds = [];
  for (let c = DAY_START - 2 * HOUR + rng.int(0, 59) * MIN; c < DAY_END; c += 6 * HOUR) {
    const identity = sessionIdentity(rng, ROLES.bastion, instance, c, { ec2: true });
    creds.push([c, identity]);
    serviceAssumeRole(rng, c - SEC, 'ec2.amazonaws.com', ROLES.bastion, instance, identity, 'bastion', 6);
  }
  const at = (t) => creds.filter(([from]) => from <= t).at(-1)[1];
  ssmHeartbeats(rng, at, instance, '10.20.3.44', DAY_START, DAY_END, 'bastion');
}

/** web: the public front end on ECS; autoscaling adds and removes tasks through the day, each reads 4 secrets. */
function webService() {
  const rng = new Rng('web');
  const profile = {
    scenario: 'web',
    secrets: [
      'prod/auth/oidc-client-secret',
      'prod/auth/session-encryption-key',
      'prod/cache/redis-auth',
      'prod/maps/api-key',
    ],
    ua: UA.nodeEcs,
    api: { sm: 'secrets-manager', ssm: 'ssm', kms: 'kms' },
    subnet: [21, 10, 40],
    targetGroup: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/web-prod/6d0ecf831eec9f09`,
    dataKey: ['alias/web-sessions', 'prodSecrets', [30, 90]],
  };
  // Two tasks always run; scale-outs follow the traffic curve and each lives one to four hours.
  ecsTask(rng, ROLES.web, DAY_START - 20 * HOUR, DAY_END, profile);
  ecsTask(rng, ROLES.web, DAY_START - 20 * HOUR, DAY_END, profile);
  for (let h = 0; h < 24; h++) {
    if (!rng.chance(businessFactor(h) * 0.7)) continue;
    const at = DAY_START + h * HOUR + rng.int(0, 3300) * SEC;
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const start = at + i * rng.int(20, 60) * SEC;
      ecsTask(rng, ROLES.web, start, Math.min(DAY_END, start + rng.int(60, 240) * MIN), profile);
    }
  }
}

/** payments-fn: a Lambda; every execution environment is a new session but the session name is the function name. */
function paymentsFn() {
  const rng = new Rng('payments-fn');
  const starts = [];
  for (let h = 0; h < 24; h++) {
    const n = rng.poisson(2.5 + 6 * businessFactor(h));
    for (let i = 0; i < n; i++) starts.push(DAY_START + h * HOUR + rng.int(0, HOUR / SEC - 1) * SEC);
  }
  // A new version at 13:06 replaces the warm environments.
  for (let i = 0; i < 5; i++) starts.push(DAY_START + 13 * HOUR + 6 * MIN + rng.int(0, 150) * SEC);
  starts.sort((x, y) => x - y);
  for (const start of starts) {
    const identity = sessionIdentity(rng, ROLES.paymentsFn, 'payments-fn', start);
    const ip = rng.pick(['34.229.17.', '54.91.203.', '3.94.161.']) + rng.int(2, 253);
    const a = { rng, identity, ip, ua: UA.nodeLambda('secrets-manager'), region: MAIN, scenario: 'payments-fn' };
    serviceAssumeRole(rng, start, 'lambda.amazonaws.com', ROLES.paymentsFn, 'payments-fn', identity, 'payments-fn', 12);
    call({ ...a, ua: UA.lambdaWorker }, start + SEC, 'logs.amazonaws.com', 'CreateLogStream', {
      req: {
        logGroupName: '/aws/lambda/payments-fn',
        logStreamName: `2026/11/25/[$LATEST]${rng.chars(32, HEX)}`,
      },
      tls: false,
    });
    let t = start + rng.int(1, 3) * SEC;
    getSecret(a, t, 'prod/payments/stripe-secret-key');
    if (rng.chance(0.4)) {
      t += rng.int(100, 900);
      getSecret(a, t, 'prod/payments/db');
    }
    call({ ...a, ua: UA.nodeLambda('ssm') }, t + SEC, 'ssm.amazonaws.com', 'GetParameter', {
      req: { name: '/payments/prod/config', withDecryption: true },
    });
    call(a, t + SEC, 'kms.amazonaws.com', 'Decrypt', {
      invokedBy: 'ssm.amazonaws.com',
      req: {
        encryptionContext: { PARAMETER_ARN: `arn:aws:ssm:${MAIN}:${ACCOUNT}:parameter/payments/prod/config` },
        encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      },
      resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KMS.ssm }],
    });
    // Card tokens are wrapped with a data key per invocation batch while the environment is warm.
    const life = rng.int(8, 45) * MIN;
    for (let u = start + rng.int(1, 6) * MIN; u < start + life; u += rng.int(8, 25) * MIN) {
      call({ ...a, ua: UA.nodeLambda('kms') }, u, 'kms.amazonaws.com', 'GenerateDataKey', {
        req: { keyId: 'alias/payments-tokens', keySpec: 'AES_256' },
        resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KMS.payments }],
      });
    }
  }
}

/** nightly-etl: an IAM user on premises; each hour one BatchGetSecretValue of 12 secrets and two GetSecretValue. */
function nightlyEtl() {
  const rng = new Rng('nightly-etl');
  const u = USERS.etl;
  const a = {
    rng,
    identity: iamUserIdentity(u),
    ip: ONPREM_IP,
    ua: UA.boto3Etl,
    region: MAIN,
    scenario: 'nightly-etl',
    tls12: true,
  };
  const batch = [
    'etl/source-crm-api',
    'etl/source-erp-db',
    'etl/source-hr-api',
    'etl/source-ads-api',
    'etl/source-billing-db',
    'etl/warehouse-loader',
    'etl/s3-export-hmac',
    'etl/geo-api-key',
    'etl/fx-rates-api',
    'etl/slack-webhook',
    'etl/pager-routing-key',
    'etl/smtp-relay',
  ];
  for (let h = 0; h < 24; h++) {
    let t = DAY_START + h * HOUR + 15 * MIN + rng.int(0, 40) * SEC;
    call(a, t, 'sts.amazonaws.com', 'GetCallerIdentity', { host: 'sts.amazonaws.com' });
    t += rng.int(1, 2) * SEC;
    call(a, t, 'secretsmanager.amazonaws.com', 'BatchGetSecretValue', { req: { secretIdList: batch } });
    for (const name of batch) kmsBySecretsManager(a, t, sec(name));
    t += rng.int(2, 5) * SEC;
    getSecret(a, t, 'etl/warehouse-admin');
    getSecret(a, t + rng.int(1, 3) * SEC, 'etl/sftp-partner-key');
    // Reading the data lake: SSE-KMS objects make S3 call KMS with the user's identity.
    const objects = rng.int(4, 10);
    for (let i = 0; i < objects; i++) {
      const when = t + rng.int(5, 600) * SEC;
      call(a, when, 'kms.amazonaws.com', 'Decrypt', {
        invokedBy: 's3.amazonaws.com',
        req: {
          encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::acme-datalake-prod' },
          encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        },
        resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KMS.datalake }],
      });
    }
    call(a, t + rng.int(600, 900) * SEC, 'kms.amazonaws.com', 'GenerateDataKey', {
      invokedBy: 's3.amazonaws.com',
      req: {
        encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::acme-datalake-prod' },
        keyId: KMS.datalake,
        keySpec: 'AES_256',
      },
      resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KMS.datalake }],
    });
  }
}

/** CI: GitHub Actions through OIDC; every run uses the default session name, so all runs share one principalId. */
function ci() {
  const rng = new Rng('ci');
  const runs = [];
  let t = DAY_START + 7 * HOUR + 20 * MIN;
  while (t < DAY_START + 20 * HOUR) {
    runs.push(t);
    t += rng.int(25, 75) * MIN;
  }
  const deployRun = DAY_START + 13 * HOUR + 1 * MIN + 12 * SEC;
  runs.push(deployRun);
  runs.sort((x, y) => x - y);
  const runnerIps = ['20.57.44.', '52.234.38.', '4.227.97.'];
  for (const start of runs) {
    const identity = sessionIdentity(rng, ROLES.ci, 'GitHubActions', start, { webId: true });
    const ip = rng.pick(runnerIps) + rng.int(2, 250);
    const a = { rng, identity, ip, ua: UA.cliCi('sts.get-caller-identity'), region: MAIN, scenario: 'ci' };
    const repo =
      start === deployRun ? 'acme/orders-api' : rng.pick(['acme/orders-api', 'acme/payments-fn', 'acme/web']);
    call(
      {
        rng,
        identity: {
          type: 'WebIdentityUser',
          principalId: `${OIDC_PROVIDER}:sts.amazonaws.com:repo:${repo}:ref:refs/heads/main`,
          userName: `repo:${repo}:ref:refs/heads/main`,
          identityProvider: OIDC_PROVIDER,
        },
        ip,
        ua: 'configure-aws-credentials-for-github-actions',
        region: MAIN,
        scenario: 'ci',
      },
      start,
      'sts.amazonaws.com',
      'AssumeRoleWithWebIdentity',
      {
        req: { roleArn: ROLES.ci.arn, roleSessionName: 'GitHubActions', durationSeconds: 3600 },
        resp: {
          credentials: { accessKeyId: identity.accessKeyId, expiration: stsExpiration(start + HOUR) },
          subjectFromWebIdentityToken: `repo:${repo}:ref:refs/heads/main`,
          assumedRoleUser: { assumedRoleId: identity.principalId, arn: identity.arn },
          provider: OIDC_PROVIDER,
          audience: 'sts.amazonaws.com',
        },
        resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: ROLES.ci.arn }],
        readOnly: true,
      },
    );
    let u = start + rng.int(2, 4) * SEC;
    call(a, u, 'sts.amazonaws.com', 'GetCallerIdentity');
    u += rng.int(5, 30) * SEC;
    const reads = ['ci/npm-token', 'ci/sonarqube-token'];
    if (rng.chance(0.5)) reads.push('ci/registry-pull');
    for (const name of reads) {
      getSecret({ ...a, ua: UA.cliCi('secretsmanager.get-secret-value') }, u, name, { byArn: rng.chance(0.3) });
      u += rng.int(1, 4) * SEC;
    }
    if (start === runs[3]) {
      // A stale workflow step still asks for a deleted token.
      call(
        { ...a, ua: UA.cliCi('secretsmanager.get-secret-value') },
        u,
        'secretsmanager.amazonaws.com',
        'GetSecretValue',
        {
          req: { secretId: 'ci/legacy-artifactory-token' },
          err: ['ResourceNotFoundException', "Secrets Manager can't find the specified secret."],
        },
      );
    }
    call(
      { ...a, ua: UA.cliCi('secretsmanager.describe-secret') },
      u + SEC,
      'secretsmanager.amazonaws.com',
      'DescribeSecret',
      {
        req: { secretId: 'ci/npm-token' },
      },
    );
    u += rng.int(60, 240) * SEC;
    const ecrA = { ...a, ua: UA.cliCi('ecr.get-login-password') };
    call(ecrA, u, 'ecr.amazonaws.com', 'GetAuthorizationToken', { req: {} });
    const repoName = repo.split('/')[1];
    const layers = rng.int(2, 6);
    for (let i = 0; i < layers; i++) {
      call(
        { ...a, ua: 'docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.11.0-1018-azure os/linux arch/amd64' },
        u + (i + 2) * SEC,
        'ecr.amazonaws.com',
        'InitiateLayerUpload',
        {
          req: { repositoryName: repoName, registryId: ACCOUNT },
          readOnly: false,
        },
      );
    }
    call(
      { ...a, ua: 'docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.11.0-1018-azure os/linux arch/amd64' },
      u + 40 * SEC,
      'ecr.amazonaws.com',
      'PutImage',
      {
        req: { repositoryName: repoName, registryId: ACCOUNT, imageTag: rng.chars(7, HEX) },
        readOnly: false,
      },
    );
    if (start === deployRun) {
      const d = { ...a, ua: UA.cliCi('ecs.update-service') };
      const t0 = u + 60 * SEC;
      call(d, t0, 'ecs.amazonaws.com', 'DescribeTaskDefinition', { req: { taskDefinition: 'orders-api' } });
      call(d, t0 + 2 * SEC, 'ecs.amazonaws.com', 'RegisterTaskDefinition', {
        req: {
          family: 'orders-api',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '1024',
          memory: '2048',
        },
      });
      call(d, t0 + 4 * SEC, 'ecs.amazonaws.com', 'UpdateService', {
        req: { cluster: 'prod', service: 'orders-api', taskDefinition: 'orders-api:187', forceNewDeployment: false },
      });
      for (let i = 0; i < 16; i++) {
        call({ ...a, ua: UA.cliCi('ecs.wait') }, t0 + (20 + i * 15) * SEC, 'ecs.amazonaws.com', 'DescribeServices', {
          req: { cluster: 'prod', services: ['orders-api'] },
        });
      }
    }
  }
}

/** Rotation of two RDS secrets by the rotation Lambda (single-user strategy), with the service's own events. */
function rotation() {
  const rng = new Rng('rotation');
  const jobs = [
    ['prod/orders/db', DAY_START + 3 * HOUR + 4 * SEC],
    ['prod/payments/db', DAY_START + 3 * HOUR + 12 * MIN + 31 * SEC],
  ];
  const svc = (t, name, s) =>
    call(
      {
        rng,
        identity: { accountId: ACCOUNT, invokedBy: 'secretsmanager.amazonaws.com' },
        ip: 'secretsmanager.amazonaws.com',
        ua: 'secretsmanager.amazonaws.com',
        region: MAIN,
        scenario: 'rotation',
      },
      t,
      'secretsmanager.amazonaws.com',
      name,
      {
        additional: { SecretId: s.arn },
        eventType: 'AwsServiceEvent',
        requestID: false,
        readOnly: false,
      },
    );
  for (const [name, start] of jobs) {
    const s = sec(name);
    const newVersion = rng.uuid();
    svc(start, 'RotationStarted', s);
    const identity = sessionIdentity(rng, ROLES.rotation, 'SecretsManagerRDSPostgreSQLRotationSingleUser', start + SEC);
    const a = {
      rng,
      identity,
      ip: `10.20.${rng.int(60, 63)}.${rng.int(4, 250)}`,
      ua: UA.boto3Rotation,
      region: MAIN,
      scenario: 'rotation',
      vpce: 'vpce-0a1b2c3d4e5f60718',
    };
    serviceAssumeRole(
      rng,
      start + SEC,
      'lambda.amazonaws.com',
      ROLES.rotation,
      'SecretsManagerRDSPostgreSQLRotationSingleUser',
      identity,
      'rotation',
      12,
    );
    const sm = (t, op, req, err) => call(a, t, 'secretsmanager.amazonaws.com', op, { req, err });
    let t = start + 3 * SEC;
    // createSecret step
    sm(t, 'DescribeSecret', { secretId: s.arn });
    t += SEC;
    getSecret(a, t, name, { byArn: true, versionStage: 'AWSCURRENT' });
    sm(t, 'GetSecretValue', { secretId: s.arn, versionId: newVersion, versionStage: 'AWSPENDING' }, [
      'ResourceNotFoundException',
      `Secrets Manager can't find the specified secret value for VersionId: ${newVersion}`,
    ]);
    t += SEC;
    sm(t, 'GetRandomPassword', { excludeCharacters: ':/@"\'\\', passwordLength: 32 });
    sm(t, 'PutSecretValue', {
      secretId: s.arn,
      clientRequestToken: newVersion,
      secretString: 'HIDDEN_DUE_TO_SECURITY_REASONS',
      versionStages: ['AWSPENDING'],
    });
    s.versions.push(newVersion);
    kmsBySecretsManager(a, t, s, 'rotation', 'GenerateDataKey');
    // setSecret, testSecret, finishSecret steps: each starts with DescribeSecret.
    for (const step of ['set', 'test', 'finish']) {
      t += rng.int(2, 6) * SEC;
      sm(t, 'DescribeSecret', { secretId: s.arn });
      if (step !== 'finish') getSecret(a, t + SEC, name, { byArn: true, versionStage: 'AWSPENDING' });
    }
    s.rotatedAt.push(t + SEC);
    sm(t + SEC, 'UpdateSecretVersionStage', {
      secretId: s.arn,
      versionStage: 'AWSCURRENT',
      moveToVersionId: newVersion,
      removeFromVersionId: s.versions.at(-2),
    });
    svc(t + 2 * SEC, 'RotationSucceeded', s);
  }
}

/**
 * AWS Config's service-linked role: change-triggered bursts of describe calls, plus the daily snapshot of all
 * secrets (DescribeSecret and GetResourcePolicy made by Config, marked invokedBy).
 */
function awsConfig() {
  const rng = new Rng('aws-config');
  const identity = sessionIdentity(rng, ROLES.config, 'AWSConfig-Describe', DAY_START - 40 * MIN);
  const a = { rng, identity, region: MAIN, scenario: 'aws-config' };
  const cfg = (t, source, name, req, region = MAIN, err) =>
    call(a, t, source, name, { invokedBy: 'config.amazonaws.com', req, region, err });
  const buckets = [
    'acme-datalake-prod',
    'acme-cloudtrail-logs',
    'acme-web-assets',
    'acme-ci-artifacts',
    'acme-backups',
  ];
  const roles = Object.values(ROLES).filter((r) => !r.arn.includes('aws-service-role'));
  const burst = (t, region) => {
    const n = rng.int(6, 22);
    for (let i = 0; i < n; i++) {
      const u = t + rng.int(0, 90) * SEC;
      const kind = rng.int(0, 9);
      if (kind <= 3) {
        cfg(
          u,
          'ec2.amazonaws.com',
          rng.pick(['DescribeInstances', 'DescribeNetworkInterfaces', 'DescribeSecurityGroups', 'DescribeVolumes']),
          {
            maxResults: 1000,
            filterSet: {},
          },
          region,
        );
      } else if (kind <= 5 && region === MAIN) {
        const r = rng.pick(roles);
        const op = rng.pick(['GetRole', 'ListRolePolicies', 'ListAttachedRolePolicies']);
        cfg(u, 'iam.amazonaws.com', op, { roleName: r.name });
      } else if (kind <= 8 && region === MAIN) {
        const b = rng.pick(buckets);
        const op = rng.pick([
          'GetBucketAcl',
          'GetBucketPolicy',
          'GetBucketVersioning',
          'GetBucketEncryption',
          'GetBucketTagging',
          'GetBucketPublicAccessBlock',
        ]);
        const err =
          op === 'GetBucketPolicy' && b !== 'acme-cloudtrail-logs'
            ? ['NoSuchBucketPolicy', 'The bucket policy does not exist']
            : op === 'GetBucketTagging' && b === 'acme-backups'
              ? ['NoSuchTagSet', 'The TagSet does not exist']
              : undefined;
        const req = { bucketName: b, Host: `${b}.s3.amazonaws.com` };
        req[op.replace('GetBucket', '').replace(/^./, (c) => c.toLowerCase())] = '';
        cfg(u, 's3.amazonaws.com', op, req, MAIN, err);
      } else {
        cfg(
          u,
          'ec2.amazonaws.com',
          rng.pick(['DescribeSubnets', 'DescribeRouteTables', 'DescribeVpcs']),
          { filterSet: {} },
          region,
        );
      }
    }
  };
  for (let t = DAY_START + rng.int(0, 14) * MIN; t < DAY_END; t += rng.int(10, 22) * MIN) burst(t, MAIN);
  for (let t = DAY_START + rng.int(0, 30) * MIN; t < DAY_END; t += rng.int(120, 240) * MIN) burst(t, EU);
  // Daily snapshot of the secrets.
  let t = DAY_START + 4 * HOUR + 17 * MIN;
  for (const s of SECRETS.values()) {
    cfg(t, 'secretsmanager.amazonaws.com', 'DescribeSecret', { secretId: s.arn }, s.region);
    cfg(t + SEC, 'secretsmanager.amazonaws.com', 'GetResourcePolicy', { secretId: s.arn }, s.region);
    t += rng.int(0, 2) * SEC;
  }
  // After each rotation Config records the changed secret.
  for (const s of [sec('prod/orders/db'), sec('prod/payments/db')]) {
    const when = s.rotatedAt[0] + rng.int(40, 200) * SEC;
    cfg(when, 'secretsmanager.amazonaws.com', 'DescribeSecret', { secretId: s.arn });
    cfg(when + SEC, 'secretsmanager.amazonaws.com', 'GetResourcePolicy', { secretId: s.arn });
  }
}

/** A third-party monitoring integration polling inventory and metrics through a cross-account role. */
function monitoring() {
  const rng = new Rng('monitoring');
  const vendorIps = ['34.231.44.', '52.20.151.', '3.233.148.'];
  const polls = [
    ['ec2.amazonaws.com', 'DescribeInstances', { instancesSet: {}, filterSet: {} }],
    ['ec2.amazonaws.com', 'DescribeVolumes', { volumeSet: {}, filterSet: {} }],
    ['ec2.amazonaws.com', 'DescribeInstanceStatus', { instancesSet: {}, filterSet: {}, includeAllInstances: true }],
    ['tagging.amazonaws.com', 'GetResources', { resourcesPerPage: 100 }],
    ['monitoring.amazonaws.com', 'ListMetrics', { namespace: 'AWS/ApplicationELB' }],
    ['monitoring.amazonaws.com', 'GetMetricData', null],
    ['elasticloadbalancing.amazonaws.com', 'DescribeLoadBalancers', { pageSize: 400 }],
    ['elasticloadbalancing.amazonaws.com', 'DescribeTargetHealth', null],
    ['lambda.amazonaws.com', 'ListFunctions20150331', { maxItems: 50 }],
    ['rds.amazonaws.com', 'DescribeDBInstances', null],
    ['logs.amazonaws.com', 'DescribeLogGroups', { limit: 50 }],
    ['ecs.amazonaws.com', 'ListClusters', null],
    ['ecs.amazonaws.com', 'DescribeServices', { cluster: 'prod', services: ['orders-api', 'flags-svc', 'web'] }],
    ['sqs.amazonaws.com', 'ListQueues', null],
    ['autoscaling.amazonaws.com', 'DescribeAutoScalingGroups', null],
  ];
  let identity;
  let created = 0;
  for (let t = DAY_START + rng.int(0, 9) * MIN; t < DAY_END; t += 10 * MIN + rng.int(-20, 20) * SEC) {
    if (t - created >= HOUR) {
      created = t;
      identity = sessionIdentity(rng, ROLES.monitoring, `MonitoringIntegration-${Math.floor(t / SEC)}`, t);
      call(
        {
          rng,
          identity: { type: 'AWSAccount', principalId: 'AIDAZ7Q4TCV2EXAMPLE77', accountId: '210987654321' },
          ip: rng.pick(vendorIps) + rng.int(2, 250),
          ua: UA.goV1,
          region: MAIN,
          scenario: 'monitoring',
        },
        t - 2 * SEC,
        'sts.amazonaws.com',
        'AssumeRole',
        {
          req: {
            roleArn: ROLES.monitoring.arn,
            roleSessionName: identity.principalId.split(':')[1],
            externalId: 'HIDDEN_DUE_TO_SECURITY_REASONS',
            durationSeconds: 3600,
          },
          resp: {
            credentials: { accessKeyId: identity.accessKeyId, expiration: stsExpiration(t + HOUR) },
            assumedRoleUser: { assumedRoleId: identity.principalId, arn: identity.arn },
          },
          resources: [
            { accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: ROLES.monitoring.arn },
            { accountId: '210987654321', type: 'AWS::IAM::User', ARN: 'arn:aws:iam::210987654321:user/integration' },
          ],
          sharedEventID: rng.uuid(),
          host: 'sts.amazonaws.com',
        },
      );
    }
    const a = {
      rng,
      identity,
      ip: rng.pick(vendorIps) + rng.int(2, 250),
      ua: UA.goV1,
      region: MAIN,
      scenario: 'monitoring',
    };
    // The vendor polls a different slice of the APIs each time, and eu-west-1 only every half hour.
    for (const [source, name, req] of rng.sample(polls, 7)) {
      call(a, t + rng.int(0, 50) * SEC, source, name, { req, region: MAIN });
    }
    if (Math.floor((t - DAY_START) / (10 * MIN)) % 6 === 0) {
      for (const [source, name, req] of rng.sample(polls, 3)) {
        call(a, t + rng.int(0, 50) * SEC, source, name, { req, region: EU });
      }
    }
  }
}

/** CloudTrail itself asks KMS for a data key for every log file it writes (the trail is KMS-encrypted). */
function cloudTrailKeys() {
  const rng = new Rng('cloudtrail-kms');
  const a = {
    rng,
    identity: serviceIdentity('cloudtrail.amazonaws.com'),
    ip: 'cloudtrail.amazonaws.com',
    ua: 'cloudtrail.amazonaws.com',
    region: MAIN,
    scenario: 'cloudtrail',
  };
  for (let t = DAY_START + 4 * MIN; t < DAY_END; t += 5 * MIN) {
    const n = rng.chance(0.35) ? 2 : 1;
    for (let i = 0; i < n; i++) {
      call(a, t + rng.int(0, 55) * SEC, 'kms.amazonaws.com', 'GenerateDataKey', {
        req: { keyId: KMS.cloudtrail, encryptionContext: { 'aws:cloudtrail:arn': TRAIL_ARN }, keySpec: 'AES_256' },
        resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: KMS.cloudtrail }],
      });
    }
  }
}

/** A Grafana server on EC2 reading its data-source secret every hour and polling CloudWatch. */
function grafana() {
  const rng = new Rng('grafana');
  const instance = 'i-0b7d2e91c4a5f3068';
  const creds = [];
  let identity;
  let created = 0;
  for (let t = DAY_START + 7 * MIN; t < DAY_END; t += 5 * MIN + rng.int(-10, 10) * SEC) {
    if (t - created >= 6 * HOUR) {
      created = t;
      identity = sessionIdentity(rng, ROLES.grafana, instance, t, { ec2: true });
      creds.push([t, identity]);
      serviceAssumeRole(rng, t - SEC, 'ec2.amazonaws.com', ROLES.grafana, instance, identity, 'grafana', 6);
    }
    const a = { rng, identity, ip: '44.207.13.162', ua: UA.goV2('cloudwatch'), region: MAIN, scenario: 'grafana' };
    call(a, t, 'monitoring.amazonaws.com', 'GetMetricData', { req: null });
    if (rng.chance(0.3))
      call(a, t + SEC, 'logs.amazonaws.com', 'StartQuery', {
        req: { logGroupName: '/ecs/orders-api', queryString: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
        readOnly: true,
      });
    if ((t - DAY_START) % HOUR < 5 * MIN)
      getSecret({ ...a, ua: UA.goV2('secretsmanager') }, t + 2 * SEC, 'grafana/datasource-warehouse');
  }
  const at = (t) => creds.filter(([from]) => from <= t).at(-1)?.[1] ?? creds[0][1];
  ssmHeartbeats(rng, at, instance, '10.20.7.19', DAY_START, DAY_END, 'grafana');
}

/** eu-west-1: a small webhook Lambda reading one secret per cold start. */
function euWebhook() {
  const rng = new Rng('eu-webhook');
  for (let h = 0; h < 24; h++) {
    const n = rng.poisson(0.4 + 1.6 * businessFactor((h + 18) % 24));
    for (let i = 0; i < n; i++) {
      const start = DAY_START + h * HOUR + rng.int(0, 3599) * SEC;
      const identity = sessionIdentity(rng, ROLES.euWebhookFn, 'eu-webhook-fn', start);
      const a = {
        rng,
        identity,
        ip: `54.170.${rng.int(1, 250)}.${rng.int(2, 250)}`,
        ua: UA.nodeLambda('secrets-manager'),
        region: EU,
        scenario: 'eu-webhook',
      };
      call(
        {
          ...a,
          identity: serviceIdentity('lambda.amazonaws.com'),
          ip: 'lambda.amazonaws.com',
          ua: 'lambda.amazonaws.com',
        },
        start,
        'sts.amazonaws.com',
        'AssumeRole',
        {
          req: { roleArn: ROLES.euWebhookFn.arn, roleSessionName: 'eu-webhook-fn' },
          resp: {
            credentials: { accessKeyId: identity.accessKeyId, expiration: stsExpiration(start + 12 * HOUR) },
            assumedRoleUser: { assumedRoleId: identity.principalId, arn: identity.arn },
          },
          resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: ROLES.euWebhookFn.arn }],
          sharedEventID: rng.uuid(),
        },
      );
      call({ ...a, ua: UA.lambdaWorker }, start + SEC, 'logs.amazonaws.com', 'CreateLogStream', {
        req: { logGroupName: '/aws/lambda/eu-webhook-fn', logStreamName: `2026/11/25/[$LATEST]${rng.chars(32, HEX)}` },
        tls: false,
      });
      getSecret(a, start + 2 * SEC, 'eu/gateway/webhook-hmac');
      if (rng.chance(0.3)) getSecret(a, start + 3 * SEC, 'eu/payments/psp-api-key');
    }
  }
}

/** svc-reporting on a normal day: a Windows reporting tool reads two secrets in the morning. */
function reportingNormal() {
  const rng = new Rng('svc-reporting');
  const a = {
    rng,
    identity: iamUserIdentity(USERS.reporting),
    ip: CORP_IP_2,
    ua: UA.boto3Reporting,
    region: MAIN,
    scenario: 'svc-reporting-normal',
    tls12: true,
  };
  const t = DAY_START + 7 * HOUR + 45 * MIN + 12 * SEC;
  getSecret(a, t, 'reporting/warehouse-readonly');
  getSecret(a, t + SEC, 'reporting/smtp');
  call(a, t + 9 * SEC, 's3.amazonaws.com', 'ListBuckets', {
    req: { Host: 's3.us-east-1.amazonaws.com' },
    host: 's3.us-east-1.amazonaws.com',
  });
}

/**
 * The attack: svc-reporting's access key used from an unfamiliar address. Recon with an old CLI, a ListSecrets,
 * then a scripted dump of the secrets with raw signed requests, and a look at eu-west-1.
 */
function attack() {
  const rng = new Rng('attack');
  const identity = iamUserIdentity(USERS.reporting);
  const cli = { rng, identity, ip: ATTACKER_IP, ua: UA.cliOld, region: MAIN, scenario: 'attack', tls12: true };
  const script = { ...cli, ua: UA.pythonRequests, tls12: false };
  let t = DAY_START + 14 * HOUR + 36 * MIN + 21 * SEC;
  call(cli, t, 'sts.amazonaws.com', 'GetCallerIdentity', { host: 'sts.amazonaws.com' });
  t += 7 * SEC;
  for (const op of ['ListAttachedUserPolicies', 'ListUserPolicies', 'ListGroupsForUser']) {
    call(cli, t, 'iam.amazonaws.com', op, {
      req: { userName: USERS.reporting.name },
      err: accessDenied(USERS.reporting.arn, `iam:${op}`, `user ${USERS.reporting.name}`),
    });
    t += rng.int(2, 5) * SEC;
  }
  t = DAY_START + 14 * HOUR + 36 * MIN + 58 * SEC;
  call(cli, t, 'secretsmanager.amazonaws.com', 'ListSecrets', { req: { maxResults: 100 } });
  // 38 distinct readable secrets in us-east-1, four of them fetched twice, and two that a resource policy denies.
  const denied = ['prod/payments/hsm-pin', 'security/breakglass-root-mfa'];
  const readable = [...SECRETS.values()].filter((s) => s.region === MAIN && !denied.includes(s.name));
  const targets = rng.sample(readable, 38).map((s) => s.name);
  const order = [...targets];
  for (const name of rng.sample(targets, 4)) order.splice(rng.int(5, order.length), 0, name);
  order.splice(12, 0, denied[0]);
  order.splice(31, 0, denied[1]);
  const first = DAY_START + 14 * HOUR + 37 * MIN + 4 * SEC;
  const last = DAY_START + 14 * HOUR + 40 * MIN + 52 * SEC;
  const step = (last - first) / (order.length - 1);
  order.forEach((name, i) => {
    const when = Math.round(first + i * step + rng.int(-1500, 1500));
    const s = sec(name);
    const byArn = i % 3 !== 1;
    if (denied.includes(name)) {
      getSecret(script, when, name, {
        byArn,
        err: accessDenied(
          USERS.reporting.arn,
          'secretsmanager:GetSecretValue',
          s.arn,
          'with an explicit deny in a resource-based policy',
        ),
      });
    } else {
      getSecret(script, when, name, { byArn });
    }
  });
  t = DAY_START + 14 * HOUR + 41 * MIN + 14 * SEC;
  call({ ...cli, region: EU }, t, 'secretsmanager.amazonaws.com', 'ListSecrets', { req: { maxResults: 100 } });
  const euTargets = ['eu/gateway/db', 'eu/payments/psp-api-key', 'eu/gdpr/export-signing-key'];
  for (const [i, name] of euTargets.entries()) getSecret(script, t + (6 + i * 7) * SEC, name, { byArn: true });
}

/**
 * People in the console. maria.silva (SSO admin, desktop Chrome) reviews 25 secrets in six minutes, later fixes the
 * inventory-worker policy; jon.park (read-only, Firefox) looks at a few things in the afternoon.
 */

/** The sign-in record a console session starts with (not a console-session call itself). */
function consoleLogin(ctx, at) {
  call({ ...ctx, console: false }, at, 'signin.amazonaws.com', 'ConsoleLogin', {
    resp: { ConsoleLogin: 'Success' },
    additional: { MobileVersion: 'No', MFAUsed: 'No' },
    requestID: false,
    readOnly: false,
    eventType: 'AwsConsoleSignIn',
    tls: false,
  });
}

function consoleUsers() {
  const rng = new Rng('console');
  const loginAt = DAY_START + 9 * HOUR + 52 * MIN + 30 * SEC;
  const maria = sessionIdentity(rng, ROLES.ssoAdmin, 'maria.silva', loginAt - 20 * SEC);
  const m = {
    rng,
    identity: maria,
    ip: CORP_IP,
    ua: UA.chromeMac,
    region: MAIN,
    scenario: 'console-browsing',
    console: true,
  };
  consoleLogin(m, loginAt);
  const browse = (a, t0, t1, n) => {
    const pages = [
      ['ec2.amazonaws.com', 'DescribeInstances', { instancesSet: {}, filterSet: {} }],
      ['ec2.amazonaws.com', 'DescribeSecurityGroups', { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} }],
      ['monitoring.amazonaws.com', 'DescribeAlarms', { maxRecords: 100 }],
      ['iam.amazonaws.com', 'ListRoles', { maxItems: 1000 }],
      ['iam.amazonaws.com', 'GetRole', { roleName: 'orders-api-task' }],
      ['cloudtrail.amazonaws.com', 'LookupEvents', { maxResults: 50 }],
      ['logs.amazonaws.com', 'DescribeLogGroups', { limit: 50 }],
      ['ecs.amazonaws.com', 'DescribeServices', { cluster: 'prod', services: ['orders-api'] }],
      ['s3.amazonaws.com', 'ListBuckets', { Host: 's3.us-east-1.amazonaws.com' }],
      ['ce.amazonaws.com', 'GetCostAndUsage', null],
    ];
    for (let i = 0; i < n; i++) {
      const [source, name, req] = rng.pick(pages);
      call(a, t0 + rng.int(0, Math.floor((t1 - t0) / SEC)) * SEC, source, name, { req, scenario: 'console-other' });
    }
  };
  browse(m, loginAt + 30 * SEC, loginAt + 19 * MIN, 40);
  // The review: open the list, then for each secret the detail page and "Retrieve secret value".
  const reviewStart = DAY_START + 10 * HOUR + 12 * MIN + 5 * SEC;
  const reviewEnd = DAY_START + 10 * HOUR + 17 * MIN + 58 * SEC;
  call(m, reviewStart - 20 * SEC, 'secretsmanager.amazonaws.com', 'ListSecrets', {
    req: { maxResults: 100, sortOrder: 'desc', includePlannedDeletion: false },
  });
  const reviewed = rng.sample(
    [...SECRETS.values()].filter((s) => s.region === MAIN && !s.name.startsWith('security/')),
    25,
  );
  const gap = (reviewEnd - reviewStart) / 24;
  reviewed.forEach((s, i) => {
    const when = Math.round(reviewStart + i * gap + rng.int(-3000, 3000));
    call(m, when - 4 * SEC, 'secretsmanager.amazonaws.com', 'DescribeSecret', { req: { secretId: s.arn } });
    call(m, when - 4 * SEC, 'secretsmanager.amazonaws.com', 'GetResourcePolicy', { req: { secretId: s.arn } });
    getSecret(m, Math.min(when, reviewEnd), s.name, { byArn: true });
  });
  // 11:36: she grants inventory-worker the missing permission.
  const fix = DAY_START + 11 * HOUR + 36 * MIN + 12 * SEC;
  browse(m, fix - 6 * MIN, fix, 8);
  call(m, fix - 50 * SEC, 'iam.amazonaws.com', 'GetRolePolicy', {
    req: { roleName: ROLES.inventory.name, policyName: 'inventory-worker-app' },
    scenario: 'console-other',
  });
  call(m, fix, 'iam.amazonaws.com', 'PutRolePolicy', {
    req: {
      roleName: ROLES.inventory.name,
      policyName: 'inventory-worker-app',
      policyDocument:
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":["arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/inventory/*"]}]}',
    },
    readOnly: false,
    scenario: 'console-other',
  });
  browse(m, DAY_START + 14 * HOUR + 2 * MIN, DAY_START + 14 * HOUR + 25 * MIN, 20);
  browse(m, DAY_START + 16 * HOUR + 40 * MIN, DAY_START + 17 * HOUR + 5 * MIN, 18);

  const jonLogin = DAY_START + 15 * HOUR + 18 * MIN + 3 * SEC;
  const jon = sessionIdentity(rng, ROLES.ssoReadOnly, 'jon.park', jonLogin - 15 * SEC);
  const j = {
    rng,
    identity: jon,
    ip: '198.51.100.87',
    ua: UA.firefoxWin,
    region: MAIN,
    scenario: 'console-jon',
    console: true,
  };
  consoleLogin(j, jonLogin);
  browse(j, jonLogin + 20 * SEC, jonLogin + 25 * MIN, 30);
  call(j, jonLogin + 3 * MIN, 'secretsmanager.amazonaws.com', 'ListSecrets', {
    req: { maxResults: 100, sortOrder: 'desc', includePlannedDeletion: false },
  });
  const jt = jonLogin + 3 * MIN + 40 * SEC;
  for (const [i, name] of ['staging/orders/db', 'dev/shared/db', 'staging/payments/stripe-test-key'].entries()) {
    const s = sec(name);
    call(j, jt + i * 50 * SEC, 'secretsmanager.amazonaws.com', 'DescribeSecret', { req: { secretId: s.arn } });
    getSecret(j, jt + i * 50 * SEC + 6 * SEC, name, { byArn: true });
  }
}

/**
 * inventory-worker: an EC2 instance whose role lacks secretsmanager:GetSecretValue after a policy change; the app
 * retries in a loop (60 AccessDenied in five minutes) until the admin fixes the policy and the service restarts.
 */
function inventoryWorker() {
  const rng = new Rng('inventory-worker');
  const instance = 'i-0c4f1e8a9b2d3e5f7';
  const created = DAY_START + 10 * HOUR + 58 * MIN;
  const identity = sessionIdentity(rng, ROLES.inventory, instance, created, { ec2: true });
  serviceAssumeRole(rng, created - SEC, 'ec2.amazonaws.com', ROLES.inventory, instance, identity, 'access-denied', 6);
  const a = { rng, identity, ip: NAT_IPS[0], ua: UA.goV2('secretsmanager'), region: MAIN, scenario: 'access-denied' };
  const start = DAY_START + 11 * HOUR + 20 * MIN + 3 * SEC;
  const names = ['prod/inventory/db', 'prod/inventory/supplier-api-token'];
  for (let i = 0; i < 60; i++) {
    const name = names[i % 2];
    const s = sec(name);
    const when = start + Math.floor(i / 2) * 9800 + (i % 2) * rng.int(150, 600);
    getSecret(a, when, name, {
      err: accessDenied(identity.arn, 'secretsmanager:GetSecretValue', s.arn),
    });
  }
  ssmHeartbeats(rng, () => identity, instance, '10.20.12.201', created + 40 * SEC, DAY_END, 'inventory-other');
  const fixed = DAY_START + 11 * HOUR + 38 * MIN + 40 * SEC;
  getSecret({ ...a, scenario: 'inventory-fixed' }, fixed, names[0], { scenario: 'inventory-fixed' });
  getSecret({ ...a, scenario: 'inventory-fixed' }, fixed + SEC, names[1], { scenario: 'inventory-fixed' });
  for (let t = created + 2 * MIN; t < DAY_START + 16 * HOUR; t += rng.int(6, 15) * MIN) {
    call({ ...a, ua: UA.goV2('ssm'), scenario: 'inventory-other' }, t, 'ssm.amazonaws.com', 'GetParameters', {
      req: { names: ['/inventory/prod/batch-size', '/inventory/prod/suppliers'], withDecryption: false },
    });
  }
}

/** flags-svc: a Node.js service that warms its caches after a deploy with 15 reads in nine minutes (a near miss). */
function flagsSvc() {
  const rng = new Rng('flags-svc');
  const taskId = rng.chars(32, HEX);
  const start = DAY_START + 16 * HOUR + 2 * MIN + 40 * SEC;
  const identity = sessionIdentity(rng, ROLES.flags, taskId, start);
  serviceAssumeRole(rng, start, 'ecs-tasks.amazonaws.com', ROLES.flags, taskId, identity, 'near-miss', 6);
  const a = { rng, identity, ip: NAT_IPS[1], ua: UA.nodeEcs('secrets-manager'), region: MAIN, scenario: 'near-miss' };
  const names = [
    'prod/flags/sdk-key',
    'prod/flags/admin-token',
    'prod/flags/webhook-secret',
    'prod/flags/db',
    'prod/flags/redis-auth',
    'prod/flags/audit-sink-token',
    'prod/flags/segment-sync-key',
    'prod/flags/signing-key',
    'prod/auth/oidc-client-secret',
    'prod/analytics/write-key',
    'prod/cache/redis-auth',
    'prod/mq/rabbitmq-admin',
    'prod/email/smtp-credentials',
    'monitoring/api-key',
    'shared/github-app-private-key',
  ];
  const first = DAY_START + 16 * HOUR + 3 * MIN + 10 * SEC;
  const last = DAY_START + 16 * HOUR + 11 * MIN + 40 * SEC;
  const gap = (last - first) / (names.length - 1);
  for (const [i, name] of names.entries()) {
    getSecret(a, Math.round(first + i * gap + (i > 0 && i < 14 ? rng.int(-2000, 2000) : 0)), name);
  }
  call({ ...a, ua: UA.nodeEcs('secrets-manager') }, first - 5 * SEC, 'secretsmanager.amazonaws.com', 'ListSecrets', {
    req: { filters: [{ key: 'name', values: ['prod/flags/'] }], maxResults: 100 },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Self-check: the brute-force form of the default rule over what was generated.

const BROWSER_UA = /^Mozilla\/5\.0 .*(?:Chrome|Firefox|Safari|Edg|OPR|Brave)\//;

function isReadCall(r) {
  return (
    r.eventSource === 'secretsmanager.amazonaws.com' &&
    (r.eventName === 'GetSecretValue' || r.eventName === 'BatchGetSecretValue')
  );
}

/**
 * Best count per key over any WINDOW_BUCKETS consecutive one-minute buckets. `weight` gives each record's
 * contribution (1 per event, or the number of secrets it names).
 */
export function bestWindows(records, keyOf, weight = () => 1) {
  const perKey = new Map();
  for (const r of records) {
    const key = keyOf(r);
    if (!key) continue;
    const bucket = Math.floor(Date.parse(r.eventTime) / MIN);
    let m = perKey.get(key);
    if (!m) {
      m = new Map();
      perKey.set(key, m);
    }
    m.set(bucket, (m.get(bucket) ?? 0) + weight(r));
  }
  const best = new Map();
  for (const [key, buckets] of perKey) {
    let top = 0;
    for (const b of buckets.keys()) {
      // Every window that holds b ends somewhere in [b, b + WINDOW_BUCKETS - 1].
      for (let end = b; end < b + WINDOW_BUCKETS; end++) {
        let sum = 0;
        for (let k = end - WINDOW_BUCKETS + 1; k <= end; k++) sum += buckets.get(k) ?? 0;
        if (sum > top) top = sum;
      }
    }
    best.set(key, top);
  }
  return best;
}

function selfCheck(records) {
  const qualifying = records.filter(
    (r) =>
      isReadCall(r) && !r.errorCode && !r.errorMessage && !BROWSER_UA.test(r.userAgent) && !r.userIdentity.invokedBy,
  );
  const attacker = USERS.reporting.id;
  const modes = {
    'principal/events': bestWindows(qualifying, (r) => r.userIdentity.principalId),
    'principal/distinct-secrets': bestWindows(
      qualifying,
      (r) => r.userIdentity.principalId,
      (r) => (r.requestParameters.secretIdList ? r.requestParameters.secretIdList.length : 1),
    ),
    'actor/events': bestWindows(
      qualifying,
      (r) => r.userIdentity.sessionContext?.sessionIssuer?.userName ?? r.userIdentity.userName,
    ),
  };
  const alerts = {};
  for (const [mode, best] of Object.entries(modes)) {
    const over = [...best].filter(([, n]) => n >= THRESHOLD);
    alerts[mode] = over;
    const expected = mode.startsWith('actor') ? USERS.reporting.name : attacker;
    if (over.length !== 1 || over[0][0] !== expected) {
      throw new Error(`sample breaks its story in mode ${mode}: ${JSON.stringify(over)}`);
    }
    const runnerUp = [...best].filter(([k]) => k !== expected).sort((x, y) => y[1] - x[1])[0];
    alerts[`${mode} runner-up`] = runnerUp;
  }
  return alerts;
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery: records grouped into ~5-minute files per Region, roughly but not strictly ordered.

function deliver(entries) {
  const rng = new Rng('delivery');
  const files = new Map();
  for (const e of entries) {
    const region = e.rec.awsRegion;
    // Most records are delivered within two minutes; a few (service events, retries) much later.
    const delay = rng.chance(0.03) ? rng.int(300, 660) * SEC : rng.int(15, 150) * SEC;
    const delivered = Math.min(e.t + delay, DAY_END - SEC);
    const slot = Math.floor((delivered - DAY_START) / (5 * MIN));
    const key = `${region}|${slot}`;
    let f = files.get(key);
    if (!f) {
      f = { region, slot, parts: [[], []], split: region === MAIN && rng.chance(0.05) };
      files.set(key, f);
    }
    f.parts[f.split && rng.chance(0.4) ? 1 : 0].push({ e, sortKey: e.t + rng.int(0, 40) * SEC });
  }
  const out = [];
  const keys = [...files.keys()].sort((x, y) => {
    const [rx, sx] = x.split('|');
    const [ry, sy] = y.split('|');
    return rx === ry ? Number(sx) - Number(sy) : rx < ry ? -1 : 1;
  });
  for (const key of keys) {
    const f = files.get(key);
    const minutes = f.slot * 5;
    const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, '0')}${String(minutes % 60).padStart(2, '0')}`;
    for (const part of f.parts) {
      if (part.length === 0) continue;
      part.sort((x, y) => x.sortKey - y.sortKey);
      const name = `${ACCOUNT}_CloudTrail_${f.region}_20261125T${hhmm}Z_${rng.chars(16, MIXED_ALNUM)}.json.gz`;
      out.push({ region: f.region, name, records: part.map((p) => p.e.rec) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

/** Builds every record (unsorted) with its scenario label; deterministic. */
export function buildRecords() {
  OUT = [];
  for (const s of SECRETS.values()) {
    s.versions.length = 1;
    s.rotatedAt.length = 0;
  }
  rotation(); // first: later readers see the rotated versions
  ordersApi();
  webService();
  paymentsFn();
  nightlyEtl();
  ci();
  awsConfig();
  monitoring();
  cloudTrailKeys();
  grafana();
  bastion();
  euWebhook();
  reportingNormal();
  attack();
  consoleUsers();
  inventoryWorker();
  flagsSvc();
  return OUT;
}

function summarize(entries) {
  const byCategory = {};
  for (const e of entries) {
    const r = e.rec;
    const key =
      r.eventSource === 'secretsmanager.amazonaws.com'
        ? `secretsmanager: ${e.scenario}`
        : `other: ${serviceOf(r.eventSource)}`;
    byCategory[key] = (byCategory[key] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(byCategory).sort(([x], [y]) => (x < y ? -1 : 1)));
}

/** Writes `<outDir>/AWSLogs/...` (removing what was there) and returns a summary. */
export function generate(outDir = 'sample') {
  const entries = buildRecords();
  const checks = selfCheck(entries.map((e) => e.rec));
  const files = deliver(entries);
  const root = resolve(outDir, 'AWSLogs');
  rmSync(root, { recursive: true, force: true });
  let bytes = 0;
  for (const f of files) {
    const dir = join(root, ACCOUNT, 'CloudTrail', f.region, '2026', '11', '25');
    mkdirSync(dir, { recursive: true });
    const gz = gzipSync(JSON.stringify({ Records: f.records }), { level: 9 });
    bytes += gz.length;
    writeFileSync(join(dir, f.name), gz);
  }
  return {
    records: entries.length,
    files: files.length,
    bytes,
    categories: summarize(entries),
    checks,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const summary = generate(process.argv[2] ?? 'sample');
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
