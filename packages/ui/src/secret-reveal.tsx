'use client';
import { type ReactNode, useState } from 'react';
import { Button } from './button.tsx';

/**
 * A secret shown once (an API key, a temporary password): read-only, selected on focus, with a
 * copy button that says when it copied (or that the browser refused, so the operator copies by
 * hand).
 */
export function SecretReveal({
  label,
  value,
  children,
  onCopy,
}: {
  /** Accessible name of the field, e.g. "API key". */
  label: string;
  value: string;
  /** What to say about it (who gets it, that it is not shown again). */
  children?: ReactNode;
  /** The copy action; default the Clipboard API. */
  onCopy?: (value: string) => Promise<void>;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = onCopy ?? ((v: string) => navigator.clipboard.writeText(v));
  return (
    <div className="space-y-2 text-sm">
      {children}
      <div className="flex items-center gap-2">
        <input
          readOnly
          aria-label={label}
          value={value}
          className="min-w-0 flex-1 rounded-md bg-surface-2 px-2 py-1.5 font-mono break-all text-fg"
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button
          onClick={() =>
            copy(value).then(
              () => setState('copied'),
              () => setState('failed'),
            )
          }
        >
          {state === 'copied' ? 'Copied' : 'Copy'}
        </Button>
      </div>
      <p role="status" className="text-xs text-muted">
        {state === 'copied'
          ? 'Copied to the clipboard.'
          : state === 'failed'
            ? 'The browser did not allow copying: select the field and copy it by hand.'
            : ''}
      </p>
    </div>
  );
}
