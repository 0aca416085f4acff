'use client';
import { Tabs as T } from 'radix-ui';
import type { ReactNode } from 'react';

/** Tabs (Radix): arrow keys move between tabs, each panel labelled by its tab. */
export function Tabs({
  label,
  tabs,
  defaultValue,
}: {
  label: string;
  tabs: { value: string; label: string; content: ReactNode }[];
  defaultValue?: string;
}) {
  return (
    <T.Root defaultValue={defaultValue ?? tabs[0]?.value}>
      <T.List aria-label={label} className="flex flex-wrap gap-1 border-b border-border">
        {tabs.map((t) => (
          <T.Trigger
            key={t.value}
            value={t.value}
            className="-mb-px border-b-2 border-transparent px-3 py-1.5 text-sm text-muted hover:text-fg data-[state=active]:border-accent data-[state=active]:font-medium data-[state=active]:text-fg"
          >
            {t.label}
          </T.Trigger>
        ))}
      </T.List>
      {tabs.map((t) => (
        <T.Content key={t.value} value={t.value} className="pt-3">
          {t.content}
        </T.Content>
      ))}
    </T.Root>
  );
}
