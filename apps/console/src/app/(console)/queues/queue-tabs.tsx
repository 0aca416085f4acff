'use client';
import { cn } from '@koukan/ui';
import { useQueryStates } from 'nuqs';
import { noGroup, type QueueName, queueNames, queueSearchParams } from './search-params.ts';

const labels: Record<QueueName, string> = {
  waiting: 'Waiting',
  held: 'Held',
  failed: 'Failed recently',
};

/** Which queue the page shows: waiting for a retry, held by an operator, or failed lately. */
export function QueueTabs() {
  const [s, set] = useQueryStates(queueSearchParams, { shallow: true, history: 'push' });
  return (
    <nav aria-label="Queues" className="mb-4">
      <ul className="flex gap-1 border-b border-border">
        {queueNames.map((q) => (
          <li key={q}>
            <button
              type="button"
              aria-current={s.queue === q ? 'page' : undefined}
              onClick={() => void set({ queue: q, ...noGroup })}
              className={cn(
                '-mb-px border-b-2 border-transparent px-3 py-2 text-sm text-muted hover:text-fg',
                s.queue === q && 'border-accent font-medium text-fg',
              )}
            >
              {labels[q]}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
