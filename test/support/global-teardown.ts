/** jest globalTeardown: stops the dynalite that globalSetup started, so jest exits without open handles. */
import type { RunningDynalite } from './dynalite';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __dynalite__?: RunningDynalite };
  await holder.__dynalite__?.close();
  holder.__dynalite__ = undefined;
}
