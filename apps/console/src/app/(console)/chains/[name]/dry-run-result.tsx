'use client';
import type { Verdict } from '@koukan/chain';
import type { DryRunResult, DryRunStep } from '@koukan/services';
import { Badge, Card } from '@koukan/ui';

const tone = (v: Verdict) => (v.kind === 'accept' ? 'ok' : v.kind === 'temp' ? 'warn' : 'danger');
const words = { accept: 'accepted', temp: 'temporary failure', perm: 'permanent failure' } as const;

function VerdictLine({ label, verdict }: { label: string; verdict: Verdict | null | undefined }) {
  if (!verdict) {
    return (
      <li className="text-xs">
        <span className="font-medium">{label}</span>:{' '}
        <span className="text-muted">no answer (passed on)</span>
      </li>
    );
  }
  const r = verdict.response;
  return (
    <li className="flex flex-wrap items-center gap-2 text-xs">
      <span className="font-medium">{label}</span>
      <Badge tone={tone(verdict)}>{words[verdict.kind]}</Badge>
      <code className="font-mono break-all">
        {r.code} {r.enhanced ?? ''} {r.message}
      </code>
    </li>
  );
}

const json = (v: unknown) => JSON.stringify(v, null, 2);
const hasKeys = (v: unknown) => Boolean(v && typeof v === 'object' && Object.keys(v).length > 0);

function Step({ step }: { step: DryRunStep }) {
  const nested = step.nested as (DryRunResult & { chain: string; version: number }) | undefined;
  return (
    <li className="rounded-md border border-border p-2">
      <p className="flex flex-wrap items-center gap-2 text-sm">
        <span className="font-mono font-semibold">
          {step.index + 1}. {step.filter}
        </span>
        <Badge tone={step.result === 'done' ? 'info' : 'neutral'}>
          {step.result === 'done' ? 'done (chain stops)' : 'continue'}
        </Badge>
      </p>
      <ul className="mt-1 flex flex-col gap-1">
        {step.mail && <VerdictLine label="MAIL" verdict={step.mail} />}
        {step.rcpt?.map((v, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: recipients in envelope order
          <VerdictLine key={i} label={`RCPT ${i + 1}`} verdict={v} />
        ))}
        {step.data && <VerdictLine label="DATA" verdict={step.data} />}
      </ul>
      {step.headers_added.length > 0 && (
        <>
          <p className="mt-2 text-xs font-medium text-muted">Headers added</p>
          <pre className="overflow-x-auto rounded bg-surface-2 p-2 font-mono text-xs whitespace-pre-wrap break-all">
            {step.headers_added.join('\n')}
          </pre>
        </>
      )}
      {hasKeys(step.routing) && (
        <>
          <p className="mt-2 text-xs font-medium text-muted">Routing after this filter</p>
          <pre className="overflow-x-auto rounded bg-surface-2 p-2 font-mono text-xs">
            {json(step.routing)}
          </pre>
        </>
      )}
      {step.recorded && (
        <>
          <p className="mt-2 text-xs font-medium text-muted">Recorded instead of done</p>
          <pre className="overflow-x-auto rounded bg-surface-2 p-2 font-mono text-xs">
            {json(step.recorded)}
          </pre>
        </>
      )}
      {nested && (
        <div className="mt-2 border-l-2 border-border pl-3">
          <p className="text-xs font-medium">
            Output chain <span className="font-mono">{nested.chain}</span> (revision{' '}
            {nested.version})
          </p>
          <ol className="mt-1 flex flex-col gap-2">
            {nested.steps.map((s) => (
              <Step key={s.index} step={s} />
            ))}
          </ol>
        </div>
      )}
    </li>
  );
}

/** Each filter's verdict, headers and routing, the route chosen and the chain's final reply. */
export function DryRunResultView({ result }: { result: DryRunResult }) {
  return (
    <div className="flex flex-col gap-3" aria-live="polite">
      <Card title="Final reply">
        <ul className="flex flex-col gap-1">
          <VerdictLine label="MAIL" verdict={result.final.mail} />
          {result.final.rcpt.map((v, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: recipients in envelope order
            <VerdictLine key={i} label={`RCPT ${i + 1}`} verdict={v} />
          ))}
          {result.final.data && <VerdictLine label="DATA" verdict={result.final.data} />}
        </ul>
        {result.stopped_at !== undefined && (
          <p className="mt-2 text-xs text-muted">Stopped at filter {result.stopped_at + 1}.</p>
        )}
      </Card>
      <Card title="Route chosen">
        {hasKeys(result.routing) ? (
          <pre className="overflow-x-auto font-mono text-xs">{json(result.routing)}</pre>
        ) : (
          <p className="text-xs text-muted">No routing decision (next hops) was made.</p>
        )}
      </Card>
      <Card title="Filters">
        <ol className="flex flex-col gap-2">
          {result.steps.map((s) => (
            <Step key={s.index} step={s} />
          ))}
        </ol>
      </Card>
      {(result.secrets_replaced.length > 0 || result.events.length > 0) && (
        <Card title="Notes">
          {result.secrets_replaced.length > 0 && (
            <p className="text-xs">
              Secrets replaced by throwaway keys:{' '}
              <span className="font-mono">{result.secrets_replaced.join(', ')}</span>
            </p>
          )}
          {result.events.length > 0 && (
            <ul className="mt-1 text-xs">
              {result.events.map((e, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: events in order
                <li key={i}>
                  <span className="font-mono">
                    {e.index + 1}. {e.filter}
                  </span>{' '}
                  {e.type}{' '}
                  {e.data ? <code className="font-mono">{JSON.stringify(e.data)}</code> : null}
                </li>
              ))}
            </ul>
          )}
        </Card>
      )}
    </div>
  );
}
