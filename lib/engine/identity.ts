/**
 * Grouping keys. `principal` is userIdentity.principalId (the reference's user.id: one value per role session).
 * `actor` is the person where CloudTrail says who it is, the role where it does not, using only fields the caller
 * cannot choose freely (docs/PRESETS.md, "Who is the actor"):
 *
 *   1. `sessionContext.sourceIdentity` present -> `source-identity:<value>`: set once at the first AssumeRole and
 *      kept unchanged through role chains, so one person is one actor across roles.
 *   2. an IAM Identity Center role (`role/aws-reserved/sso.amazonaws.com/…/AWSReservedSSO_…`) -> the assumed-role
 *      ARN, i.e. role + session name: Identity Center sets the session name to the user's name, so it names a person.
 *   3. any other assumed role -> the role ARN: the session name is the caller's choice, and spreading reads over
 *      self-chosen sessions must not split the count.
 *   4. otherwise (IAM users, root, federated users) -> userIdentity.arn, falling back to principalId.
 *
 * Complementary signals (lib/engine/signals.ts) count under their own store keys, `signal:<name>:<identity>`, so the
 * main counters stay exactly the reference's; the evaluator folds them back onto the identity, which has one
 * suppression across all reasons. Identities are AWS principal ids, ARNs or `source-identity:…`, never `signal:…`.
 */

import type { AccessEvent, EventIdentity } from './event';
import type { GroupBy, Signal } from './settings';

export function groupKey(event: AccessEvent, groupBy: GroupBy): string | undefined {
  const id = event.identity;
  const key = groupBy === 'principal' ? id.principalId : actorKey(id);
  return key === '' ? undefined : key;
}

export const SOURCE_IDENTITY_PREFIX = 'source-identity:';

/** Roles IAM Identity Center creates for permission sets (its reserved path; only its SAML provider may assume them). */
const IDENTITY_CENTER_ROLE =
  /^arn:aws[a-z-]*:iam::\d*:role\/aws-reserved\/sso\.amazonaws\.com\/(?:[^/]+\/)?AWSReservedSSO_[^/]+$/;

export const isIdentityCenterRole = (roleArn: string): boolean => IDENTITY_CENTER_ROLE.test(roleArn);

function actorKey(id: EventIdentity): string {
  if (id.sourceIdentity !== '') return `${SOURCE_IDENTITY_PREFIX}${id.sourceIdentity}`;
  // The assumed-role ARN is `…:assumed-role/<role name>/<session name>`: role and session in one value.
  if (id.arn !== '' && isIdentityCenterRole(id.sessionIssuerArn)) return id.arn;
  return id.sessionIssuerArn || id.arn || id.principalId;
}

/** The parts of an actor for a responder: the role, the session name and the source identity (each '' if none). */
export interface ActorParts {
  readonly role: string;
  readonly session: string;
  readonly sourceIdentity: string;
}

const ASSUMED_ROLE_ARN = /:assumed-role\/[^/]+\/(.+)$/;

export function actorParts(identity: {
  readonly userArn: string;
  readonly sessionIssuerArn?: string;
  readonly sourceIdentity?: string;
}): ActorParts {
  return {
    role: identity.sessionIssuerArn ?? '',
    session: ASSUMED_ROLE_ARN.exec(identity.userArn)?.[1] ?? '',
    sourceIdentity: identity.sourceIdentity ?? '',
  };
}

const SIGNAL_PREFIX = 'signal:';

export const signalKey = (signal: Signal, identity: string): string => `${SIGNAL_PREFIX}${signal}:${identity}`;

/** Splits a store key into the identity and, for a signal counter, the signal's name. */
export function parseKey(key: string): { readonly identity: string; readonly signal: Signal | undefined } {
  if (!key.startsWith(SIGNAL_PREFIX)) return { identity: key, signal: undefined };
  const rest = key.slice(SIGNAL_PREFIX.length);
  const colon = rest.indexOf(':');
  return { identity: rest.slice(colon + 1), signal: rest.slice(0, colon) as Signal };
}
