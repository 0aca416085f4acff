import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Is this program on the PATH? */
export function hasProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What each process reads its environment with (each app's one env.ts). */
const envFiles: Record<string, string> = {
  router: 'apps/router/src/env.ts',
  gateway: 'apps/gateway/src/env.ts',
  cli: 'apps/cli/src/env.ts',
  console: 'apps/console/src/env.ts',
  receiver: 'examples/receiver/src/main.ts',
};

/**
 * Variables a deployment file sets that the component's env.ts does not know yet, because the
 * change that adds them is being made elsewhere at the same time. Each entry says where.
 */
export const pendingVariables: Record<string, Record<string, string>> = {};

/**
 * The variables a component reads: the keys of the zod object in its env.ts (upper-case
 * property names), or `process.env.X` reads for the example receiver. Undefined when the
 * component is not in this checkout (the console, while it is being built).
 */
export function envVariables(component: string): Set<string> | undefined {
  const file = join(repoRoot, envFiles[component]!);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const keys = [
    ...text.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm),
    ...text.matchAll(/process\.env\.([A-Z][A-Z0-9_]+)/g),
  ].map((m) => m[1]!);
  return new Set(keys);
}

/** Which of `names` the component does not read (KOUKAN_SECRET_* are the router's secrets). */
export function unknownVariables(component: string, names: string[]): string[] | undefined {
  const known = envVariables(component);
  if (!known) return undefined;
  const pending = pendingVariables[component] ?? {};
  return names.filter(
    (n) =>
      !known.has(n) &&
      !(n in pending) &&
      !(component === 'router' && n.startsWith('KOUKAN_SECRET_')),
  );
}

/** KEY=value lines of an env file. */
export function readEnvFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(repoRoot, path), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Names of variables that hold credentials. */
export const SECRET_NAME = /TOKEN|SECRET|PASSWORD|API_KEY|DATABASE_URL|PRIVATE/;
