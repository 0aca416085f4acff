'use client';
import { Card, ErrorPanel, formatTimestamp, LoadingBlock } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { MessageView } from '../../../../components/message-view.tsx';
import { errorMessage } from '../../../../lib/errors.ts';
import { useTRPC } from '../../../../trpc/react.tsx';
import { SandboxDeleteButton } from '../delete-button.tsx';

/** A kept message: its envelope, then the same message view as a transaction's. */
export function SandboxMessageView({ id }: { id: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const kept = useQuery({ ...trpc.sandbox.get.queryOptions({ id }), retry: false });
  const back = (
    <Link href="/sandbox" className="text-sm text-accent underline-offset-2 hover:underline">
      ← Sandbox
    </Link>
  );
  if (kept.isPending) return <LoadingBlock label="Loading the message" />;
  if (kept.error) {
    return (
      <div className="space-y-3">
        {back}
        <h1 className="text-xl font-semibold">Sandbox message</h1>
        <ErrorPanel title="Cannot show this message" message={errorMessage(kept.error)} />
      </div>
    );
  }
  const { item, message } = kept.data;
  const facts: [string, string][] = [
    ['Mailbox', item.mailbox],
    ['Kept', formatTimestamp(item.createdAt)],
    ['Sender', item.sender],
    ['Envelope sender', item.mailFrom || '<>'],
    ['Recipients', item.rcptTo.join(', ')],
    ['Message-ID', item.messageId ?? '—'],
  ];
  return (
    <div className="space-y-4">
      {back}
      <div className="flex flex-wrap items-start justify-between gap-3">
        <h1 className="text-xl font-semibold break-words">{item.subject || '(no subject)'}</h1>
        <SandboxDeleteButton
          target={{ id }}
          label="Delete message"
          question="Delete this message?"
          description="The kept message and its body are deleted. It cannot be undone."
          onDeleted={() => router.push(`/sandbox?mailbox=${encodeURIComponent(item.mailbox)}`)}
        />
      </div>
      <Card title="Envelope">
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          {facts.map(([k, v]) => (
            <div key={k} className="contents">
              <dt className="text-muted">{k}</dt>
              <dd className="break-all">{v}</dd>
            </div>
          ))}
          {item.transactionId && (
            <div className="contents">
              <dt className="text-muted">Transaction</dt>
              <dd>
                <Link
                  href={`/transactions/${item.transactionId}`}
                  className="text-accent underline-offset-2 hover:underline"
                >
                  Open its delivery timeline
                </Link>
              </dd>
            </div>
          )}
        </dl>
      </Card>
      <MessageView
        base={`/api/sandbox/${id}`}
        hasBody
        message={{ isPending: false, error: null, data: message }}
      />
    </div>
  );
}
