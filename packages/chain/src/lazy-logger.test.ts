import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { lazyChild } from './lazy-logger.ts';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()));
      cb();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('lazyChild', () => {
  it('makes no child while nothing reaches the level', () => {
    const { logger, lines } = capture('warn');
    const child = vi.spyOn(logger, 'child');
    const log = lazyChild(logger, { transactionId: 't1' });
    log.info({ a: 1 }, 'below the level');
    log.debug('below too');
    expect(log.isLevelEnabled('info')).toBe(false);
    expect(log.level).toBe('warn');
    const nested = log.child({ filter: 'router' });
    nested.info('below');
    expect('info' in log && 'child' in nested).toBe(true);
    expect(Object.getPrototypeOf(log)).toBe(logger);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
  });

  it('writes what the real child writes, bindings included, once the level is reached', () => {
    const { logger, lines } = capture('info');
    const log = lazyChild(logger, { transactionId: 't1' });
    log.info({ a: 1 }, 'hello');
    log.warn('again');
    const nested = lazyChild(log, { filter: 'router' });
    nested.error({ err: new Error('boom') }, 'failed');
    expect(lines.map((l) => [l.msg, l.transactionId, l.filter])).toEqual([
      ['hello', 't1', undefined],
      ['again', 't1', undefined],
      ['failed', 't1', 'router'],
    ]);
    expect(lines[0]!.a).toBe(1);
    expect((lines[2]!.err as { message: string }).message).toBe('boom');
    expect(log.bindings()).toEqual({ transactionId: 't1' });
  });

  it('follows the parent level as a pino child does', () => {
    const { logger, lines } = capture('warn');
    const log = lazyChild(logger, { id: 'x' });
    log.info('dropped');
    logger.level = 'info';
    log.info('kept');
    expect(lines.map((l) => [l.msg, l.id])).toEqual([['kept', 'x']]);
  });
});
