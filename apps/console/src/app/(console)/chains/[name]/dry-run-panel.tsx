'use client';
import { Button, ErrorPanel } from '@koukan/ui';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../../../lib/errors.ts';
import { fieldIssues } from '../../../../lib/form-errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { DryRunResultView } from './dry-run-result.tsx';
import type { Entry } from './entry-errors.ts';

const SAMPLE = [
  'From: Alice <alice@example.com>',
  'To: Bob <bob@example.org>',
  'Subject: Dry run',
  'Message-ID: <dry-run@example.com>',
  '',
  'Hello Bob.',
  '',
].join('\n');

const control = 'rounded-md border border-border bg-surface px-2.5 py-1.5 text-sm';

/**
 * Runs the chain as it is in the editor (saved or not) on a pasted message or an existing
 * transaction, delivering nothing: outputs are recorded, secrets are throwaway keys.
 */
export function DryRunPanel({
  filters,
  chainName,
  valid,
}: {
  filters: Entry[];
  chainName: string;
  valid: boolean;
}) {
  const trpc = useTRPC();
  const [source, setSource] = useState<'raw' | 'transaction'>('raw');
  const [raw, setRaw] = useState(SAMPLE);
  const [txId, setTxId] = useState('');
  const [mailFrom, setMailFrom] = useState('alice@example.com');
  const [rcptTo, setRcptTo] = useState('bob@example.org');
  const run = useMutation(trpc.chains.dryRun.mutationOptions());
  const fieldError = (prefix: string) =>
    fieldIssues(run.error).filter(
      ({ field = '' }) =>
        field === prefix || field.startsWith(`${prefix}.`) || field.startsWith(`${prefix}[`),
    );
  const rcpts = rcptTo
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const useEnvelope = source === 'raw' || mailFrom.trim() !== '' || rcpts.length > 0;

  return (
    <section aria-labelledby="dry-run-heading" className="flex min-w-0 flex-col gap-3">
      <h2 id="dry-run-heading" className="text-lg font-semibold">
        Dry run
      </h2>
      <p className="text-sm text-muted">
        Runs the filters as edited here, unsaved, without delivering anything: outputs are recorded
        instead, secrets are replaced by throwaway keys; DNS lookups are real.
      </p>
      <form
        aria-label="Dry run the edited chain"
        className="flex flex-col gap-3 rounded-lg border border-border bg-surface p-3"
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate({
            chain: { filters },
            sender: chainName,
            ...(useEnvelope && {
              envelope: { mail_from: { m: mailFrom.trim() }, rcpt_to: rcpts.map((m) => ({ m })) },
            }),
            message: source === 'raw' ? { raw } : { transaction_id: txId.trim() },
          });
        }}
      >
        <fieldset className="flex flex-wrap gap-4 text-sm">
          <legend className="mb-1 text-xs font-medium text-muted">Message</legend>
          <label className="flex items-center gap-1.5">
            <input
              type="radio"
              name="dry-run-source"
              checked={source === 'raw'}
              onChange={() => setSource('raw')}
            />
            Paste a message
          </label>
          <label className="flex items-center gap-1.5">
            <input
              type="radio"
              name="dry-run-source"
              checked={source === 'transaction'}
              onChange={() => {
                setSource('transaction');
                // The transaction's own envelope, unless one is typed.
                if (mailFrom === 'alice@example.com') setMailFrom('');
                if (rcptTo === 'bob@example.org') setRcptTo('');
              }}
            />
            An existing transaction
          </label>
        </fieldset>
        {source === 'raw' ? (
          <Labelled id="dry-run-raw" label="Raw message (RFC 822)" errors={fieldError('message')}>
            <textarea
              id="dry-run-raw"
              rows={8}
              className={`${control} font-mono text-xs`}
              value={raw}
              onChange={(e) => setRaw(e.target.value)}
            />
          </Labelled>
        ) : (
          <Labelled id="dry-run-tx" label="Transaction id" errors={fieldError('message')}>
            <input
              id="dry-run-tx"
              className={`${control} font-mono`}
              placeholder="00000000-0000-0000-0000-000000000000"
              value={txId}
              onChange={(e) => setTxId(e.target.value)}
            />
          </Labelled>
        )}
        <Labelled
          id="dry-run-mail-from"
          label={source === 'raw' ? 'Mail from' : "Mail from (empty: the transaction's)"}
          errors={fieldError('envelope.mail_from')}
        >
          <input
            id="dry-run-mail-from"
            className={control}
            value={mailFrom}
            onChange={(e) => setMailFrom(e.target.value)}
          />
        </Labelled>
        <Labelled
          id="dry-run-rcpt-to"
          label={source === 'raw' ? 'Rcpt to (one per line)' : "Rcpt to (empty: the transaction's)"}
          errors={fieldError('envelope.rcpt_to').concat(
            fieldError('envelope').filter((f) => f.field === 'envelope'),
          )}
        >
          <textarea
            id="dry-run-rcpt-to"
            rows={2}
            className={control}
            value={rcptTo}
            onChange={(e) => setRcptTo(e.target.value)}
          />
        </Labelled>
        <div className="flex items-center gap-3">
          <Button type="submit" variant="primary" disabled={run.isPending || !valid}>
            Dry run
          </Button>
          <span role="status" className="text-xs text-muted">
            {run.isPending ? 'Running…' : !valid ? 'Fix the field errors first.' : ''}
          </span>
        </div>
      </form>
      {run.error && <ErrorPanel title="Dry run refused" message={errorMessage(run.error)} />}
      {run.data && <DryRunResultView result={run.data} />}
    </section>
  );
}

function Labelled({
  id,
  label,
  errors,
  children,
}: {
  id: string;
  label: string;
  errors: { field?: string; message: string }[];
  children: React.ReactElement;
}) {
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-xs font-medium text-muted">
        {label}
      </label>
      {children}
      {errors.length > 0 && (
        <ul id={`${id}-error`} className="text-xs text-danger">
          {errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              <code className="mr-1 font-mono">{e.field}</code>
              {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
