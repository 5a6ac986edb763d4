/**
 * The Security Hub side of the evaluator, in its own module so that the handler loads it (client included) only when
 * the first alert is published with SECURITY_HUB=true. Static imports here let the bundler keep only the client
 * parts this uses; a dynamic import of the client package itself would keep all of it.
 *
 * One Security Hub client per container, in the topic's Region so that the endpoint and the finding's ProductArn
 * agree. The import is best effort and runs once per alert inside the evaluator's 55 s: short timeouts and one retry
 * bound each import to roughly ten seconds when Security Hub is slow or unreachable. (Several alerts in one such run
 * can still reach the function timeout; the alert being imported is then sent again.)
 */
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SecurityHubPublisher, type SecurityHubTarget } from '../../lib/adapters/notify/securityhub';
import type { Logger } from '../../lib/engine/logger';
import type { AlertPublisher } from '../../lib/engine/ports';

export function securityHubPublisher(
  sns: AlertPublisher,
  target: Omit<SecurityHubTarget, 'client'>,
  logger: Logger,
): AlertPublisher {
  const client = new SecurityHubClient({
    region: target.region,
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
  });
  return new SecurityHubPublisher(sns, { ...target, client }, logger);
}
