/**
 * The normalised view of one CloudTrail record that the engine works on, and the named reasons a record is skipped.
 * `records.ts` builds an AccessEvent from raw JSON; everything downstream reads only this shape.
 */

/** Identity fields copied from `userIdentity` (empty string when CloudTrail left them out). */
export interface EventIdentity {
  /** `userIdentity.type`: IAMUser, AssumedRole, Root, FederatedUser, AWSService, ... */
  readonly type: string;
  /** `userIdentity.principalId`: `AIDA…` for users, `AROA…:session-name` for assumed roles (one value per session). */
  readonly principalId: string;
  readonly arn: string;
  readonly accountId: string;
  /** `userIdentity.userName`, or the role name (`sessionIssuer.userName`) for assumed roles. */
  readonly userName: string;
  /** `AKIA…` long-term key, `ASIA…` temporary credentials. */
  readonly accessKeyId: string;
  /** `sessionContext.sessionIssuer.arn`: the role behind an assumed-role session. */
  readonly sessionIssuerArn: string;
  /** `sessionContext.attributes.mfaAuthenticated` (undefined when absent). */
  readonly mfaAuthenticated: boolean | undefined;
  /** `sessionCredentialFromConsole` = "true": the call was made from a console session. */
  readonly fromConsole: boolean;
  /** `userIdentity.invokedBy`: set when an AWS service made the call on the principal's behalf. */
  readonly invokedBy: string;
  /**
   * `sessionContext.sourceIdentity`: set once when the first role is assumed (by the identity provider or the
   * assuming principal, as the role's trust policy allows) and carried unchanged through role chains.
   */
  readonly sourceIdentity: string;
}

export const SECRETS_MANAGER_SOURCE = 'secretsmanager.amazonaws.com';

export interface AccessEvent {
  /** CloudTrail `eventID`; when absent, a stable digest of the record (so redelivery still dedupes). */
  readonly eventId: string;
  /** `eventTime` in epoch milliseconds. */
  readonly eventTime: number;
  readonly eventName: string;
  readonly eventSource: string;
  readonly awsRegion: string;
  /** `sourceIPAddress`: an IP, or a service name such as `kafka.amazonaws.com`. */
  readonly sourceIp: string;
  /** `userAgent`, at most 1 KB as CloudTrail truncates it. */
  readonly userAgent: string;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly vpcEndpointId: string;
  readonly recipientAccountId: string;
  readonly identity: EventIdentity;
  /**
   * Secret identifiers the call asked for: GetSecretValue `secretId`; BatchGetSecretValue `secretIdList` entries;
   * a BatchGetSecretValue with `filters` contributes one value, the canonical filter text (`filters:` + sorted JSON).
   */
  readonly secretIds: readonly string[];
  /** BatchGetSecretValue filters as logged (empty for other calls). */
  readonly filters: readonly { readonly key: string; readonly values: readonly string[] }[];
}

/** Why a record did not count. Every skipped record is counted under exactly one of these. */
export const SKIP_REASONS = [
  // malformed input (records.ts)
  'not-an-object',
  'missing-eventTime',
  'invalid-eventTime',
  'missing-eventName',
  'missing-userIdentity',
  'not-a-cloudtrail-envelope',
  'unparsable-json',
  // not what the rule looks at (qualify.ts)
  'other-service',
  'other-api',
  'failed-call',
  'browser-agent',
  'exception',
  'aws-service-caller',
  'no-identity-key',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: SkipReason };
