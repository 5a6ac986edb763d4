/**
 * Cold-start configuration for the Lambdas: the environment (lib/config/load.ts), plus the exceptions document from an
 * SSM parameter when EXCEPTIONS_PARAMETER names one (Lambda environment variables are limited to 4 KB in total).
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError } from '../engine/errors';
import { parseExceptions } from '../engine/exceptions';
import type { RuntimeConfig } from './load';

/**
 * Adds the exceptions from EXCEPTIONS_PARAMETER, if set. Call `loadConfig` synchronously at module scope first, so
 * an invalid variable fails the cold start itself with a message naming it.
 *
 * The SSM client module is loaded only when a parameter is named (`ssm` may return a promise for the same reason):
 * it is the largest SDK client in the ingest bundle, and evaluating it at every cold start cost init time that
 * most deployments, which set no parameter, never use.
 */
export async function withParameterExceptions(
  config: RuntimeConfig,
  ssm: () => SSMClient | Promise<SSMClient>,
): Promise<RuntimeConfig> {
  const name = config.exceptionsParameter;
  if (name === undefined) return config;
  let value: string | undefined;
  try {
    const [{ GetParameterCommand }, client] = await Promise.all([import('./ssm'), ssm()]);
    const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    value = out.Parameter?.Value;
  } catch (cause) {
    throw new ConfigError(
      'EXCEPTIONS_PARAMETER',
      name,
      'the name of a readable SSM parameter holding the exceptions JSON',
      {
        cause,
      },
    );
  }
  if (value === undefined) throw new ConfigError('EXCEPTIONS_PARAMETER', name, 'a parameter with a value');
  return Object.freeze({ ...config, exceptions: parseExceptions(value, `EXCEPTIONS_PARAMETER ${name}`) });
}
