import { describe, expect, it } from 'vitest';
import { assertSmtpServerPatched } from './patched-server.ts';

describe('the smtp-server patch (patches/smtp-server+3.21.6.patch)', () => {
  // Fails when node_modules was installed without the root postinstall (patch-package).
  it('is applied: greetingDelay, onReset, the 250 text and a single enhanced code', async () => {
    await expect(assertSmtpServerPatched()).resolves.toBeUndefined();
  });
});
