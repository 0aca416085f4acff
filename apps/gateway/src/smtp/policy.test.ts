import { describe, expect, it } from 'vitest';
import { RouterError } from '../router-client.ts';
import {
  authFailure,
  connectRefusal,
  disabledCommands,
  mailRefusal,
  oneLine,
  replyFromRouter,
  replyFromRouterError,
  toMailbox,
} from './policy.ts';

describe('policy', () => {
  it('toMailbox keeps the ESMTP parameters verbatim', () => {
    expect(toMailbox({ address: 'a@b', args: false })).toEqual({ m: 'a@b' });
    expect(toMailbox({ address: '', args: { SMTPUTF8: true, BODY: '8BITMIME' } })).toEqual({
      m: '',
      e: [{ k: 'SMTPUTF8' }, { k: 'BODY', p: '8BITMIME' }],
    });
  });

  it('replyFromRouter: 2xx accepts, 4xx/5xx refuse with an enhanced code', () => {
    expect(replyFromRouter({ code: 250, message: 'ok' })).toBeUndefined();
    expect(replyFromRouter({ code: 550, message: '5.1.1 unknown user' })).toEqual({
      code: 550,
      message: '5.1.1 unknown user',
    });
    expect(replyFromRouter({ code: 450, message: 'busy' })).toEqual({
      code: 450,
      message: '4.0.0 busy',
    });
    expect(replyFromRouter({ code: 999, message: 'x' })?.code).toBe(451);
    expect(replyFromRouter({ code: 550, message: 'a\r\n250 injected' })?.message).toBe(
      '5.0.0 a 250 injected',
    );
  });

  it('replyFromRouterError never says 250', () => {
    const timeout = new RouterError('timeout', 'x');
    expect(replyFromRouterError(timeout, 'rcpt').message).toMatch(/^4\.4\.7 /);
    expect(replyFromRouterError(new RouterError('denied', 'x', 401), 'auth').code).toBe(535);
    expect(replyFromRouterError(new RouterError('denied', 'x', 401), 'mail').code).toBe(451);
    expect(replyFromRouterError(new RouterError('unavailable', 'x', 503), 'auth').code).toBe(454);
    expect(replyFromRouterError(new RouterError('unavailable', 'x'), 'data').code).toBe(451);
    expect(replyFromRouterError(new RouterError('rejected', 'x', 413), 'data').code).toBe(552);
    expect(replyFromRouterError(new RouterError('rejected', 'x', 422), 'rcpt').code).toBe(501);
  });

  it('MSA wants AUTH before MAIL; MX never offers AUTH; MSA only under TLS', () => {
    expect(mailRefusal('msa', false)?.code).toBe(530);
    expect(mailRefusal('msa', true)).toBeUndefined();
    expect(mailRefusal('mx', false)).toBeUndefined();
    expect(disabledCommands('mx', true)).toEqual(['AUTH']);
    expect(disabledCommands('msa', false)).toEqual(['AUTH']);
    expect(disabledCommands('msa', true)).toEqual([]);
  });

  it('ends the connection at the third failed AUTH', () => {
    expect(authFailure(1).code).toBe(535);
    expect(authFailure(2).code).toBe(535);
    expect(authFailure(3).code).toBe(421);
  });

  it('caps connections per client', () => {
    expect(connectRefusal(1, 2)).toBeUndefined();
    expect(connectRefusal(2, 2)?.code).toBe(421);
  });

  it('oneLine strips control characters', () => {
    expect(oneLine(' a\x00b\r\nc ')).toBe('a b c');
  });
});
