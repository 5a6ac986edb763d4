/**
 * Optional Security Hub import (deploy parameter securityHub=true): each alert also becomes an AWS Security Finding
 * Format finding, where many AWS security teams triage. The finding Id is the alertId, so a re-import updates the
 * same finding instead of creating a second one.
 *
 * The import is best effort: SNS is the delivery of record. A failed import is logged and counted
 * (SecurityHubImportFailures), and does not make the alert pending again — that would re-send the email and Slack
 * message for a Security Hub outage.
 */
import {
  type AwsSecurityFinding,
  BatchImportFindingsCommand,
  type SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import type { Alert, Notification } from '../../engine/alert';
import { reasonLine, reasonsOf } from '../../engine/headline';
import type { Logger } from '../../engine/logger';
import type { AlertPublisher } from '../../engine/ports';
import { renderSubject } from './render';
import { neutralize } from './sanitize';

export interface SecurityHubTarget {
  readonly client: SecurityHubClient;
  /** Account and region the findings are imported into (the detector's own). */
  readonly accountId: string;
  readonly region: string;
  readonly partition?: string;
}

/** The ASFF finding for an alert. Pure. */
export function toFinding(
  a: Alert,
  target: Pick<SecurityHubTarget, 'accountId' | 'region' | 'partition'>,
): AwsSecurityFinding {
  const partition = target.partition ?? 'aws';
  const resource = a.investigation?.sessionIssuerArn || a.userArn;
  return {
    SchemaVersion: '2018-10-08',
    Id: a.alertId,
    ProductArn: `arn:${partition}:securityhub:${target.region}:${target.accountId}:product/${target.accountId}/default`,
    GeneratorId: `rapid-secret-retrieval/${a.preset}`,
    AwsAccountId: target.accountId,
    Types: ['TTPs/Credential Access', 'Unusual Behaviors/User'],
    CreatedAt: a.detectedAt,
    UpdatedAt: a.detectedAt,
    FirstObservedAt: a.firstSeen,
    LastObservedAt: a.lastSeen,
    Severity: { Label: 'MEDIUM', Original: String(a.riskScore) },
    Title: renderSubject(a).slice(0, 256),
    Description: neutralize(
      `${a.identity}: ${reasonsOf(a)
        .map((r, i) => reasonLine(r, i === 0 && a.countIsLowerBound))
        .join('; ')} — within a ${a.windowMinutes + 1}-minute window; ` +
        `${a.distinctSecrets} distinct secrets, from ${a.sourceIps.map((s) => s.value).join(', ') || 'unknown addresses'}.`,
      1024,
    ),
    Resources: [
      {
        Type: a.identityType === 'AssumedRole' ? 'AwsIamRole' : 'AwsIamUser',
        Id: resource || a.identity,
        Partition: partition as 'aws',
        Region: target.region,
      },
      ...(a.accessKeyId
        ? [{ Type: 'AwsIamAccessKey', Id: a.accessKeyId, Partition: partition as 'aws', Region: target.region }]
        : []),
    ],
    ProductFields: {
      alertId: a.alertId,
      threadId: a.threadId,
      identity: a.identity.slice(0, 1024),
      count: String(a.count),
      reasons: (a.reasons ?? ['threshold']).join(','),
    },
    Workflow: { Status: 'NEW' },
    RecordState: 'ACTIVE',
  };
}

/** Wraps the SNS publisher: publish to SNS, then import alerts (not overflow summaries) into Security Hub. */
export class SecurityHubPublisher implements AlertPublisher {
  failures = 0;
  /** After a failed import, later imports are skipped (and counted as failures) until then: an unreachable Security
   * Hub must not make every alert of a run wait for its timeouts and push the evaluator past its own timeout. */
  private pausedUntil = 0;

  constructor(
    private readonly inner: AlertPublisher,
    private readonly target: SecurityHubTarget,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly pauseMs = 5 * 60_000,
  ) {}

  async publish(n: Notification): Promise<void> {
    await this.inner.publish(n);
    // Only alerts become findings: overflow and burst summaries go to the topic only (docs/DEPLOY.md).
    if (n.kind !== 'alert') return;
    if (this.clock() < this.pausedUntil) {
      this.failures++;
      this.log.error('security hub import skipped after a recent failure; the alert was delivered by SNS', {
        alertId: n.alertId,
      });
      return;
    }
    try {
      const out = await this.target.client.send(
        new BatchImportFindingsCommand({ Findings: [toFinding(n, this.target)] }),
      );
      if ((out.FailedCount ?? 0) > 0) throw new Error(JSON.stringify(out.FailedFindings ?? []));
    } catch (error) {
      this.failures++;
      this.pausedUntil = this.clock() + this.pauseMs;
      this.log.error('security hub import failed; the alert was delivered by SNS', { alertId: n.alertId, error });
    }
  }
}
