import type { Running } from './components.ts';
import type { CliEnv } from './env.ts';

/**
 * Waits until the component answers its readiness probe (`readyz` of the component: any answer
 * below 500 — a 503 is "not ready yet", a console without the route still answers), or
 * fails when it exits first or `timeoutMs` passes. The probe is polled every 200 ms: the
 * component is another process, and nothing else tells us when it is ready.
 */
export async function waitReady(
  running: Running,
  env: CliEnv,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<void> {
  const url = running.component.readyz(env);
  const deadline = Date.now() + (options.timeoutMs ?? 300_000);
  let exited = false;
  void running.exited.then(() => {
    exited = true;
  });
  let last = 'no answer';
  for (;;) {
    if (exited) throw new Error(`${running.component.name} exited before it was ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status < 500) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      throw new Error(`${running.component.name} is not ready at ${url} (${last})`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}
