/**
 * Raw JSON -> AccessEvent, pure. (STUB: to be completed.)
 */
import type { AccessEvent, Parsed } from './event';

/** Turns one bare CloudTrail record into an AccessEvent, or a named skip reason. Never throws. */
export function toAccessEvent(_raw: unknown): Parsed<AccessEvent> {
  return { ok: false, reason: 'not-an-object' };
}
