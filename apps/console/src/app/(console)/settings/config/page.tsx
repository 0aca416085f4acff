import type { Metadata } from 'next';
import { HydrateClient, prefetch, serverCaller, trpc } from '../../../../server/trpc/server.tsx';
import { ConfigExport } from './config-export.tsx';
import { ConfigImport } from './config-import.tsx';

export const metadata: Metadata = { title: 'Configuration' };

export default async function ConfigPage() {
  const me = await (await serverCaller()).me.get();
  if (me?.role === 'viewer') {
    return (
      <div role="alert" className="rounded-lg border border-border bg-surface p-4 text-sm">
        Operators and administrators read the configuration; administrators change it.
      </div>
    );
  }
  await prefetch(trpc.config.export.queryOptions());
  return (
    <HydrateClient>
      <div className="space-y-6">
        <div>
          <h1 className="text-xl font-semibold">Configuration</h1>
          <p className="mt-1 text-sm text-muted">
            Senders, chains and sending domains as one YAML file: the format of{' '}
            <code>KOUKAN_CONFIG</code> and <code>koukan config export|import</code>. Secrets are
            never part of it (chains and domains name them).
          </p>
        </div>
        <ConfigExport />
        <ConfigImport canApply={me?.role === 'admin'} />
      </div>
    </HydrateClient>
  );
}
