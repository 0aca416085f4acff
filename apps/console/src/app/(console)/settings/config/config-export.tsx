'use client';
import { Button, Card, ErrorPanel, LoadingBlock } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import { errorMessage } from '../../../../lib/errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';

/** Offers `text` as a file download. */
function downloadText(text: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

export function ConfigExport() {
  const trpc = useTRPC();
  const exported = useQuery(trpc.config.export.queryOptions());
  return (
    <Card
      title="Export"
      aria-label="Export"
      actions={
        <div className="flex gap-2">
          <Button onClick={() => exported.refetch()} disabled={exported.isFetching}>
            Refresh
          </Button>
          <Button
            variant="primary"
            disabled={!exported.data}
            onClick={() => exported.data && downloadText(exported.data.yaml, 'koukan.yaml')}
          >
            Download YAML
          </Button>
        </div>
      }
    >
      {exported.isPending ? (
        <LoadingBlock label="Loading configuration" />
      ) : exported.error ? (
        <ErrorPanel title="Could not export" message={errorMessage(exported.error)} />
      ) : (
        <section
          aria-label="Current configuration (YAML)"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
          tabIndex={0}
          className="max-h-96 overflow-auto rounded-md bg-surface-2 p-3"
        >
          <pre className="font-mono text-xs">{exported.data.yaml}</pre>
        </section>
      )}
    </Card>
  );
}
