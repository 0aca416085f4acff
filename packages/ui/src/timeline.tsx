import type { ReactNode } from 'react';
import type { Tone } from './badge.tsx';
import { Badge } from './badge.tsx';
import { cn } from './cn.ts';
import { formatDuration, formatTimestamp } from './format.ts';

export interface TimelineItem {
  id: string;
  /** ISO 8601. */
  at: string;
  title: string;
  /** A short label beside the title (e.g. the event type or the attempt's outcome). */
  badge?: { label: string; tone?: Tone };
  /** How long this step took (an attempt's duration). */
  durationMs?: number | null;
  /** Time since the previous item. */
  sincePreviousMs?: number | null;
  /** Label/value pairs (upstream host, TLS…). */
  facts?: { label: string; value: ReactNode }[];
  /** Verbatim protocol lines (SMTP replies), shown monospaced and unaltered. */
  lines?: { label: string; text: string; tone?: Tone }[];
  children?: ReactNode;
}

const dot: Record<Tone, string> = {
  neutral: 'bg-muted',
  ok: 'bg-ok',
  warn: 'bg-warn',
  danger: 'bg-danger',
  info: 'bg-info',
  accent: 'bg-accent',
};

/** An ordered list of what happened, oldest first, each with its time and durations. */
export function Timeline({
  items,
  label = 'Timeline',
  empty,
}: {
  items: TimelineItem[];
  label?: string;
  empty?: ReactNode;
}) {
  if (items.length === 0)
    return <>{empty ?? <p className="text-sm text-muted">No events yet.</p>}</>;
  return (
    <ol aria-label={label} className="relative ml-2 border-l border-border">
      {items.map((item) => (
        <li key={item.id} className="relative mb-4 pl-5 last:mb-0">
          <span
            aria-hidden="true"
            className={cn(
              'absolute top-1.5 -left-[5px] h-2.5 w-2.5 rounded-full ring-2 ring-surface',
              dot[item.badge?.tone ?? 'neutral'],
            )}
          />
          <div className="flex flex-wrap items-baseline gap-x-2 gap-y-1">
            <h3 className="text-sm font-medium text-fg">{item.title}</h3>
            {item.badge && <Badge tone={item.badge.tone}>{item.badge.label}</Badge>}
            <time dateTime={item.at} className="font-mono text-xs text-muted">
              {formatTimestamp(item.at, true)}
            </time>
            {item.sincePreviousMs != null && (
              <span className="text-xs text-muted">+{formatDuration(item.sincePreviousMs)}</span>
            )}
            {item.durationMs != null && (
              <span className="text-xs text-muted">took {formatDuration(item.durationMs)}</span>
            )}
          </div>
          {item.facts && item.facts.length > 0 && (
            <dl className="mt-1 grid grid-cols-[max-content_1fr] gap-x-3 gap-y-0.5 text-xs">
              {item.facts.map((f) => (
                <div key={f.label} className="contents">
                  <dt className="text-muted">{f.label}</dt>
                  <dd className="min-w-0 break-words text-fg">{f.value}</dd>
                </div>
              ))}
            </dl>
          )}
          {item.lines && item.lines.length > 0 && (
            <ul className="mt-1.5 space-y-1">
              {item.lines.map((l, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: lines are positional
                <li key={i} className="text-xs">
                  <span className="text-muted">{l.label}: </span>
                  <code
                    className={cn(
                      'font-mono break-all whitespace-pre-wrap',
                      l.tone === 'danger' && 'text-danger',
                      l.tone === 'warn' && 'text-warn',
                      l.tone === 'ok' && 'text-ok',
                    )}
                  >
                    {l.text}
                  </code>
                </li>
              ))}
            </ul>
          )}
          {item.children}
        </li>
      ))}
    </ol>
  );
}
