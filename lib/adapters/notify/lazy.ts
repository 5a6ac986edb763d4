/**
 * A publisher built on its first publish. The evaluator uses it for the Security Hub import, whose client module
 * only deployments with SECURITY_HUB=true need: loading it when the first alert is published keeps it out of every
 * cold start. A failed build rejects that publish (the alert stays pending and is retried) and is tried again on the
 * next one.
 */
import type { Notification } from '../../engine/alert';
import type { AlertPublisher } from '../../engine/ports';

export class LazyPublisher implements AlertPublisher {
  private built: Promise<AlertPublisher> | undefined;
  private inner: AlertPublisher | undefined;

  constructor(private readonly build: () => Promise<AlertPublisher>) {}

  /** The built publisher's side failure count (lib/usecases/evaluate.ts reads it); 0 before it exists. */
  get failures(): number {
    const failures = (this.inner as { readonly failures?: unknown } | undefined)?.failures;
    return typeof failures === 'number' ? failures : 0;
  }

  async publish(notification: Notification): Promise<void> {
    this.built ??= this.build().then(
      (publisher) => {
        this.inner = publisher;
        return publisher;
      },
      (error: unknown) => {
        this.built = undefined;
        throw error;
      },
    );
    await (await this.built).publish(notification);
  }
}
