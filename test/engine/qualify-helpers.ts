/**
 * Test helpers for qualification: load a CloudTrail record fixture from test/fixtures/qualify/ and turn it into an
 * AccessEvent with the production record parser (lib/engine/records.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessEvent } from '../../lib/engine/event';
import { toAccessEvent } from '../../lib/engine/records';

const FIXTURES = join(__dirname, '..', 'fixtures', 'qualify');

/** The raw record in test/fixtures/qualify/<name>.json. */
export function loadRecord(name: string): unknown {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
}

/** Loads a fixture and converts it; a fixture the parser rejects is a broken fixture, so this throws. */
export function loadEvent(name: string): AccessEvent {
  const parsed = toAccessEvent(loadRecord(name));
  if (!parsed.ok) throw new Error(`fixture ${name} is not a valid record: ${parsed.reason}`);
  return parsed.value;
}
