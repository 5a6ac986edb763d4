/**
 * Which inputs a list of command-line paths names: files, directories (walked recursively in sorted order, hidden
 * entries skipped), pipes/devices, and '-' for stdin.
 *
 * In a directory, files with a JSON name (INPUT_FILE_NAME) are read. Files with no extension or a plain `.gz`
 * (Firehose and Athena UNLOAD objects) are sniffed: their first bytes, gunzipped when they start with the gzip
 * magic number, must start with '{' or '[' (after whitespace or a byte-order mark). Other extensions (`.tmp`
 * partial downloads, `.csv`, `.parquet`) are not read. Every file not read is reported through `onSkippedFile` with
 * the reason, never dropped silently.
 */
import type { Dirent, Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { InputError } from '../../engine/errors';

/** The path that means "read standard input". */
export const STDIN_PATH = '-';
/** The `source` reported for records read from standard input. */
export const STDIN_SOURCE = '<stdin>';

/** File names a directory walk picks up: .json, .jsonl, .ndjson, each optionally gzipped. */
export const INPUT_FILE_NAME = /\.(?:json|jsonl|ndjson)(?:\.gz)?$/i;

/**
 * One input to read. `file`: a regular file of known size. `stream`: stdin, or a pipe/device named on the command
 * line (e.g. bash process substitution), read as a stream of unknown size.
 */
export type InputTarget =
  | { readonly kind: 'file'; readonly path: string; readonly size: number }
  | { readonly kind: 'stream'; readonly path: string };

/** A readable message for a failed file-system call (the original error stays the InputError's cause). */
export function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'Z_BUF_ERROR':
      return 'truncated gzip data (unexpected end of file)';
    case 'Z_DATA_ERROR':
      return `corrupt gzip data (${(error as Error).message})`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** `error` as an InputError about `path` (kept as is when it already is one). */
export function inputError(path: string, error: unknown): InputError {
  return error instanceof InputError ? error : new InputError(path, describeError(error), { cause: error });
}

/** Code-unit order, so the walk order does not depend on the locale. */
function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A file a directory walk did not read, and why. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/** Names sniffed for JSON content: no extension, or `.gz` alone (not after .json/.jsonl/.ndjson, read anyway). */
const SNIFFED_NAME = /^[^.]+$|\.gz$/i;

/** Bytes read to decide whether a file without a JSON name holds JSON. */
const SNIFF_BYTES = 4096;

/** Why `head` (the first bytes of a file) is not JSON, or undefined when it looks like JSON. */
export function sniffJson(head: Buffer): string | undefined {
  if (head.length === 0) return 'empty file';
  let text: Buffer = head;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      // Z_SYNC_FLUSH: decode what the first bytes hold without requiring the end of the stream.
      text = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return 'gzip data that does not decompress';
    }
    if (text.length === 0) return 'gzip of an empty file';
  }
  const first = /[^\s\ufeff]/u.exec(text.toString('utf8'));
  if (first === null) return 'only whitespace in its first bytes';
  if (first[0] === '{' || first[0] === '[') return undefined;
  const shown = JSON.stringify(text.subarray(0, 8).toString('latin1'));
  return `not JSON (starts with ${shown})`;
}

async function sniffFile(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return sniffJson(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? name : name.slice(dot);
}

type OnSkippedFile = (file: SkippedFile) => void;

async function* walk(
  dir: string,
  onError: (error: InputError) => void,
  onSkippedFile: OnSkippedFile,
): AsyncGenerator<InputTarget> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    onError(inputError(dir, error));
    return;
  }
  entries.sort(byName);
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* walk(path, onError, onSkippedFile);
      continue;
    }
    // Symlinks to files are followed; symlinks to directories are not (no cycles).
    if (!(entry.isFile() || entry.isSymbolicLink())) continue;
    try {
      const info = await stat(path);
      if (!info.isFile()) {
        onSkippedFile({ path, reason: 'not a regular file' });
        continue;
      }
      const reason = INPUT_FILE_NAME.test(entry.name)
        ? undefined
        : SNIFFED_NAME.test(entry.name)
          ? await sniffFile(path)
          : `extension not read (${extensionOf(entry.name)}; reads .json, .jsonl, .ndjson, .gz or no extension)`;
      if (reason === undefined) yield { kind: 'file', path, size: info.size };
      else onSkippedFile({ path, reason });
    } catch (error) {
      onError(inputError(path, error));
    }
  }
}

/**
 * The inputs named by `paths`, in order. A file named explicitly is read whatever its extension; a path that does
 * not exist or cannot be listed is reported through `onError` and skipped.
 */
export async function* expandPaths(
  paths: readonly string[],
  onError: (error: InputError) => void,
  onSkippedFile: OnSkippedFile = () => {},
): AsyncGenerator<InputTarget> {
  for (const path of paths) {
    if (path === STDIN_PATH) {
      yield { kind: 'stream', path: STDIN_PATH };
      continue;
    }
    let info: Stats;
    try {
      info = await stat(path);
    } catch (error) {
      onError(inputError(path, error));
      continue;
    }
    if (info.isDirectory()) yield* walk(path, onError, onSkippedFile);
    else if (info.isFile()) yield { kind: 'file', path, size: info.size };
    else if (info.isFIFO() || info.isCharacterDevice()) yield { kind: 'stream', path };
    else onError(new InputError(path, 'not a file, directory or pipe'));
  }
}

export interface InputSummary {
  /** Inputs found (files, plus stdin/pipes). */
  readonly inputs: number;
  /** Total size of the regular files, as stored (compressed bytes for .gz). */
  readonly bytes: number;
  /** False when stdin or a pipe is among the inputs: `bytes` then does not cover everything. */
  readonly sizeKnown: boolean;
}

/**
 * Counts what `paths` name, so a CLI can decide on a progress bar (compare with the bytes reported by
 * ReadOptions.onProgress). Problems are ignored here: readInputs reports them when it reaches them.
 */
export async function countInputs(paths: readonly string[]): Promise<InputSummary> {
  let inputs = 0;
  let bytes = 0;
  let sizeKnown = true;
  for await (const target of expandPaths(paths, () => {})) {
    inputs += 1;
    if (target.kind === 'file') bytes += target.size;
    else sizeKnown = false;
  }
  return { inputs, bytes, sizeKnown };
}
