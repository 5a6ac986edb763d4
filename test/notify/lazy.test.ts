import { LazyPublisher } from '../../lib/adapters/notify/lazy';
import type { Notification } from '../../lib/engine/alert';
import type { AlertPublisher } from '../../lib/engine/ports';

const note = { alertId: 'rsr-1' } as unknown as Notification;

describe('LazyPublisher', () => {
  it('builds the publisher once, at the first publish, and forwards its failure count', async () => {
    const sent: string[] = [];
    let builds = 0;
    const inner: AlertPublisher & { failures: number } = {
      failures: 0,
      publish: async (n) => {
        sent.push(n.alertId);
      },
    };
    const lazy = new LazyPublisher(async () => {
      builds++;
      return inner;
    });
    expect(builds).toBe(0);
    expect(lazy.failures).toBe(0);
    await Promise.all([lazy.publish(note), lazy.publish(note)]);
    inner.failures = 2;
    expect(builds).toBe(1);
    expect(sent).toEqual(['rsr-1', 'rsr-1']);
    expect(lazy.failures).toBe(2);
  });

  it('rejects the publish when the build fails, and builds again on the next one', async () => {
    let builds = 0;
    const lazy = new LazyPublisher(async () => {
      builds++;
      if (builds === 1) throw new Error('module not loadable');
      return { publish: async () => {} };
    });
    await expect(lazy.publish(note)).rejects.toThrow('module not loadable');
    await expect(lazy.publish(note)).resolves.toBeUndefined();
    expect(builds).toBe(2);
  });
});
