/**
 * The docs' settings tables are generated from lib/config/settings.ts: each marked region must hold exactly what the
 * table renders. After changing a setting, run `UPDATE_DOCS=1 npx jest test/config/settings-docs` and review the diff.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATED_DOC_TABLES } from '../../lib/config/docs';
import { ROOT } from '../support/cli';

const region = (marker: string) =>
  new RegExp(`(<!-- generated:${marker} [^>]*-->\\n)([\\s\\S]*?)(\\n<!-- /generated:${marker} -->)`);

describe.each(GENERATED_DOC_TABLES)('$file, table $marker', ({ file, marker, render }) => {
  test('matches the settings table', () => {
    const path = join(ROOT, file);
    const text = readFileSync(path, 'utf8');
    const match = region(marker).exec(text);
    expect(match).not.toBeNull();
    if (process.env.UPDATE_DOCS === '1') {
      writeFileSync(
        path,
        text.replace(region(marker), (_m, open: string, _body, close: string) => `${open}${render()}${close}`),
      );
      return;
    }
    expect(match?.[2]).toBe(render());
  });
});
