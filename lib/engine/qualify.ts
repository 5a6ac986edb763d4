/**
 * Which events count (STUB: to be completed).
 */
import type { DetectionConfig } from '../config';
import type { AccessEvent, SkipReason } from './event';

export type Qualifier = (event: AccessEvent) => SkipReason | undefined;

export function makeQualifier(_config: DetectionConfig): Qualifier {
  return () => undefined;
}
