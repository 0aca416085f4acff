import type { Logger } from 'pino';
import { type Component, type Running, stopComponent } from './components.ts';

interface SupervisorOptions {
  logger: Logger;
  /** Starts one process of the component. */
  spawn: (component: Component) => Running;
  /** Each component's own shutdown grace; it is killed 10 s after it. */
  graceMs: number;
  /** First restart delay, doubled per death that follows a short run, at most `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs?: number;
  /** A process that ran this long was healthy: its death restarts the backoff. */
  stableMs?: number;
  /** Deaths in a row after short runs before the supervisor gives up (`onGiveUp`). */
  maxQuickDeaths?: number;
  onGiveUp: (component: string) => void;
}

interface Slot {
  component: Component;
  running: Running;
  startedAt: number;
  quickDeaths: number;
  timer?: NodeJS.Timeout;
}

/**
 * What `npm start` does with its components, as an orchestrator would: a component that dies is
 * restarted after a backoff (logged with its exit code or signal), and stopping goes in order —
 * the gateway (and console) first, so their SMTP sessions and deliveries drain while the router
 * still answers, then the router (which stops accepting, finishes its attempts, then closes) —
 * each within its own grace.
 */
export class Supervisor {
  private readonly slots = new Map<string, Slot>();
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: SupervisorOptions) {}

  /** Adopts a process started already (during startup) and supervises it from now on. */
  supervise(running: Running): void {
    const slot: Slot = {
      component: running.component,
      running,
      startedAt: Date.now(),
      quickDeaths: 0,
    };
    this.slots.set(running.component.name, slot);
    this.watch(slot);
  }

  /** Restarts so far, by component (for tests and the log). */
  readonly restarts = new Map<string, number>();

  private watch(slot: Slot): void {
    const child = slot.running.child;
    void slot.running.exited.then((code) => {
      if (this.stopping) return;
      const ranMs = Date.now() - slot.startedAt;
      const stable = ranMs >= (this.options.stableMs ?? 60_000);
      slot.quickDeaths = stable ? 0 : slot.quickDeaths + 1;
      const name = slot.component.name;
      const why = { component: name, code, signal: child.signalCode, ranMs };
      if (slot.quickDeaths >= (this.options.maxQuickDeaths ?? 5)) {
        this.options.logger.error(why, 'a component keeps dying; giving up');
        this.options.onGiveUp(name);
        return;
      }
      const max = this.options.maxBackoffMs ?? 30_000;
      const delayMs = Math.min(
        max,
        this.options.backoffMs * 2 ** Math.max(0, slot.quickDeaths - 1),
      );
      this.options.logger.error({ ...why, restartInMs: delayMs }, 'a component died; restarting');
      slot.timer = setTimeout(() => {
        slot.timer = undefined;
        if (this.stopping) return;
        slot.running = this.options.spawn(slot.component);
        slot.startedAt = Date.now();
        this.restarts.set(name, (this.restarts.get(name) ?? 0) + 1);
        this.options.logger.info({ component: name, pid: slot.running.child.pid }, 'restarted');
        this.watch(slot);
      }, delayMs);
    });
  }

  /** Stops every component, lowest `stopRank` first; each gets its grace and 10 s more. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const slots = [...this.slots.values()];
      for (const s of slots) clearTimeout(s.timer);
      const ranks = [...new Set(slots.map((s) => s.component.stopRank))].sort((a, b) => a - b);
      for (const rank of ranks) {
        const now = slots.filter((s) => s.component.stopRank === rank);
        this.options.logger.info({ components: now.map((s) => s.component.name) }, 'stopping');
        await Promise.all(
          now.map((s) =>
            stopComponent(s.running, this.options.graceMs + 10_000, this.options.logger),
          ),
        );
      }
    })();
    return this.stopping;
  }
}
