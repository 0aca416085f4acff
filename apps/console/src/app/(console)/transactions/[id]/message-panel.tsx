'use client';
import { useQuery } from '@tanstack/react-query';
import { MessageView } from '../../../../components/message-view.tsx';
import { useTRPC } from '../../../../trpc/react.tsx';

/** The transaction's stored message, in the shared message view. */
export function MessagePanel({ id, hasBody }: { id: string; hasBody: boolean }) {
  const trpc = useTRPC();
  const message = useQuery({
    ...trpc.transactions.message.queryOptions({ id }),
    enabled: hasBody,
    retry: false,
  });
  return <MessageView base={`/api/transactions/${id}`} hasBody={hasBody} message={message} />;
}
