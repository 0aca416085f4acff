import type { EventDetail, TransactionDetail } from '@koukan/services';
import type { TimelineItem } from '@koukan/ui';
import { isValidElement, type ReactElement, type ReactNode } from 'react';
import { describe, expect, it } from 'vitest';
import { timelineItems } from './timeline-items.ts';

const at = '2026-12-02T10:00:00.000Z';
const event = (type: string, data: Record<string, unknown>): EventDetail => ({
  id: 1,
  at,
  type,
  attempt_id: null,
  data,
  since_previous_ms: null,
});
const itemOf = (e: EventDetail): TimelineItem =>
  timelineItems({
    transaction: { rcpt_to: [{ m: 'bob@example.org' }] },
    events: [e],
    attempts: [],
  } as unknown as TransactionDetail)[0]!;

/** The text a fact's value renders (strings and elements' children). */
function text(node: ReactNode): string {
  if (node === null || node === undefined || typeof node === 'boolean') return '';
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(text).join(' ');
  if (isValidElement(node))
    return text((node as ReactElement<{ children?: ReactNode }>).props.children);
  return '';
}
const facts = (item: TimelineItem) =>
  Object.fromEntries((item.facts ?? []).map((f) => [f.label, text(f.value)]));

describe('timeline events', () => {
  it('upstream_accepted: the upstream transaction as id, URL, status and replies, not JSON', () => {
    const item = itemOf(
      event('upstream_accepted', {
        id: 'up-1',
        url: 'http://gateway:8001/v1/transactions/up-1',
        transaction: {
          id: 'up-1',
          status: 'delivered',
          mail_response: { code: 250, message: 'ok' },
          rcpt_response: [{ code: 250, enhanced: '2.1.5', message: 'recipient ok' }],
          data_response: { code: 250, enhanced: '2.0.0', message: 'e2e-sink queued as 42' },
        },
      }),
    );
    expect(facts(item)).toEqual({
      'Upstream transaction': 'up-1',
      'Upstream URL': 'http://gateway:8001/v1/transactions/up-1',
      'Upstream status': 'delivered',
    });
    expect(item.lines).toEqual([
      { label: 'MAIL FROM', text: '250 ok', tone: 'ok' },
      { label: 'RCPT TO #1', text: '250 2.1.5 recipient ok', tone: 'ok' },
      { label: 'DATA', text: '250 2.0.0 e2e-sink queued as 42', tone: 'ok' },
    ]);
    expect(JSON.stringify(item.facts?.map((f) => text(f.value)))).not.toContain('{');
  });

  it('a refused upstream reply is toned as a failure', () => {
    const item = itemOf(
      event('upstream_accepted', {
        id: 'up-2',
        transaction: {
          id: 'up-2',
          status: 'failed',
          rcpt_response: [{ code: 550, message: 'no' }],
        },
      }),
    );
    expect(item.lines).toEqual([{ label: 'RCPT TO #1', text: '550 no', tone: 'danger' }]);
  });

  it('exploded: each upstream transaction is a link to its page', () => {
    const item = itemOf(event('exploded', { upstreams: ['a-1', 'b-2'] }));
    const [fact] = item.facts ?? [];
    expect(fact?.label).toBe('Upstream transactions (2)');
    const links = (fact!.value as ReactElement<{ children: ReactElement<{ href: string }>[] }>)
      .props.children;
    expect(links.map((l) => l.props.href)).toEqual(['/transactions/a-1', '/transactions/b-2']);
  });

  it('other values: replies as their text, lists joined, the rest as short JSON', () => {
    const item = itemOf(
      event('route_failed', {
        reply: { code: 451, enhanced: '4.3.2', message: 'later' },
        hosts: ['a.example', 'b.example'],
        detail: { nested: true },
        none: null,
        rcpt: [{ code: 250, message: 'queued as 1' }, null],
      }),
    );
    expect(facts(item)).toEqual({
      reply: '451 4.3.2 later',
      hosts: 'a.example, b.example',
      detail: '{"nested":true}',
      none: '—',
      rcpt: '250 queued as 1; —',
    });
  });
});
