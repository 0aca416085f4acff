import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { serverCaller } from '../../server/trpc/server.tsx';
import { SignInForm } from './sign-in-form.tsx';

export const metadata: Metadata = { title: 'Sign in' };
export const dynamic = 'force-dynamic';

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ next?: string }>;
}) {
  const caller = await serverCaller();
  const { next } = await searchParams;
  // Only a path on this site: never an open redirect.
  const target = next?.startsWith('/') && !next.startsWith('//') ? next : '/';
  if (await caller.me.get()) redirect(target);
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <div className="w-full max-w-sm rounded-lg border border-border bg-surface p-6 shadow-sm">
        <h1 className="text-lg font-semibold">Koukan console</h1>
        <p className="mt-1 mb-5 text-sm text-muted">
          Sign in with the account an administrator gave you.
        </p>
        <SignInForm next={target} />
      </div>
    </main>
  );
}
