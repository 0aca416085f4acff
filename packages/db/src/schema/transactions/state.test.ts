import { describe, expect, it } from 'vitest';
import {
  allowedTransitions,
  isAllowed,
  transactionStatuses,
  transitionNames,
  transitions,
} from './state.ts';

describe('the transaction state machine', () => {
  it('allows each operator transition only from its statuses', () => {
    expect(allowedTransitions('queued')).toEqual(['retry_now', 'hold', 'cancel']);
    expect(allowedTransitions('held')).toEqual(['release', 'retry_now', 'cancel']);
    expect(allowedTransitions('inflight')).toEqual(['cancel']);
    for (const final of ['delivered', 'failed', 'cancelled'] as const) {
      expect(allowedTransitions(final), final).toEqual([]);
    }
  });

  it('refuses a second cancel of an in-flight transaction already flagged', () => {
    expect(allowedTransitions('inflight', true)).toEqual([]);
    expect(isAllowed('cancel', 'inflight')).toBe(true);
  });

  it('refuses hold of a held one and release of a queued one', () => {
    expect(isAllowed('hold', 'held')).toBe(false);
    expect(isAllowed('release', 'queued')).toBe(false);
    expect(isAllowed('retry_now', 'inflight')).toBe(false);
  });

  it('names every transition once, from known statuses', () => {
    expect([...transitionNames].sort()).toEqual(Object.keys(transitions).sort());
    for (const name of transitionNames) {
      for (const s of transitions[name].from) expect(transactionStatuses).toContain(s);
    }
  });
});
