/** Powertools logger and metrics (EMF), one pair per container. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

export const NAMESPACE = 'RapidSecretRetrieval';

export interface Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export function createTelemetry(serviceName: string, logLevel: string): Telemetry {
  const logger = new Logger({
    serviceName,
    logLevel: logLevel.toUpperCase() as 'INFO',
  });
  const metrics = new Metrics({ namespace: NAMESPACE, serviceName });
  return { logger, metrics };
}

export function count(metrics: Metrics, name: string, value: number): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}
