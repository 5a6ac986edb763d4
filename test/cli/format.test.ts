/** The terminal alert shows the actor's parts that are present (docs/PRESETS.md, "Who is the actor"). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatNotification } from '../../lib/cli/format';
import { loadConfig } from '../../lib/config/load';
import type { Alert } from '../../lib/engine/alert';
import { replay } from '../../lib/usecases/replay';

const fixture = (name: string): unknown[] =>
  JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'presets', name), 'utf8'));

async function alertOf(name: string): Promise<Alert> {
  const { notifications } = await replay(
    fixture(name).map((record) => ({ record })),
    loadConfig({ RSR_PRESET: 'recommended' }),
  );
  return notifications[0] as Alert;
}

describe('terminal alert', () => {
  it('prints role and session of an Identity Center user', async () => {
    const text = formatNotification(await alertOf('sso-one-user-24.json'));
    expect(text).toMatch(
      /^ {2}actor {6}role arn:aws:iam::111122223333:role\/aws-reserved\/sso\.amazonaws\.com\/AWSReservedSSO_Developer_0123456789abcdef, session mallory@example\.com$/m,
    );
  });

  it('prints the source identity', async () => {
    const text = formatNotification(await alertOf('source-identity-two-roles.json'));
    expect(text).toMatch(/^ {2}actor {6}role .*, session s-\d+, source identity mallory$/m);
  });

  it('prints no actor line for an IAM user', async () => {
    const text = formatNotification(await alertOf('batch-filter-service-1x20.json'));
    expect(text).not.toMatch(/^ {2}actor/m);
  });
});
