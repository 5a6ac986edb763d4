/** jest globalSetup: one dynalite for the whole run, published to the workers through the SDK's endpoint variable. */
import { ENDPOINT_VARIABLE, startDynalite } from './dynalite';

export default async function globalSetup(): Promise<void> {
  const server = await startDynalite();
  process.env[ENDPOINT_VARIABLE] = server.endpoint;
  (globalThis as { __dynalite__?: typeof server }).__dynalite__ = server;
}
