import { describe, expect, it } from 'vitest';
import { WatchPeers } from './watch-peers.ts';

function peers(options: { refreshMs?: number; graceMs?: number } = {}) {
  const sent: string[] = [];
  const p = new WatchPeers({ send: (s) => sent.push(s), ...options });
  return { p, sent };
}

describe('WatchPeers', () => {
  it('never skips hints before its LISTEN connection is up and its hello had time to be answered', () => {
    const { p, sent } = peers({ graceMs: 1000 });
    expect(p.canSkipHints(0)).toBe(false);
    p.connected(0);
    expect(sent).toEqual([`hello:${p.self}`]);
    expect(p.canSkipHints(999)).toBe(false);
    expect(p.canSkipHints(1000)).toBe(true);
    p.disconnected();
    expect(p.canSkipHints(5000)).toBe(false);
  });

  it('keeps hints while another process said it has waiters, for three refresh periods', () => {
    const { p } = peers({ refreshMs: 10_000, graceMs: 0 });
    p.connected(0);
    expect(p.receive('watching:other', 100)).toBe(true);
    expect(p.canSkipHints(100)).toBe(false);
    expect(p.canSkipHints(30_099)).toBe(false);
    expect(p.canSkipHints(30_100)).toBe(true);
    // its own announcement (LISTEN delivers it back) is not a peer's
    expect(p.receive(`watching:${p.self}`, 40_000)).toBe(true);
    expect(p.canSkipHints(40_000)).toBe(true);
    // a change hint is not a control payload
    expect(p.receive('6b0c3a43-4a3b-4c63-9b6f-0ad3a5c0d1c2:3', 40_000)).toBe(false);
  });

  it('says it has waiters at the first, again each refresh period, and in answer to a hello', () => {
    const { p, sent } = peers({ refreshMs: 10_000 });
    p.connected(0);
    sent.length = 0;
    p.receive('hello:other', 10);
    expect(sent).toEqual([]); // no waiters: nothing to say
    expect(p.waiting(100)).toBe(true); // the peers did not know: the caller polls soon
    expect(sent).toEqual([`watching:${p.self}`]);
    expect(p.waiting(5000)).toBe(false);
    expect(sent).toHaveLength(1);
    p.waiting(10_100);
    expect(sent).toHaveLength(2);
    p.receive('hello:other', 20_000);
    expect(sent).toHaveLength(3);
    // waiters gone for longer than the peers remember them: a hello goes unanswered
    p.receive('hello:other', 50_000);
    expect(sent).toHaveLength(3);
    // and the next waiter is news to them
    expect(p.waiting(60_000)).toBe(true);
  });

  it('a reconnect re-announces the waiters it had', () => {
    const { p, sent } = peers();
    p.connected(0);
    p.waiting(10);
    p.disconnected();
    sent.length = 0;
    p.connected(2000);
    expect(sent).toEqual([`hello:${p.self}`, `watching:${p.self}`]);
  });
});
