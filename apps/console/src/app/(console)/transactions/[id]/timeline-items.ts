import type {
  AttemptDetail,
  EventDetail,
  SmtpReplyDetail,
  TransactionDetail,
} from '@koukan/services';
import type { TimelineItem, Tone } from '@koukan/ui';

const outcomeTone: Record<string, Tone> = {
  success: 'ok',
  temp_failure: 'warn',
  perm_failure: 'danger',
  abandoned: 'neutral',
};

export function replyTone(r: SmtpReplyDetail | null): Tone | undefined {
  if (!r) return undefined;
  return r.code >= 500 ? 'danger' : r.code >= 400 ? 'warn' : 'ok';
}

function eventTone(type: string): Tone {
  if (/fail|reject|bounce|cancel/.test(type)) return 'danger';
  if (/retry|defer|held|hold/.test(type)) return 'warn';
  if (/deliver|success|final/.test(type)) return 'ok';
  return 'neutral';
}

const humanize = (s: string) => s.replace(/[_.]/g, ' ').replace(/^./, (c) => c.toUpperCase());

function short(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function eventItem(e: EventDetail): TimelineItem {
  return {
    id: `e${e.id}`,
    at: e.at,
    title: humanize(e.type),
    badge: { label: e.type, tone: eventTone(e.type) },
    sincePreviousMs: e.since_previous_ms,
    facts: Object.entries(e.data)
      .slice(0, 12)
      .map(([label, value]) => ({ label, value: short(value) })),
  };
}

function attemptItem(a: AttemptDetail, rcpts: string[]): TimelineItem {
  const lines: NonNullable<TimelineItem['lines']> = [];
  if (a.mail_reply)
    lines.push({ label: 'MAIL FROM', text: a.mail_reply.verbatim, tone: replyTone(a.mail_reply) });
  a.rcpt_replies.forEach((r, i) => {
    if (r)
      lines.push({
        label: `RCPT TO ${rcpts[i] ?? `#${i + 1}`}`,
        text: r.verbatim,
        tone: replyTone(r),
      });
  });
  if (a.data_reply)
    lines.push({ label: 'DATA', text: a.data_reply.verbatim, tone: replyTone(a.data_reply) });
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
