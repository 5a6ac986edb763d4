/**
 * Hostile files through readInputs and replay (the `rsr replay` path): truncated and corrupt .json.gz, binary
 * garbage, 10 000 levels of nesting, 1 MB user agents, a byte-order mark, empty files. A file that cannot be read
 * is reported through onError and the others are still read; no reader throws; records from the part of a stream
 * read before the damage stay counted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readInputs } from '../../lib/adapters/io/read';
import { loadConfig } from '../../lib/config/load';
import type { InputError } from '../../lib/engine/errors';
import { toAccessEvent } from '../../lib/engine/records';
import { replay } from '../../lib/usecases/replay';
import { baseRecord, CaseCounter, expectBalanced, FIXTURES } from '../support/hostile';

const cases = new CaseCounter();
afterAll(() => console.log(cases.report('hostile files (property)')));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rsr-hostile-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stratus = readFileSync(join(FIXTURES, 'stratus-red-team', 'secretsmanager-retrieve-secrets.json'), 'utf8');
const stratusRecords = JSON.parse(stratus) as { eventID: string }[];
const s3Log = JSON.stringify({ Records: stratusRecords });
const jsonLines = stratusRecords.map((r) => JSON.stringify(r)).join('\n');

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(paths: string[]) {
  const errors: InputError[] = [];
  const ids: string[] = [];
  let skips = 0;
  for await (const item of readInputs(paths, { onError: (e) => errors.push(e) })) {
    if ('skip' in item) {
      skips++;
      continue;
    }
    const parsed = toAccessEvent(item.record);
    ids.push(parsed.ok ? parsed.value.eventId : `skip:${parsed.reason}`);
  }
  return { errors, ids, skips };
}

describe('damaged and hostile files', () => {
  it('reports each unreadable file by name, reads every other one, and replays the rest to the same single alert', async () => {
    // Prepare
    const gz = gzipSync(s3Log);
    const corrupt = Buffer.from(gz);
    for (let i = 40; i < 60; i++) corrupt[i] = (corrupt[i] as number) ^ 0xff;
    const deep = `${'['.repeat(10_000)}{}${']'.repeat(10_000)}`;
    const hugeAgent = { ...baseRecord(), eventID: 'huge-agent', userAgent: 'A'.repeat(1 << 20) };
    const good = file('good.json', s3Log);
    const unreadable = {
      truncated: file('truncated.json.gz', gz.subarray(0, Math.floor(gz.length / 2))),
      corrupt: file('corrupt.json.gz', corrupt),
      gzippedGarbage: file('garbage.json.gz', gzipSync(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x7b]))),
      binary: file('binary.json', Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x22, 0x0a, 0x80])),
    };
    const readable = [
      good,
      file('empty.json', ''),
      file('bom.json', `\ufeff${s3Log}`),
      file('deep.json', deep),
      file('huge-agent.jsonl', `${JSON.stringify(hugeAgent)}\n{"broken":\n${JSON.stringify(hugeAgent)}\n`),
    ];
    // Act
    const read = await readAll([...readable, ...Object.values(unreadable)]);
    const errors: InputError[] = [];
    const result = await replay(
      readInputs([...readable, ...Object.values(unreadable)], { onError: (e) => errors.push(e) }),
      loadConfig({}),
    );
    // Assess
    expect(read.errors.map((e) => e.path).sort()).toEqual(Object.values(unreadable).sort());
    expect(errors).toHaveLength(4);
    // good.json and bom.json: the 20 reads twice; huge-agent.jsonl: one record, repeated; deep.json: one non-object.
    expect(read.ids.filter((id) => !id.startsWith('skip:'))).toHaveLength(2 * stratusRecords.length + 2);
    expect(read.ids.filter((id) => id === 'skip:not-an-object')).toHaveLength(1);
    expect(read.skips).toBe(1); // the broken JSON line
    expectBalanced(result.stats);
    expect(result.notifications.filter((n) => n.kind === 'alert')).toHaveLength(1);
  });

  it('yields the records read before the damage in a truncated gzipped JSON Lines file, and reports the damage', async () => {
    // Prepare
    const gz = gzipSync(jsonLines);
    const path = file('cut.jsonl.gz', gz.subarray(0, gz.length - 30));
    // Act
    const read = await readAll([path]);
    // Assess
    expect(read.errors).toHaveLength(1);
    expect(read.errors[0]?.path).toBe(path);
    const all = stratusRecords.map((r) => r.eventID);
    expect(read.ids.every((id) => all.includes(id))).toBe(true);
  });
});

describe('generated damage', () => {
  it('never throws on a .json.gz cut at any byte, and yields only genuine records (150 cuts)', async () => {
    const gz = gzipSync(jsonLines);
    const ids = new Set(stratusRecords.map((r) => r.eventID));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: gz.length - 1 }),
        cases.count('truncated .jsonl.gz', async (cut) => {
          const path = file(`cut-${cut}.jsonl.gz`, gz.subarray(0, cut));
          const read = await readAll([path]);
          rmSync(path);
          return read.ids.every((id) => ids.has(id)) && (cut === gz.length || read.errors.length <= 1);
        }),
      ),
      { numRuns: 150 },
    );
  });

  it('never throws on arbitrary bytes under .json, .json.gz and .jsonl names (150 files)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.constantFrom('.json', '.json.gz', '.jsonl'),
        fc.boolean(),
        cases.count('random bytes file', async (bytes, extension, gzipped) => {
          const path = file(`random${extension}`, gzipped ? gzipSync(bytes) : Buffer.from(bytes));
          const read = await readAll([path]);
          // Either the file is reported, or whatever it held went through the parser by name.
          return read.errors.length <= 1 && read.ids.every((id) => typeof id === 'string');
        }),
      ),
      { numRuns: 150 },
    );
  });
});
