import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { components } from '../components.ts';

/** `koukan router|gateway|console`: one component in this process, as a container runs it. */
export const componentCommands = new Set(['router', 'gateway', 'console']);

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Runs a component's own entry point in this process. The component reads its own environment
 * (its `env.ts`), handles SIGTERM itself and owns the exit code: it exits non-zero on a fatal
 * error (invalid environment, unreachable database, a port in use). The returned promise never
 * settles, so the caller never overrides that exit code.
 */
export async function runComponent(name: string, root = repoRoot): Promise<number> {
  const component = components.find((c) => c.name === name);
  if (!component) throw new Error(`unknown component "${name}"`);
  const entry = root + component.entry;
  if (!existsSync(entry)) {
    process.stderr.write(
      `koukan ${name}: ${component.entry} is not in this build (the ${name} is not built yet)\n`,
    );
    return 1;
  }
  // The component sees the argv it would have as its own process (`node <entry> …`): an entry
  // that runs only when it is the main module (the console's) runs here too.
  process.argv[1] = entry;
  await import(pathToFileURL(entry).href);
  return new Promise<number>(() => {});
}
