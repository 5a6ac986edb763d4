/**
 * The SSM client parts resolve.ts uses, in their own module: resolve.ts imports it only when EXCEPTIONS_PARAMETER is
 * set, and named re-exports let the bundler keep just these two of the client package.
 */
export { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
