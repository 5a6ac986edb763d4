/**
 * The one logger type every layer takes: the part of the Powertools logger the code uses (a fixed message plus a data
 * object). The Lambdas pass their Powertools Logger; tests and the CLI pass any object with these methods.
 */
import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

export type Logger = Pick<PowertoolsLogger, 'debug' | 'info' | 'warn' | 'error'>;
