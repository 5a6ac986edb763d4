/**
 * Streaming readers for CloudTrail input: S3 log files, EventBridge events, JSON arrays and JSON Lines, plain or
 * gzipped, from files, directories, pipes and stdin. One input is held at a time; JSON Lines are streamed line by line.
 *
 * Format detection per input:
 * - `*.json` / `*.json.gz` files up to `maxDocumentBytes` are read whole (fast path: read, gunzip, JSON.parse). If the
 *   text is not one JSON document but has several lines, it is read as JSON Lines.
 * - Everything else (JSON Lines files, files with other names, stdin, pipes) is streamed: when the first non-blank
 *   line parses on its own, the input is JSON Lines; when it does not but starts with '{' or '[', the input is one
 *   multi-line document (read whole), unless the second line parses on its own as an object or array (JSON Lines
 *   whose first line is broken).
 * - JSON Lines: blank lines are ignored, a line that does not parse counts as 'unparsable-json' and the rest
 *   continues. An input in which no line parses is reported as an InputError instead.
 * - Back-to-back JSON (`{…}{…}`, what Firehose writes when it archives EventBridge events to S3), with or without
 *   whitespace or newlines between the values, compact or pretty-printed: a document or line that does not parse
 *   as one value is split into top-level values (splitConcatenated); it is used only when every value parses, so
 *   a broken line in JSON Lines is still one counted skip.
 * Gzip is recognised by its magic bytes (1f 8b), whatever the file name.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { InputError } from '../../engine/errors';
import type { SkipReason } from '../../engine/event';
import { collectRecords } from '../../engine/records';
import { expandPaths, type InputTarget, inputError, type SkippedFile, STDIN_PATH, STDIN_SOURCE } from './paths';

// The public input API lives here; paths.ts is its helper.
export {
  countInputs,
  INPUT_FILE_NAME,
  type InputSummary,
  type SkippedFile,
  STDIN_PATH,
  STDIN_SOURCE,
  sniffJson,
} from './paths';

/**
 * Largest document (decompressed) or JSON line accepted. CloudTrail S3 log files are a few MB; V8 strings stop at
 * ~512 MiB, and parsing a document this size already takes several times its size in memory.
 */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024;

/** File names read whole when small enough; everything else is streamed. */
const WHOLE_DOCUMENT_NAME = /\.json(?:\.gz)?$/i;
const GUNZIP_CHUNK_BYTES = 64 * 1024;

/** One CloudTrail record (not yet validated) or one skipped piece of input, with the file it came from. */
export type InputItem =
  | { readonly record: unknown; readonly source: string }
  | { readonly skip: SkipReason; readonly source: string };

/** Records and skips of one document, or of the JSON lines decoded from one chunk of a stream. */
export interface InputBatch {
  readonly source: string;
  readonly records: unknown[];
  readonly skipped: SkipReason[];
}

export interface ReadOptions {
  /** Read for the path '-' (default: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream;
  /** An input could not be read (missing, unreadable, corrupt or truncated gzip, not JSON); reading goes on. */
  onError(error: InputError): void;
  /**
   * Input consumed so far, over all inputs of this call, counted as stored (compressed bytes for .gz): ends at
   * countInputs(paths).bytes for regular files. Called per chunk read (per file for files read whole).
   */
  onProgress?(bytesDone: number, source: string): void;
  /** Largest decompressed document or JSON line (default MAX_DOCUMENT_BYTES); larger input is an error or skip. */
  readonly maxDocumentBytes?: number;
  /** A directory walk passed over a file that does not hold JSON (paths.ts says how it decides); reading goes on. */
  onSkippedFile?(file: SkippedFile): void;
}

function emptyBatch(source: string): { source: string; records: unknown[]; skipped: SkipReason[] } {
  return { source, records: [], skipped: [] };
}

function hasContent(batch: InputBatch): boolean {
  return batch.records.length > 0 || batch.skipped.length > 0;
}

function isGzip(data: Uint8Array): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

function isBlank(line: string): boolean {
  // Fast path: a JSON line almost always starts with '{'. trim() also drops '\r' and a byte-order mark.
  return line.charCodeAt(0) !== 0x7b && line.trim() === '';
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function firstNonSpace(text: string): string {
  const match = /\S/.exec(text);
  return match === null ? '' : match[0];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The top-level JSON objects and arrays of `text` written back to back (whitespace between them allowed), or
 * undefined when `text` is not exactly that or any value does not parse. A scan of braces outside strings finds
 * where each value ends; JSON.parse does the parsing.
 */
export function splitConcatenated(text: string): unknown[] | undefined {
  const values: unknown[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xfeff) {
      i += 1;
      continue;
    }
    if (c !== 0x7b && c !== 0x5b) return undefined;
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < n; i += 1) {
      const d = text.charCodeAt(i);
      if (inString) {
        if (d === 0x5c) i += 1;
        else if (d === 0x22) inString = false;
      } else if (d === 0x22) inString = true;
      else if (d === 0x7b || d === 0x5b) depth += 1;
      else if (d === 0x7d || d === 0x5d) {
        depth -= 1;
        if (depth === 0) break;
      }
    }
    if (depth !== 0) return undefined;
    i += 1;
    try {
      values.push(JSON.parse(text.slice(start, i)));
    } catch {
      return undefined;
    }
  }
  return values.length > 0 ? values : undefined;
}

/**
 * Parses one whole decoded input: a single JSON document, back-to-back documents, else JSON Lines when it has
 * several lines. Throws an
 * InputError when it is neither. Empty or blank input gives no batch.
 */
function parseText(text: string, source: string): InputBatch | undefined {
  const body = stripBom(text);
  if (firstNonSpace(body) === '') return undefined;
  const batch = emptyBatch(source);
  try {
    collectRecords(JSON.parse(body), batch.records, batch.skipped);
    return batch;
  } catch (error) {
    const values = splitConcatenated(body);
    if (values !== undefined) {
      for (const value of values) collectRecords(value, batch.records, batch.skipped);
      return batch;
    }
    if (!body.includes('\n')) throw new InputError(source, `not valid JSON (${errorMessage(error)})`, { cause: error });
    let parsed = 0;
    for (const line of body.split('\n')) {
      if (isBlank(line)) continue;
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch {
        batch.skipped.push('unparsable-json');
        continue;
      }
      parsed += 1;
      collectRecords(doc, batch.records, batch.skipped);
    }
    if (parsed === 0) {
      throw new InputError(source, `neither a JSON document nor JSON Lines (${errorMessage(error)})`, { cause: error });
    }
    return batch;
  }
}

type SplitMode = 'first' | 'second' | 'lines' | 'document';

/**
 * Turns a byte stream into batches, deciding between JSON Lines and one multi-line document as it goes (see the
 * file comment). Lines are cut at byte 0x0a, which never occurs inside a multi-byte UTF-8 character.
 */
class StreamDecoder {
  private mode: SplitMode = 'first';
  /** Bytes of the current, unfinished line. */
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Discarding the rest of an over-long line (already counted as a skip). */
  private dropping = false;
  /** In 'second' mode: the first line, which did not parse alone. */
  private firstLine = '';
  private parsedLines = 0;
  /** Unparsable lines before the first good one: reported only if some line parses, else the input is an error. */
  private pendingSkips = 0;
  private document: Buffer[] = [];
  private documentBytes = 0;

  constructor(
    private readonly source: string,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): InputBatch | undefined {
    if (this.mode === 'document') {
      this.addToDocument(chunk);
      return undefined;
    }
    const batch = emptyBatch(this.source);
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline === -1) break;
      const line = this.takeLine(chunk, start, newline, batch);
      start = newline + 1;
      if (line !== undefined) this.handleLine(line, batch);
      if (this.isDocument()) {
        this.addToDocument(chunk.subarray(start));
        return hasContent(batch) ? batch : undefined;
      }
    }
    if (start < chunk.length) this.keep(chunk.subarray(start), batch);
    return hasContent(batch) ? batch : undefined;
  }

  /** A method, so that TypeScript does not keep `mode` narrowed across handleLine calls. */
  private isDocument(): boolean {
    return this.mode === 'document';
  }

  /** The input ended: the last line (without newline), the buffered document, or an error if nothing parsed. */
  end(): InputBatch | undefined {
    const batch = emptyBatch(this.source);
    if (this.mode !== 'document' && !this.dropping && this.carryBytes > 0) {
      const line = Buffer.concat(this.carry, this.carryBytes).toString('utf8');
      this.carry = [];
      this.carryBytes = 0;
      this.handleLine(line, batch);
    }
    return this.finish(batch);
  }

  private finish(batch: InputBatch): InputBatch | undefined {
    switch (this.mode) {
      case 'document': {
        const text = Buffer.concat(this.document, this.documentBytes).toString('utf8');
        this.document = [];
        return parseText(text, this.source);
      }
      case 'second':
        throw new InputError(this.source, 'not valid JSON (a single line that does not parse)');
      default:
        if (this.parsedLines === 0 && this.pendingSkips > 0) {
          throw new InputError(this.source, 'neither a JSON document nor JSON Lines (no line parses)');
        }
        return hasContent(batch) ? batch : undefined;
    }
  }

  private tooLong(what: string): InputError {
    return new InputError(this.source, `${what} is larger than ${this.maxBytes} bytes`);
  }

  private skipLine(batch: InputBatch): void {
    if (this.parsedLines === 0) this.pendingSkips += 1;
    else batch.skipped.push('unparsable-json');
  }

  /** The text of the line ending at `end`, or undefined when it was too long (counted as a skip). */
  private takeLine(chunk: Buffer, start: number, end: number, batch: InputBatch): string | undefined {
    if (this.dropping) {
      this.dropping = false;
      return undefined;
    }
    const total = this.carryBytes + (end - start);
    if (total > this.maxBytes) {
      this.carry = [];
      this.carryBytes = 0;
      if (this.mode !== 'lines') throw this.tooLong('a line before the format is known');
      this.skipLine(batch);
      return undefined;
    }
    if (this.carryBytes === 0) return chunk.toString('utf8', start, end);
    this.carry.push(chunk.subarray(start, end));
    const line = Buffer.concat(this.carry, total).toString('utf8');
    this.carry = [];
    this.carryBytes = 0;
    return line;
  }

  /** Holds the unfinished end of a chunk, or starts dropping a line that is already too long. */
  private keep(part: Buffer, batch: InputBatch): void {
    if (this.dropping) return;
    if (this.carryBytes + part.length > this.maxBytes) {
      this.carry = [];
      this.carryBytes = 0;
      if (this.mode !== 'lines') throw this.tooLong('a line before the format is known');
      this.dropping = true;
      this.skipLine(batch);
      return;
    }
    this.carry.push(part);
    this.carryBytes += part.length;
  }

  private addToDocument(part: Buffer): void {
    this.documentBytes += part.length;
    if (this.documentBytes > this.maxBytes) throw this.tooLong('the document');
    this.document.push(part);
  }

  private handleLine(raw: string, batch: InputBatch): void {
    if (isBlank(raw)) return;
    if (this.mode === 'lines') {
      let doc: unknown;
      try {
        doc = JSON.parse(raw);
      } catch {
        const values = splitConcatenated(raw);
        if (values === undefined) this.skipLine(batch);
        else for (const value of values) this.addParsed(value, batch);
        return;
      }
      this.addParsed(doc, batch);
      return;
    }
    if (this.mode === 'first') {
      const line = stripBom(raw);
      const parsed = tryParse(line);
      if (parsed.ok) {
        this.mode = 'lines';
        this.addParsed(parsed.value, batch);
        return;
      }
      // Back-to-back values on one line (Firehose): lines of such values follow, or nothing does.
      const values = splitConcatenated(line);
      if (values !== undefined) {
        this.mode = 'lines';
        for (const value of values) this.addParsed(value, batch);
        return;
      }
      const first = firstNonSpace(line);
      if (first === '{' || first === '[') {
        this.mode = 'second';
        this.firstLine = line;
      } else {
        this.mode = 'lines';
        this.pendingSkips += 1;
      }
      return;
    }
    // 'second': a pretty-printed document's second line never parses alone as an object or array; a JSON line does.
    const parsed = tryParse(raw);
    if (parsed.ok && typeof parsed.value === 'object' && parsed.value !== null) {
      this.mode = 'lines';
      this.pendingSkips += 1;
      this.addParsed(parsed.value, batch);
      return;
    }
    this.mode = 'document';
    this.addToDocument(Buffer.from(`${this.firstLine}\n${raw}\n`, 'utf8'));
    this.firstLine = '';
  }

  private addParsed(doc: unknown, batch: InputBatch): void {
    if (this.parsedLines === 0 && this.pendingSkips > 0) {
      for (let i = 0; i < this.pendingSkips; i += 1) batch.skipped.push('unparsable-json');
      this.pendingSkips = 0;
    }
    this.parsedLines += 1;
    collectRecords(doc, batch.records, batch.skipped);
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Adds `bytes` of `source` to the running total reported through ReadOptions.onProgress. */
type Progress = (bytes: number, source: string) => void;

/** Raw chunks of a stream as Buffers, reporting progress as they are read. */
async function* countedChunks(
  stream: AsyncIterable<Buffer | string>,
  source: string,
  progress: Progress | undefined,
): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    progress?.(buffer.length, source);
    yield buffer;
  }
}

/** The stream's bytes, gunzipped when they start with the gzip magic bytes. */
async function* decodedChunks(raw: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  // Peek at the first two bytes (a stream may deliver a single byte first).
  let head: Buffer = Buffer.alloc(0);
  let ended = false;
  while (head.length < 2) {
    const next = await raw.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (!ended) yield* raw;
    } finally {
      // A consumer that stops while the peeked chunk is out never reaches `yield* raw`: close the stream here.
      await raw.return(undefined);
    }
  }
  if (!isGzip(head)) {
    yield* replay();
    return;
  }
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  // pipeline destroys both sides on error, so a read error or bad gzip data surfaces in the loop below.
  pipeline(Readable.from(replay(), { objectMode: false }), gunzip, () => {});
  for await (const chunk of gunzip) yield chunk as Buffer;
}

async function* readStream(
  target: InputTarget,
  source: string,
  options: ReadOptions,
  maxBytes: number,
  progress: Progress | undefined,
): AsyncGenerator<InputBatch> {
  const stream: AsyncIterable<Buffer | string> =
    target.path === STDIN_PATH ? (options.stdin ?? process.stdin) : createReadStream(target.path);
  yield* decodeStream(stream, source, maxBytes, progress);
}

async function* decodeStream(
  stream: AsyncIterable<Buffer | string>,
  source: string,
  maxBytes: number,
  progress: Progress | undefined,
): AsyncGenerator<InputBatch> {
  const decoder = new StreamDecoder(source, maxBytes);
  for await (const chunk of decodedChunks(countedChunks(stream, source, progress))) {
    const batch = decoder.push(chunk);
    if (batch !== undefined) yield batch;
  }
  const last = decoder.end();
  if (last !== undefined) yield last;
}

/**
 * Reads a .json(.gz) file whole. Returns false (nothing consumed or reported) when its decompressed size exceeds
 * the limit, so that the caller streams it instead (it may be large JSON Lines under a .json name).
 */
async function readWholeFile(
  path: string,
  maxBytes: number,
  progress: Progress | undefined,
): Promise<InputBatch | false> {
  const data = await readFile(path);
  let bytes: Buffer<ArrayBufferLike> = data;
  if (isGzip(data)) {
    try {
      bytes = gunzipSync(data, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') return false;
      // The file is consumed even though it is unusable: count it, so progress still ends at the total.
      progress?.(data.length, path);
      throw error;
    }
  }
  progress?.(data.length, path);
  return parseText(bytes.toString('utf8'), path) ?? emptyBatch(path);
}

/**
 * Records and skips from all inputs, one batch per document (or per chunk of JSON lines), in input order. Problems
 * with an input go to `options.onError` and reading continues with the next one; records already yielded from a
 * stream that fails midway (e.g. a truncated .jsonl.gz) stay yielded.
 */
export async function* readInputBatches(
  paths: readonly string[],
  options: ReadOptions,
): AsyncGenerator<InputBatch, void, undefined> {
  const maxBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;
  const onProgress = options.onProgress;
  let bytesDone = 0;
  const progress: Progress | undefined =
    onProgress === undefined
      ? undefined
      : (bytes, source) => {
          bytesDone += bytes;
          onProgress(bytesDone, source);
        };
  for await (const target of expandPaths(paths, options.onError, options.onSkippedFile)) {
    const source = target.path === STDIN_PATH ? STDIN_SOURCE : target.path;
    try {
      if (target.kind === 'file' && target.size <= maxBytes && WHOLE_DOCUMENT_NAME.test(target.path)) {
        const batch = await readWholeFile(target.path, maxBytes, progress);
        if (batch !== false) {
          if (hasContent(batch)) yield batch;
          continue;
        }
      }
      yield* readStream(target, source, options, maxBytes, progress);
    } catch (error) {
      options.onError(inputError(source, error));
    }
  }
}

/**
 * Records and skips from all inputs, one item at a time (see readInputBatches). Within a document, its skips come
 * before its records.
 */
export async function* readInputs(
  paths: readonly string[],
  options: ReadOptions,
): AsyncGenerator<InputItem, void, undefined> {
  for await (const batch of readInputBatches(paths, options)) {
    const source = batch.source;
    for (const skip of batch.skipped) yield { skip, source };
    for (const record of batch.records) yield { record, source };
  }
}

/**
 * Records and skips of one input that is not a local file (an S3 object body, for instance), decoded like a
 * streamed file: gzip sniffed, JSON document, JSON Lines or back-to-back JSON. Errors are thrown as InputError.
 */
export async function* readStreamInput(
  stream: AsyncIterable<Buffer | string>,
  source: string,
  maxDocumentBytes: number = MAX_DOCUMENT_BYTES,
): AsyncGenerator<InputItem, void, undefined> {
  try {
    for await (const batch of decodeStream(stream, source, maxDocumentBytes, undefined)) {
      for (const skip of batch.skipped) yield { skip, source };
      for (const record of batch.records) yield { record, source };
    }
  } catch (error) {
    throw inputError(source, error);
  }
}
