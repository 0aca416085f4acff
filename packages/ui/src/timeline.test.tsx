import { render, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { formatDuration, formatTimestamp } from './format.ts';
import { Timeline } from './timeline.tsx';

describe('Timeline', () => {
  it('lists items in order with exact times, durations and verbatim replies', () => {
    render(
      <Timeline
        label="Delivery timeline"
        items={[
          {
            id: 'e1',
            at: '2026-12-02T02:00:00.000Z',
            title: 'Created',
            badge: { label: 'created' },
          },
          {
            id: 'a1',
            at: '2026-12-02T02:00:01.250Z',
            title: 'Attempt 1',
            badge: { label: 'temporary failure', tone: 'warn' },
            sincePreviousMs: 1250,
            durationMs: 3400,
            facts: [{ label: 'Upstream', value: 'mx1.example.net' }],
            lines: [{ label: 'RCPT', text: '451 4.7.1  Greylisted, try again  ', tone: 'warn' }],
          },
        ]}
      />,
    );
    const list = screen.getByRole('list', { name: 'Delivery timeline' });
    const items = within(list)
      .getAllByRole('listitem')
      .filter((li) => li.parentElement === list);
    expect(items.map((li) => within(li).getByRole('heading').textContent)).toEqual([
      'Created',
      'Attempt 1',
    ]);
    const attempt = items[1]!;
    expect(within(attempt).getByText('+1.3 s')).toBeTruthy();
    expect(within(attempt).getByText('took 3.4 s')).toBeTruthy();
    expect(within(attempt).getByText('mx1.example.net')).toBeTruthy();
    // The reply is shown exactly as the upstream sent it, spaces included.
    expect(attempt.querySelector('code')!.textContent).toBe('451 4.7.1  Greylisted, try again  ');
    expect(attempt.querySelector('time')!.getAttribute('datetime')).toBe(
      '2026-12-02T02:00:01.250Z',
    );
  });

  it('says so when there is nothing yet', () => {
    render(<Timeline items={[]} />);
    expect(screen.getByText('No events yet.')).toBeTruthy();
  });
});

describe('formatting', () => {
  it('formats durations and timestamps', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(65_000)).toBe('1 min 05 s');
    expect(formatDuration(3 * 3600_000 + 60_000)).toBe('3 h 01 min');
    expect(formatDuration(null)).toBe('—');
    expect(formatTimestamp('2026-12-02T02:00:01.250Z')).toBe('2026-12-02 02:00:01 UTC');
  });
});
