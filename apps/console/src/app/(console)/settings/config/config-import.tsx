'use client';
import type { ImportPreview } from '@koukan/services';
import { Button, Card, ErrorPanel, TextAreaField } from '@koukan/ui';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import { fieldIssues } from '../../../../lib/form-errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { ImportPreviewView } from './import-preview.tsx';

const MAX_BYTES = 5 * 1024 * 1024;

/** The file's errors, each at its path. */
function Issues({ issues }: { issues: { field?: string; message: string }[] }) {
  if (!issues.length) return null;
  return (
    <ul aria-label="Errors in the file" className="mt-2 space-y-1 text-sm">
      {issues.map((i) => (
        <li key={`${i.field}:${i.message}`}>
          <code className="font-mono text-danger">{i.field || '(file)'}</code>: {i.message}
        </li>
      ))}
    </ul>
  );
}

/** Paste or upload a file, preview what it would change, then apply exactly that file. */
export function ConfigImport({ canApply }: { canApply: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const fileId = useId();
  const [yaml, setYaml] = useState('');
  const [fileError, setFileError] = useState<string | null>(null);
  /** The text the preview shown is of: applying sends exactly that. */
  const [previewed, setPreviewed] = useState<{ yaml: string; preview: ImportPreview } | null>(null);
  const preview = useMutation(
    trpc.config.preview.mutationOptions({
      onSuccess: (p, input) => setPreviewed({ yaml: input.yaml, preview: p }),
    }),
  );
  const apply = useMutation(
    trpc.config.import.mutationOptions({
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries(trpc.config.export.queryFilter()),
          queryClient.invalidateQueries(trpc.senders.pathFilter()),
        ]),
    }),
  );
  const stale = previewed !== null && previewed.yaml !== yaml;
  const issues = fieldIssues(preview.error ?? apply.error);
  const hasProblems = (previewed?.preview.problems.length ?? 0) > 0;
  const nothingToDo =
    previewed !== null &&
    [...previewed.preview.senders, ...previewed.preview.chains, ...previewed.preview.domains].every(
      (e) => e.change === 'unchanged',
    );

  async function readFile(file: File | undefined) {
    setFileError(null);
    if (!file) return;
    if (file.size > MAX_BYTES) {
      setFileError('The file is larger than 5 MB.');
      return;
    }
    setYaml(await file.text());
    setPreviewed(null);
    apply.reset();
    preview.reset();
  }

  return (
    <Card title="Import" aria-label="Import">
      <p className="mb-3 text-sm text-muted">
        Senders, chains and domains in the file are created or updated (a chain change is a new
        revision); nothing that is only in the database is removed. Preview first: nothing changes
        until {canApply ? 'you apply' : 'an administrator applies'} it.
      </p>
      <form
        aria-label="Import configuration"
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          apply.reset();
          preview.mutate({ yaml });
        }}
      >
        <TextAreaField
          label="Configuration YAML"
          rows={12}
          spellCheck={false}
          value={yaml}
          placeholder={'sender:\n  - name: billing\n    output_chain: submission\n'}
          onChange={(e) => {
            setYaml(e.target.value);
            apply.reset();
          }}
          error={preview.error ? 'The file is not valid: see the errors below.' : undefined}
        />
        <div className="flex flex-col gap-1">
          <label htmlFor={fileId} className="text-xs font-medium text-muted">
            Or upload a YAML file
          </label>
          <input
            id={fileId}
            type="file"
            accept=".yaml,.yml,application/yaml,text/yaml,text/plain"
            className="text-sm"
            onChange={(e) => void readFile(e.target.files?.[0])}
          />
          {fileError ? <p className="text-xs text-danger">{fileError}</p> : null}
        </div>
        <Button type="submit" disabled={!yaml.trim() || preview.isPending}>
          Preview import
        </Button>
      </form>

      {preview.error ? (
        <div className="mt-4">
          <ErrorPanel
            title="Invalid configuration"
            message={issues.length ? `${issues.length} error(s)` : errorMessage(preview.error)}
          />
          <Issues issues={issues} />
        </div>
      ) : null}

      {previewed && !preview.error ? (
        <section aria-labelledby="import-preview-heading" className="mt-5 space-y-3">
          <h2 id="import-preview-heading" className="text-base font-semibold">
            Preview of the import
          </h2>
          {stale ? (
            <p role="status" className="text-sm text-warn">
              The text changed since this preview: preview it again before applying.
            </p>
          ) : null}
          {previewed.preview.warnings.length ? (
            <ul aria-label="Deprecated spellings" className="space-y-1 text-sm text-warn">
              {previewed.preview.warnings.map((w) => (
                <li key={`${w.field}:${w.message}`}>
                  <code className="font-mono">{w.field}</code>: {w.message}
                </li>
              ))}
            </ul>
          ) : null}
          <ImportPreviewView preview={previewed.preview} />
          {apply.isSuccess ? (
            <p role="status" className="text-sm text-ok">
              Imported: {apply.data.changedSenders.length} sender(s),{' '}
              {apply.data.changedChains.length} chain(s), {apply.data.changedDomains.length}{' '}
              domain(s) changed.
              {apply.data.missingSecrets.length
                ? ` Missing secrets (their mail is deferred until stored): ${apply.data.missingSecrets.join(', ')}.`
                : ''}
            </p>
          ) : null}
          {apply.error ? (
            <div>
              <ErrorPanel title="Not imported" message={errorMessage(apply.error)} />
              <Issues issues={issues} />
            </div>
          ) : null}
          {canApply ? (
            <Button
              variant="primary"
              disabled={stale || hasProblems || nothingToDo || apply.isPending || apply.isSuccess}
              onClick={() => apply.mutate({ yaml: previewed.yaml })}
            >
              Apply import
            </Button>
          ) : (
            <p className="text-sm text-muted">Only administrators apply an import.</p>
          )}
        </section>
      ) : null}
    </Card>
  );
}
