/** Builders for CloudTrail records in tests (shape copied from real Secrets Manager records). */
import { DEFAULTS, type RuntimeConfig } from '../../lib/config/load';

export const BASE_TIME = Date.parse('2026-01-01T00:00:00Z');

export interface RecordSpec {
  principalId?: string;
  eventTimeMs?: number;
  eventId?: string;
  eventName?: string;
  secretId?: string;
  userAgent?: string;
  sourceIp?: string;
  errorCode?: string;
  type?: 'IAMUser' | 'AssumedRole';
  roleArn?: string;
}

let counter = 0;

export function secretsRecord(spec: RecordSpec = {}): Record<string, unknown> {
  const principalId = spec.principalId ?? 'AIDAEXAMPLEUSER00001';
  const t = spec.eventTimeMs ?? BASE_TIME;
  const assumed = spec.type === 'AssumedRole';
  const session = principalId.split(':')[1] ?? 'session';
  const roleArn = spec.roleArn ?? 'arn:aws:iam::111122223333:role/app';
  const roleName = roleArn.split('/').pop() ?? 'app';
  const record: Record<string, unknown> = {
    eventVersion: '1.09',
    userIdentity: assumed
      ? {
          type: 'AssumedRole',
          principalId,
          arn: `arn:aws:sts::111122223333:assumed-role/${roleName}/${session}`,
          accountId: '111122223333',
          accessKeyId: 'ASIAEXAMPLE000000001',
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: principalId.split(':')[0],
              arn: roleArn,
              accountId: '111122223333',
              userName: roleName,
            },
            attributes: { creationDate: new Date(t - 60_000).toISOString(), mfaAuthenticated: 'false' },
          },
        }
      : {
          type: 'IAMUser',
          principalId,
          arn: `arn:aws:iam::111122223333:user/${principalId.toLowerCase()}`,
          accountId: '111122223333',
          accessKeyId: 'AKIAEXAMPLE000000001',
          userName: principalId.toLowerCase(),
        },
    eventTime: new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'secretsmanager.amazonaws.com',
    eventName: spec.eventName ?? 'GetSecretValue',
    awsRegion: 'us-east-1',
    sourceIPAddress: spec.sourceIp ?? '198.51.100.7',
    userAgent: spec.userAgent ?? 'aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.amzn.2023',
    requestParameters: { secretId: spec.secretId ?? 'prod/db/password' },
    responseElements: null,
    requestID: `req-${++counter}`,
    eventID: spec.eventId ?? `evt-${counter}`,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: '111122223333',
    eventCategory: 'Management',
  };
  if (spec.errorCode) {
    record.errorCode = spec.errorCode;
    record.errorMessage = 'User is not authorized to perform this operation';
  }
  return record;
}

export function testConfig(overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  return { ...DEFAULTS, ...overrides };
}

/** An EventBridge "AWS API Call via CloudTrail" event around one CloudTrail record, as the rule delivers it. */
export function eventBridgeEnvelope(detail: unknown): Record<string, unknown> {
  const d = detail as { eventTime?: string; recipientAccountId?: string; awsRegion?: string };
  return {
    version: '0',
    id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.secretsmanager',
    account: d.recipientAccountId ?? '111122223333',
    time: d.eventTime,
    region: 'us-east-1',
    resources: [],
    detail,
  };
}
