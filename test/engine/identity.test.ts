/** The grouping key under `actor` (lib/engine/identity.ts): who controls each field decides what it may split. */
import type { AccessEvent, EventIdentity } from '../../lib/engine/event';
import { actorParts, groupKey, isIdentityCenterRole } from '../../lib/engine/identity';

const ACCOUNT = '111122223333';
const SSO_ROLE = `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_0123456789abcdef`;

function assumed(role: string, roleArn: string, session: string, extra: Partial<EventIdentity> = {}): AccessEvent {
  const identity: EventIdentity = {
    type: 'AssumedRole',
    principalId: `AROAEXAMPLEROLE00001:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
    accountId: ACCOUNT,
    userName: role,
    accessKeyId: 'ASIAEXAMPLEKEY000001',
    sessionIssuerArn: roleArn,
    mfaAuthenticated: undefined,
    fromConsole: false,
    invokedBy: '',
    sourceIdentity: '',
    ...extra,
  };
  return { identity } as AccessEvent;
}

describe('groupKey under actor', () => {
  it('splits an Identity Center permission set by user (session name set by Identity Center)', () => {
    const a = assumed('AWSReservedSSO_Dev_0123456789abcdef', SSO_ROLE, 'alice@example.com');
    const b = assumed('AWSReservedSSO_Dev_0123456789abcdef', SSO_ROLE, 'bob@example.com');
    expect(groupKey(a, 'actor')).toBe(a.identity.arn);
    expect(groupKey(b, 'actor')).not.toBe(groupKey(a, 'actor'));
  });

  it('keeps self-chosen sessions of an ordinary role together', () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/worker`;
    expect(groupKey(assumed('worker', role, 's-001'), 'actor')).toBe(role);
    expect(groupKey(assumed('worker', role, 's-002'), 'actor')).toBe(role);
  });

  it('joins two roles carrying one source identity, and takes it over the Identity Center rule', () => {
    const si = { sourceIdentity: 'alice' };
    const a = assumed('reader-a', `arn:aws:iam::${ACCOUNT}:role/reader-a`, 'x', si);
    const b = assumed('AWSReservedSSO_Dev_0123456789abcdef', SSO_ROLE, 'y', si);
    expect(groupKey(a, 'actor')).toBe('source-identity:alice');
    expect(groupKey(b, 'actor')).toBe('source-identity:alice');
  });

  it('keys IAM users by ARN and leaves principal grouping as it was', () => {
    const user = assumed('', '', '', {
      type: 'IAMUser',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      principalId: 'AIDA1',
    });
    expect(groupKey(user, 'actor')).toBe(`arn:aws:iam::${ACCOUNT}:user/alice`);
    const s = assumed('w', `arn:aws:iam::${ACCOUNT}:role/w`, 's', { sourceIdentity: 'alice' });
    expect(groupKey(s, 'principal')).toBe('AROAEXAMPLEROLE00001:s');
  });

  it('recognises Identity Center roles with and without a region segment, and nothing else', () => {
    expect(isIdentityCenterRole(SSO_ROLE)).toBe(true);
    expect(
      isIdentityCenterRole(`arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_X_1`),
    ).toBe(true);
    expect(isIdentityCenterRole(`arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_X_1`)).toBe(false);
    expect(isIdentityCenterRole(`arn:aws:iam::${ACCOUNT}:role/team/AWSReservedSSO_X_1`)).toBe(false);
  });

  it('splits an actor into role, session and source identity', () => {
    expect(
      actorParts({ userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/w/s-1`, sessionIssuerArn: 'r', sourceIdentity: 'a' }),
    ).toEqual({ role: 'r', session: 's-1', sourceIdentity: 'a' });
    expect(actorParts({ userArn: `arn:aws:iam::${ACCOUNT}:user/alice` })).toEqual({
      role: '',
      session: '',
      sourceIdentity: '',
    });
  });
});
