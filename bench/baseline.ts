/**
 * The replay baselines, run as a child process over every .json.gz file under the given directories, with no
 * detection at all. Prints one JSON line {records, files, hits} on stdout.
 *  - default: read whole, gunzip, JSON.parse and count the records (what a full-parse replay must at least do);
 *  - `--floor`: read whole, gunzip and count the byte occurrences of the Secrets Manager event source — the least
 *    any replay that looks at every file must do (records are not counted, so `records` is 0).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

function files(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...files(path));
    else if (entry.name.endsWith('.json.gz')) out.push(path);
  }
  return out;
}

const floor = process.argv.includes('--floor');
const MARKER = Buffer.from('"eventSource":"secretsmanager.amazonaws.com"');
let records = 0;
let count = 0;
let hits = 0;
for (const dir of process.argv.slice(2).filter((a) => a !== '--floor')) {
  for (const path of files(dir)) {
    const data = gunzipSync(readFileSync(path));
    if (floor) {
      for (let at = data.indexOf(MARKER); at !== -1; at = data.indexOf(MARKER, at + MARKER.length)) hits++;
    } else {
      const doc = JSON.parse(data.toString('utf8')) as { Records?: unknown[] };
      records += doc.Records?.length ?? 0;
    }
    count += 1;
  }
}
process.stdout.write(`${JSON.stringify({ records, files: count, hits })}\n`);
