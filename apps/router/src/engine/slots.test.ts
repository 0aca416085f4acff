import { describe, expect, it } from 'vitest';
import { Slots } from './slots.ts';

describe('attempt slots', () => {
  it('a parked attempt holds no slot, and takes one again ahead of new work', async () => {
    let freed = 0;
    const slots = new Slots(2, () => freed++);
    slots.take('a', 's1');
    slots.take('b', 's1');
    expect(slots.free).toBe(0);
    expect(slots.park('a')).toBe(true);
    expect(slots.free).toBe(1);
    expect(freed).toBe(1);
    slots.take('c', 's2');
    expect(slots.free).toBe(0);
    // 'a' is done waiting but every slot is taken: it queues, and new work may not start
    let resumed = false;
    const back = slots.resume('a').then(() => {
      resumed = true;
    });
    expect(resumed).toBe(false);
    slots.leave('b');
    expect(slots.free).toBe(0); // the freed slot went to 'a'
    await back;
    expect(resumed).toBe(true);
    expect(slots.working).toBe(2);
    expect(slots.ids().sort()).toEqual(['a', 'c']);
  });

  it('under contention, cut-through starts nothing for a sender at its share', () => {
    const slots = new Slots(4, () => {});
    slots.take('a', 'busy');
    slots.take('b', 'busy');
    expect(slots.reserve('busy')).toBe(true); // nobody waits: any sender may take a free slot
    slots.unreserve();
    slots.contended = true;
    // two senders may be competing (busy and one more): a share is 2
    expect(slots.share()).toBe(2);
    expect(slots.reserve('busy')).toBe(false);
    expect(slots.overShare()).toEqual(['busy']);
    expect(slots.reserve('other')).toBe(true);
  });
});
