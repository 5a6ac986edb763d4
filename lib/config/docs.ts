/**
 * The settings tables of README.md and docs/DEPLOY.md, generated from the settings table (./settings.ts) so that the
 * docs cannot drift from the code. test/config/settings-docs.test.ts checks the committed docs against these and
 * rewrites them with UPDATE_DOCS=1.
 */
import { DEFAULTS } from '../engine/settings';
import { DEPLOY_PARAMETERS, SETTING_NAMES, SETTINGS, type SettingName } from './settings';

const shown = (value: unknown): string => {
  if (value === undefined || value === '') return 'none';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : `\`${value.join(',')}\``;
  if (typeof value === 'number') return String(value);
  return `\`${String(value)}\``;
};

const defaultOf = (key: SettingName) => (key === 'exceptions' ? 'none' : shown(DEFAULTS[key]));

/** README: the CLI's flags with their variables and built-in defaults (preset `elastic-2024`). */
export function readmeSettingsTable(): string {
  const rows = SETTING_NAMES.flatMap((key) => {
    const spec = SETTINGS[key];
    if (spec.flag === undefined) return [];
    return [
      `| \`${spec.flag.split(' ')[0]}\` | \`${spec.env}\` | ${defaultOf(key)} | ${spec.doc} (${spec.accepted}) |`,
    ];
  });
  rows.push(
    `| \`--exceptions FILE\` | \`${SETTINGS.exceptions.env}\` (inline JSON) or \`${SETTINGS.exceptionsParameter.env}\` (SSM name) | none | exception entries (docs/EXCEPTIONS.md) |`,
  );
  return ['| flag | variable | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** DEPLOY.md: every setting that is a deploy parameter, with its variable, built-in default and meaning. */
export function deploySettingsTable(): string {
  const rows = SETTING_NAMES.filter((key) => SETTINGS[key].param).map((key) => {
    const spec = SETTINGS[key];
    return `| \`${key}\` (\`${spec.env}\`) | ${defaultOf(key)} | ${spec.doc}; accepts ${spec.accepted} |`;
  });
  return ['| Parameter (variable) | Built-in default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** DEPLOY.md: the stack-only parameters. */
export function deployParametersTable(): string {
  const rows = Object.entries(DEPLOY_PARAMETERS).map(
    ([name, p]) => `| \`${name}\` | ${shown(p.default)} | ${p.doc}; accepts ${p.accepted} |`,
  );
  return ['| Parameter | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

/** Marked regions of the docs and what each holds. */
export const GENERATED_DOC_TABLES: readonly { file: string; marker: string; render: () => string }[] = [
  { file: 'README.md', marker: 'settings', render: readmeSettingsTable },
  { file: 'docs/DEPLOY.md', marker: 'settings', render: deploySettingsTable },
  { file: 'docs/DEPLOY.md', marker: 'parameters', render: deployParametersTable },
];
