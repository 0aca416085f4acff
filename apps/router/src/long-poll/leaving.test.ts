import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { leaving } from './until-answered.ts';

describe('leaving (the client gone during a long-poll)', () => {
  it('aborts when the response closes while the wait is on', () => {
    const res = new EventEmitter();
    const client = leaving(res);
    res.emit('close');
    expect(client.signal.aborted).toBe(true);
  });

  it('leaves nothing on the response once the wait is over', () => {
    const res = new EventEmitter();
    const client = leaving(res);
    client.stop();
    expect(res.listenerCount('close')).toBe(0);
    res.emit('close'); // the response's own close after it was sent
    expect(client.signal.aborted).toBe(false);
  });
});
