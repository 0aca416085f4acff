'use client';
import { Badge, Button, type FieldErrors, SchemaForm } from '@koukan/ui';
import { useEffect, useRef } from 'react';
import {
  type Entry,
  entryFormSchema,
  filterDescription,
  isFilterName,
  isTerminal,
} from './entry-errors.ts';

interface FilterCardProps {
  index: number;
  count: number;
  entry: Entry;
  errors: FieldErrors;
  secretNames: string[];
  readOnly: boolean;
  /** Focus this card's move button after a move (keyboard users keep their place). */
  focus?: 'up' | 'down';
  onChange: (entry: Entry) => void;
  onMove: (dir: 'up' | 'down') => void;
  onRemove: () => void;
}

/** One filter of the chain: its place, its description, its generated form, move and remove. */
export function FilterCard({
  index,
  count,
  entry,
  errors,
  secretNames,
  readOnly,
  focus,
  onChange,
  onMove,
  onRemove,
}: FilterCardProps) {
  const buttons = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!focus) return;
    const dir = focus === 'up' ? (index > 0 ? 'up' : 'down') : index < count - 1 ? 'down' : 'up';
    buttons.current?.querySelector<HTMLButtonElement>(`[data-move="${dir}"]`)?.focus();
  }, [focus, index, count]);
  const name = entry.filter;
  const label = `${index + 1}. ${name}`;
  const errorCount = Object.values(errors).reduce((n, l) => n + l.length, 0);
  const { filter: _f, ...config } = entry;
  return (
    <li className="rounded-lg border border-border bg-surface p-3" aria-label={`Filter ${label}`}>
      <div className="mb-2 flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 className="font-mono text-sm font-semibold">
            {label}
            {isTerminal(name) && (
              <Badge tone="neutral" className="ml-2">
                terminal
              </Badge>
            )}
            {errorCount > 0 && (
              <Badge tone="danger" className="ml-2">
                {errorCount} error{errorCount === 1 ? '' : 's'}
              </Badge>
            )}
          </h3>
          <p className="text-xs text-muted">{filterDescription(name)}</p>
        </div>
        {!readOnly && (
          <div ref={buttons} className="flex gap-1">
            <Button
              data-move="up"
              size="sm"
              variant="ghost"
              disabled={index === 0}
              aria-label={`Move ${label} up`}
              onClick={() => onMove('up')}
            >
              ↑ Up
            </Button>
            <Button
              data-move="down"
              size="sm"
              variant="ghost"
              disabled={index === count - 1}
              aria-label={`Move ${label} down`}
              onClick={() => onMove('down')}
            >
              ↓ Down
            </Button>
            <Button size="sm" variant="ghost" aria-label={`Remove ${label}`} onClick={onRemove}>
              Remove
            </Button>
          </div>
        )}
      </div>
      {isFilterName(name) ? (
        <SchemaForm
          label={`${label} settings`}
          schema={entryFormSchema(name)}
          value={config}
          onChange={(v) => onChange({ ...v, filter: name })}
          errors={errors}
          secretNames={secretNames}
          disabled={readOnly}
        />
      ) : (
        <p role="alert" className="text-sm text-danger">
          Unknown filter “{name}”: remove it or restore a revision.
        </p>
      )}
    </li>
  );
}
