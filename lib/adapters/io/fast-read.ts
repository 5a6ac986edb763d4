/**
 * One CloudTrail log file read for replay with the byte-search fast path (prefilter.ts): read, gunzip, parse only the
 * records that can concern Secrets Manager, count the rest. Whenever the fast path is not sure, or the file is not a
 * small `.json(.gz)` document, the file goes through the ordinary reader (read.ts). For files in CloudTrail's own
 * layout the result is the one the full parse gives: same records that can count, same records read, same skips per
 * reason, same errors; prefilter.ts lists what can differ outside it (counts, never a missed record).
 *
 * The result is plain data (structured-clonable) so that a worker thread can produce it.
 */
import { readFile } from 'node:fs/promises';
import type { SkipReason } from '../../engine/event';
import { gunzip } from './gunzip';
import { type Prefiltered, prefilterDocument } from './prefilter';
import { readInputBatches } from './read';

/** Names the ordinary reader reads whole (read.ts); only these take the fast path. */
const DOCUMENT_NAME = /\.json(?:\.gz)?$/i;

export interface FileReadError {
  readonly path: string;
  /** InputError message without the path prefix. */
  readonly message: string;
}

export interface FileResult {
  /** Records to prepare (parsed), in file order. */
  readonly records: unknown[];
  /** Records and document parts skipped without preparing them, per reason. */
  readonly skipped: Partial<Record<SkipReason, number>>;
  readonly errors: FileReadError[];
}

/** Whether a file of this name and size can take the fast path (anything else is read by read.ts as a stream). */
export function fastPathEligible(path: string, size: number, maxBytes: number): boolean {
  return size <= maxBytes && DOCUMENT_NAME.test(path);
}

function addSkip(skipped: Partial<Record<SkipReason, number>>, reason: SkipReason, n: number): void {
  if (n > 0) skipped[reason] = (skipped[reason] ?? 0) + n;
}

/** The whole input through the ordinary reader. */
export async function readFull(path: string, maxBytes: number): Promise<FileResult> {
  const result: FileResult = { records: [], skipped: {}, errors: [] };
  const onError = (e: { path: string; message: string }) => {
    result.errors.push({ path: e.path, message: e.message.slice(e.path.length + 2) });
  };
  for await (const batch of readInputBatches([path], { onError, maxDocumentBytes: maxBytes })) {
    for (const record of batch.records) result.records.push(record);
    for (const reason of batch.skipped) addSkip(result.skipped, reason, 1);
  }
  return result;
}

/**
 * The fast path's answer for a file's bytes, or undefined when the ordinary reader must handle it (corrupt, too large,
 * not in CloudTrail's layout). Synchronous from gunzip to the end of the prefilter: the decompressed bytes live in the
 * thread's reused buffer (gunzip.ts) and must not be overwritten by another file meanwhile.
 */
function prefiltered(raw: Buffer, maxBytes: number): Prefiltered | undefined {
  let data: Buffer;
  try {
    data = raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b ? gunzip(raw, maxBytes) : raw;
  } catch {
    // Corrupt or too large: read.ts reports it (or streams it) exactly as without the fast path.
    return undefined;
  }
  return prefilterDocument(data);
}

/** One `.json(.gz)` file (see fastPathEligible) with the fast path, falling back to the ordinary reader. */
export async function readFileFast(path: string, maxBytes: number): Promise<FileResult> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch {
    // Unreadable: read.ts reports it exactly as without the fast path.
    return readFull(path, maxBytes);
  }
  const fast = prefiltered(raw, maxBytes);
  if (fast === undefined) return readFull(path, maxBytes);
  const skipped: Partial<Record<SkipReason, number>> = {};
  addSkip(skipped, 'other-service', fast.otherService);
  return { records: fast.records, skipped, errors: [] };
}
