import type { AttemptDetail, EventDetail, TransactionDetail } from '@koukan/services';
import type { TimelineItem, Tone } from '@koukan/ui';
import Link from 'next/link';
import { createElement } from 'react';

const outcomeTone: Record<string, Tone> = {
  success: 'ok',
  temp_failure: 'warn',
  perm_failure: 'danger',
  abandoned: 'neutral',
};

function eventTone(type: string): Tone {
  if (/fail|reject|bounce|cancel/.test(type)) return 'danger';
  if (/retry|defer|held|hold/.test(type)) return 'warn';
  if (/deliver|success|final/.test(type)) return 'ok';
  return 'neutral';
}

const humanize = (s: string) => s.replace(/[_.]/g, ' ').replace(/^./, (c) => c.toUpperCase());

type Reply = { code: number; enhanced?: string | null; message?: string | null };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isReply = (v: unknown): v is Reply => isObject(v) && typeof v.code === 'number';
const replyText = (r: Reply) => [r.code, r.enhanced, r.message].filter(Boolean).join(' ');
const toneOf = (r: Reply): Tone => (r.code >= 500 ? 'danger' : r.code >= 400 ? 'warn' : 'ok');

function short(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (isReply(v)) return replyText(v);
  if (Array.isArray(v) && v.some(isReply)) {
    return v.map((x) => (isReply(x) ? replyText(x) : '—')).join('; ');
  }
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object' || x === null)) {
    return v.map((x) => String(x ?? '—')).join(', ');
  }
  return JSON.stringify(v);
}

/** The replies of an upstream transaction (rest_output's `transaction`), as protocol lines. */
function upstreamLines(t: Record<string, unknown>): NonNullable<TimelineItem['lines']> {
  const lines: NonNullable<TimelineItem['lines']> = [];
  const add = (label: string, r: unknown) => {
    if (isReply(r)) lines.push({ label, text: replyText(r), tone: toneOf(r) });
  };
  add('MAIL FROM', t.mail_response);
  const rcpts: unknown[] = Array.isArray(t.rcpt_response) ? t.rcpt_response : [];
  for (const [i, r] of rcpts.entries()) add(`RCPT TO #${i + 1}`, r);
  add('DATA', t.data_response);
  return lines;
}

const upstreamLink = (id: string) =>
  createElement(
    Link,
    { key: id, href: `/transactions/${id}`, className: 'font-mono text-accent underline' },
    id,
  );

/**
 * An event's data as facts: an upstream transaction (rest_output's `upstream_*` events) as its
 * id, status and replies; the exploder's upstreams as links to them (same database); replies as
 * `code enhanced text`; anything else as short text.
 */
function eventItem(e: EventDetail): TimelineItem {
  const facts: NonNullable<TimelineItem['facts']> = [];
  let lines: TimelineItem['lines'];
  for (const [key, value] of Object.entries(e.data)) {
    if (key === 'id' && e.type.startsWith('upstream_') && typeof value === 'string') {
      facts.push({
        label: 'Upstream transaction',
        value: createElement('code', { className: 'font-mono' }, value),
      });
    } else if (key === 'transaction' && isObject(value)) {
      if (typeof value.status === 'string')
        facts.push({ label: 'Upstream status', value: value.status });
      lines = upstreamLines(value);
    } else if (key === 'upstreams' && Array.isArray(value)) {
      const ids = value.filter((x): x is string => typeof x === 'string');
      facts.push({
        label: ids.length === 1 ? 'Upstream transaction' : `Upstream transactions (${ids.length})`,
        value: createElement(
          'span',
          { className: 'flex flex-wrap gap-x-3' },
          ids.map(upstreamLink),
        ),
      });
    } else if (key === 'url' && typeof value === 'string' && e.type.startsWith('upstream_')) {
      facts.push({
        label: 'Upstream URL',
        value: createElement('code', { className: 'font-mono break-all' }, value),
      });
    } else {
      facts.push({ label: key, value: short(value) });
    }
  }
  return {
    id: `e${e.id}`,
    at: e.at,
    title: humanize(e.type),
    badge: { label: e.type, tone: eventTone(e.type) },
    sincePreviousMs: e.since_previous_ms,
    facts: facts.slice(0, 12),
    ...(lines?.length && { lines }),
  };
}

function attemptItem(a: AttemptDetail, rcpts: string[]): TimelineItem {
  const lines: NonNullable<TimelineItem['lines']> = [];
  if (a.mail_reply)
    lines.push({ label: 'MAIL FROM', text: a.mail_reply.verbatim, tone: toneOf(a.mail_reply) });
  a.rcpt_replies.forEach((r, i) => {
    if (r)
      lines.push({
        label: `RCPT TO ${rcpts[i] ?? `#${i + 1}`}`,
        text: r.verbatim,
        tone: toneOf(r),
      });
  });
  if (a.data_reply)
    lines.push({ label: 'DATA', text: a.data_reply.verbatim, tone: toneOf(a.data_reply) });
  const facts: NonNullable<TimelineItem['facts']> = [
    { label: 'Upstream', value: a.upstream_host ?? '—' },
    {
      label: 'TLS',
      value: a.tls
        ? Object.entries(a.tls)
            .map(([k, v]) => `${k}: ${short(v)}`)
            .join(', ')
        : 'not reported',
    },
    { label: 'Finished', value: a.finished_at ?? 'still running' },
  ];
  if (a.instance_id) facts.push({ label: 'Replica', value: a.instance_id });
  if (a.error) facts.push({ label: 'Error', value: a.error });
  return {
    id: `a${a.id}`,
    at: a.started_at,
    title: `Attempt ${a.number}`,
    badge: { label: a.outcome ?? 'in flight', tone: a.outcome ? outcomeTone[a.outcome] : 'info' },
    durationMs: a.duration_ms,
    facts,
    lines,
  };
}

/** Events and attempts in one list, in time order (an attempt sorts at its start). */
export function timelineItems(d: TransactionDetail): TimelineItem[] {
  const rcpts = d.transaction.rcpt_to.map((r) => r.m);
  const items = [...d.events.map(eventItem), ...d.attempts.map((a) => attemptItem(a, rcpts))];
  return items.sort((x, y) => x.at.localeCompare(y.at));
}
