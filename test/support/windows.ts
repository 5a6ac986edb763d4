/** What the window and thread property tests draw their settings from, and how they make counts exact. */
import fc from 'fast-check';
import type { RuntimeConfig } from '../../lib/config/load';
import { testConfig } from './records';

/** Window settings small enough that generated bursts cross often. */
export const windowSettings = {
  threshold: fc.integer({ min: 2, max: 6 }),
  windowMinutes: fc.integer({ min: 1, max: 5 }),
  suppressionMinutes: fc.integer({ min: 1, max: 30 }),
  latenessMinutes: fc.integer({ min: 0, max: 3 }),
  count: fc.constantFrom('events' as const, 'distinct-secrets' as const),
};

/** The settings with saturation far above anything generated and no cap per run: counts exact, as an oracle's. */
export function exactConfig(settings: Partial<RuntimeConfig>): RuntimeConfig {
  return testConfig({ ...settings, saturationFactor: 1000, maxAlertsPerRun: 1000 });
}
