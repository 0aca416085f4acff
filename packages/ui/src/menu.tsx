'use client';
import { ChevronDown } from 'lucide-react';
import { DropdownMenu as M } from 'radix-ui';
import type { ReactNode } from 'react';
import { cn } from './cn.ts';

/**
 * A drop-down menu of links (Radix): a button that opens it (Enter, Space or the arrow keys),
 * arrow keys and typeahead inside, Escape closes and focus returns to the button. `active`
 * marks the button when the current page is one of its items.
 */
export function Menu({
  label,
  active,
  className,
  children,
}: {
  label: string;
  active?: boolean;
  className?: string;
  /** `MenuLink`s. */
  children: ReactNode;
}) {
  return (
    <M.Root modal={false}>
      <M.Trigger
        className={cn(
          'inline-flex items-center gap-1 rounded-md px-2.5 py-1.5 text-sm text-muted hover:bg-surface-2 hover:text-fg focus-visible:outline-2 focus-visible:outline-accent data-[state=open]:bg-surface-2 data-[state=open]:text-fg',
          active && 'bg-surface-2 font-medium text-fg',
          className,
        )}
      >
        {label}
        <ChevronDown size={14} aria-hidden />
      </M.Trigger>
      <M.Portal>
        <M.Content
          align="start"
          sideOffset={4}
          className="z-50 min-w-44 rounded-md border border-border bg-surface p-1 text-sm text-fg shadow-lg"
        >
          {children}
        </M.Content>
      </M.Portal>
    </M.Root>
  );
}

/** One item of a `Menu`: give it the link element (e.g. Next's `Link`) as its only child. */
export function MenuLink({ active, children }: { active?: boolean; children: ReactNode }) {
  return (
    <M.Item
      asChild
      className={cn(
        'block cursor-pointer rounded px-2.5 py-1.5 text-muted outline-none select-none data-[highlighted]:bg-surface-2 data-[highlighted]:text-fg',
        active && 'font-medium text-fg',
      )}
    >
      {children}
    </M.Item>
  );
}
