/**
 * The replay baseline, run as a child process: read every .json.gz file under the given directories exactly as
 * `rsr replay` reads a CloudTrail file (read whole, gunzip, JSON.parse) and count the records — no detection at all.
 * Prints one JSON line {records, files} on stdout.
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

let records = 0;
let count = 0;
for (const dir of process.argv.slice(2)) {
  for (const path of files(dir)) {
    const doc = JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { Records?: unknown[] };
    records += doc.Records?.length ?? 0;
    count += 1;
  }
}
process.stdout.write(`${JSON.stringify({ records, files: count })}\n`);
