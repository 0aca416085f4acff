import { afterEach } from 'vitest';
import { startOutbound } from './outbound.ts';
import { Sink } from './sink.ts';

/** Outbound gateways (see `startOutbound`) and SMTP sinks for the tests of a file, each closed
 * after its test, as is what `defer` is given. */
export function outboundPerTest() {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });
  return {
    defer: (close: () => Promise<void>) => void cleanup.push(close),
    async gateway(...args: Parameters<typeof startOutbound>) {
      const g = await startOutbound(...args);
      cleanup.push(() => g.stop());
      return g;
    },
    async sink(script: ConstructorParameters<typeof Sink>[0] = {}) {
      const s = await new Sink(script).start();
      cleanup.push(() => s.close());
      return s;
    },
  };
}
