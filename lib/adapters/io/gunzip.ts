/**
 * Gunzip of whole files into one output buffer that is kept and reused, file after file, by the thread.
 *
 * Why: `zlib.gunzipSync` returns a new buffer for every file. CloudTrail files decompress to a few megabytes each, and
 * fresh allocations of that size come straight from the operating system, page by page: on 1 M records (1.25 GB of
 * JSON) that was about 300,000 page faults and over a second of system time, and two worker threads of one process
 * faulting at once scaled badly (measured). Reusing one buffer touches those pages once.
 *
 * How: Node's zlib objects drive a native handle through `_handle.writeSync(flush, in, inOff, inLen, out, outOff,
 * outLen)` and read what is left of input and output from `_writeState`; `gunzipSync` is that loop with a new output
 * buffer per call. These two members are internal (stable since Node 10, present in 20 to 24), so their presence is
 * checked, and without them every call simply uses `gunzipSync`.
 *
 * Contract (test/io/gunzip.test.ts): `gunzip(data, max)` returns exactly the bytes `gunzipSync(data)` returns, or
 * throws whenever `gunzipSync(data, { maxOutputLength: max })` throws (corrupt, truncated, too large). Several gzip
 * members are inflated one after the other, as gunzipSync does (the native handle does it in both cases).
 * The returned buffer is a view of the reused one: valid until the next call on the same thread, so callers finish
 * with it synchronously.
 */
import { types } from 'node:util';
import { constants, createGunzip, type Gunzip, gunzipSync } from 'node:zlib';

interface NativeHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inOff: number,
    inLen: number,
    out: Buffer,
    outOff: number,
    outLen: number,
  ): void;
}
interface Internals {
  readonly _handle?: NativeHandle;
  readonly _writeState?: Uint32Array;
}

/** The reused buffer's first size; it doubles as needed (CloudTrail files are usually under 8 MB of JSON). */
const INITIAL_BYTES = 8 * 1024 * 1024;
/** A buffer grown beyond this for one large file is dropped afterwards rather than kept for the thread. */
const KEEP_BYTES = 64 * 1024 * 1024;

export class GunzipError extends Error {
  override readonly name = 'GunzipError';
}

let engine: Gunzip | undefined;
let out: Buffer | undefined;

/** A zlib engine whose internals are usable, or undefined (then gunzipSync is used). */
/** Set once a zlib object lacked the internals: then every call is gunzipSync, without probing again. */
let unavailable = false;

function engineFor(): Gunzip | undefined {
  if (engine !== undefined && !engine.destroyed) return engine;
  if (unavailable) return undefined;
  const created = createGunzip();
  // zlib reports a failure by destroying the stream with an error: listened to here so it never goes unhandled.
  created.on('error', () => {});
  const internals = created as unknown as Internals;
  if (typeof internals._handle?.writeSync !== 'function' || !types.isUint32Array(internals._writeState)) {
    unavailable = true;
    created.destroy();
    return undefined;
  }
  engine = created;
  return engine;
}

/** Whether this Node's zlib internals allow the reused buffer (otherwise gunzip is gunzipSync). */
export function reusesBuffer(): boolean {
  return engineFor() !== undefined;
}

function grown(buffer: Buffer, used: number, maxBytes: number): Buffer {
  const next = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
  buffer.copy(next, 0, 0, used);
  return next;
}

/** The decompressed bytes of `data` (see the contract above); throws on corrupt, truncated or too large input. */
export function gunzip(data: Buffer, maxBytes: number): Buffer {
  const z = engineFor();
  if (z === undefined) return gunzipSync(data, { maxOutputLength: maxBytes });
  const { _handle: handle, _writeState: state } = z as unknown as Required<Internals>;
  let buffer = out ?? Buffer.allocUnsafe(Math.min(INITIAL_BYTES, maxBytes + 1));
  let inOff = 0;
  let inLen = data.length;
  let used = 0;
  try {
    for (;;) {
      const room = buffer.length - used;
      handle.writeSync(constants.Z_FINISH, data, inOff, inLen, buffer, used, room);
      if (z.destroyed) throw new GunzipError('corrupt or truncated gzip data');
      const outLeft = state[0] as number;
      const inLeft = state[1] as number;
      used += room - outLeft;
      inOff += inLen - inLeft;
      inLen = inLeft;
      if (used > maxBytes) throw new GunzipError(`more than ${maxBytes} bytes once decompressed`);
      // Output space left over: zlib is done with the input (as in gunzipSync, which loops only on a full buffer).
      if (outLeft !== 0) break;
      buffer = grown(buffer, used, maxBytes);
    }
    // Ready for the next file (a documented method of zlib objects, missing from @types/node's Gunzip).
    (z as unknown as { reset(): void }).reset();
  } catch (error) {
    // The engine's state is unknown after a failure: the next call starts a new one.
    z.destroy();
    engine = undefined;
    throw error;
  } finally {
    out = buffer.length <= KEEP_BYTES ? buffer : undefined;
  }
  return buffer.subarray(0, used);
}
