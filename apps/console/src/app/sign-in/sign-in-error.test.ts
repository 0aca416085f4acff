import { describe, expect, it } from 'vitest';
import { signInError } from './sign-in-error.ts';

describe('signInError', () => {
  it("says how long the rate limit lasts, from better-auth's X-Retry-After", () => {
    expect(signInError(429, '7')).toBe('Too many attempts. Try again in 7 seconds.');
    expect(signInError(429, '1')).toBe('Too many attempts. Try again in 1 second.');
  });

  it('does not make up a wait it was not told, nor repeat a bad header', () => {
    for (const header of [null, '', 'soon', '-3', '0', '2.5', '1e99999'])
      expect(signInError(429, header)).toBe('Too many attempts. Try again in a few seconds.');
  });

  it("names the status's cause, else the server's message, else the status", () => {
    expect(signInError(401, null, 'Invalid email or password')).toBe(
      'The email or password is wrong.',
    );
    expect(signInError(400, null, 'Invalid email')).toBe('Invalid email');
    expect(signInError(502, null)).toBe('Sign-in failed (HTTP 502).');
  });
});
