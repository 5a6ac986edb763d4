/**
 * Test helpers for qualification: load a CloudTrail record fixture from test/fixtures/qualify/ and turn it into an
 * AccessEvent. Until lib/engine/records.ts (toAccessEvent) is available this builds the event itself, reading only
 * the fields qualification looks at; it is deliberately minimal and not a second record parser.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessEvent } from '../../lib/engine/event';

const FIXTURES = join(__dirname, '..', 'fixtures', 'qualify');

type Json = Record<string, unknown>;

function object(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The raw record in test/fixtures/qualify/<name>.json. */
export function loadRecord(name: string): Json {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Json;
}

/** A minimal CloudTrail record -> AccessEvent conversion for tests. */
export function eventFromRecord(record: Json): AccessEvent {
  const identity = object(record.userIdentity);
  const session = object(identity.sessionContext);
  const issuer = object(session.sessionIssuer);
  const request = object(record.requestParameters);
  const secretIds = Array.isArray(request.secretIdList)
    ? request.secretIdList.filter((id): id is string => typeof id === 'string')
    : typeof request.secretId === 'string'
      ? [request.secretId]
      : [];
  return {
    eventId: str(record.eventID),
    eventTime: Date.parse(str(record.eventTime)),
    eventName: str(record.eventName),
    eventSource: str(record.eventSource),
    awsRegion: str(record.awsRegion),
    sourceIp: str(record.sourceIPAddress),
    userAgent: str(record.userAgent),
    errorCode: str(record.errorCode),
    errorMessage: str(record.errorMessage),
    vpcEndpointId: str(record.vpcEndpointId),
    recipientAccountId: str(record.recipientAccountId),
    identity: {
      type: str(identity.type),
      principalId: str(identity.principalId),
      arn: str(identity.arn),
      accountId: str(identity.accountId),
      userName: str(identity.type) === 'AssumedRole' ? str(issuer.userName) : str(identity.userName),
      accessKeyId: str(identity.accessKeyId),
      sessionIssuerArn: str(issuer.arn),
      mfaAuthenticated: undefined,
      fromConsole: record.sessionCredentialFromConsole === 'true',
      invokedBy: str(identity.invokedBy),
    },
    secretIds,
    filters: [],
  };
}

/** Loads a fixture and converts it. */
export function loadEvent(name: string): AccessEvent {
  return eventFromRecord(loadRecord(name));
}
