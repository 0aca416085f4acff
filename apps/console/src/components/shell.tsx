import { Badge } from '@koukan/ui';
import Link from 'next/link';
import type { ReactNode } from 'react';
import type { SessionUser } from '../server/trpc/context.ts';
import { NavLinks } from './nav-links.tsx';
import { SignOutButton } from './sign-out-button.tsx';
import { ThemeToggle } from './theme-toggle.tsx';

/** The frame of every signed-in page: navigation, who is signed in, theme, sign-out. */
export function Shell({ user, children }: { user: SessionUser; children: ReactNode }) {
  const links = [
    { href: '/', label: 'Dashboard' },
    { href: '/transactions', label: 'Transactions' },
    { href: '/queues', label: 'Queues' },
    { href: '/sandbox', label: 'Sandbox' },
  ];
  const settings = [
    { href: '/senders', label: 'Senders' },
    { href: '/chains', label: 'Chains' },
    { href: '/domains', label: 'Domains' },
    ...(user.role !== 'viewer' ? [{ href: '/settings/config', label: 'Configuration' }] : []),
    ...(user.role === 'admin' ? [{ href: '/users', label: 'Users' }] : []),
    { href: '/audit', label: 'Audit log' },
  ];
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-surface focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="border-b border-border bg-surface">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-2">
          <Link href="/" className="font-semibold tracking-tight">
            Koukan
          </Link>
          <NavLinks links={links} menu={{ label: 'Settings', links: settings }} />
          <div className="ml-auto flex items-center gap-2 text-sm">
            <span className="hidden text-muted sm:inline" title={user.email}>
              {user.email}
            </span>
            <Badge
              tone={
                user.role === 'admin' ? 'accent' : user.role === 'operator' ? 'info' : 'neutral'
              }
            >
              {user.role}
            </Badge>
            <ThemeToggle />
            <SignOutButton />
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-5">
        {children}
      </main>
    </div>
  );
}
