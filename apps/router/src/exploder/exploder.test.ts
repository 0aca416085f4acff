import { describe, expect, it } from 'vitest';
import {
  addr,
  dsnsFor,
  exploderSuite,
  finished,
  type Kind,
  type Phase,
  refusal,
  submit,
  upstreamsOf,
} from '../testing/exploder.ts';

// The exploder's whole matrix against real PostgreSQL: MX and MSA × the scripted upstream
// refusing at MAIL, RCPT or DATA × temporary and permanent × one recipient, several with the
// same outcome, and several with mixed outcomes (one accepted, one refused).
const { t, world } = exploderSuite();

const STORED = {
  code: 250,
  enhanced: '2.0.0',
  message: 'ok, queued for delivery (store and forward)',
};
const PARTIAL = {
  code: 250,
  enhanced: '2.0.0',
  message: 'ok, queued; delivery to some recipients will be retried or they will be notified',
};

type Shape = 'one' | 'same' | 'mixed';
const cases: { msa: boolean; phase: Phase; kind: Kind; shape: Shape }[] = [];
for (const msa of [false, true])
  for (const phase of ['mail', 'rcpt', 'data'] as const)
    for (const kind of ['temp', 'perm'] as const)
      for (const shape of ['one', 'same', 'mixed'] as const)
        cases.push({ msa, phase, kind, shape });

describe('exploder fan-in matrix', () => {
  it.each(cases)(
    'msa=$msa: $kind refusal at $phase, $shape',
    async ({ msa, phase, kind, shape }) => {
      const sender = await world.downstreamSender(msa);
      const failing = () => addr(`${phase}-${kind}`);
      const rcpt =
        shape === 'one'
          ? [failing()]
          : shape === 'same'
            ? [failing(), failing()]
            : [addr('ok'), failing()];
      const down = await submit(t, sender, rcpt);
      // RCPT: answered at once by the envelope phase, one upstream per recipient
      expect(down.rcpt_response).toEqual(
        rcpt.map(() => ({ code: 250, enhanced: '2.1.5', message: 'ok' })),
      );

      await expect.poll(() => finished(t, down.id), { timeout: 15_000 }).toBeTruthy();
      const row = (await finished(t, down.id))!;
      const refused = refusal[phase][kind];
      const upgraded = msa && kind === 'temp';
      const expected =
        shape === 'mixed' ? (upgraded ? STORED : PARTIAL) : upgraded ? STORED : refused;
      expect(row.dataResponse).toEqual(expected);
      expect(row.attemptCount).toBe(1);

      const ups = await upstreamsOf(t, down.id);
      expect(ups.map((u) => u.rcptTo[0]!.m)).toEqual(rcpt);
      const last = ups.at(-1)!;
      if (shape === 'mixed') expect(ups[0]!.status).toBe('delivered');
      if (kind === 'temp' && (msa || shape === 'mixed')) {
        // store and forward: it keeps retrying, and its sender is told if it finally fails
        await expect
          .poll(async () => (await upstreamsOf(t, down.id)).at(-1)?.notification)
          .toMatchObject({ enabled: true });
        expect(last.status).toBe('queued');
        expect(last.nextAttemptAt).not.toBeNull();
      } else if (kind === 'temp') {
        // MX: the client was told to retry; the upstream must not deliver behind its back
        await expect
          .poll(async () => (await upstreamsOf(t, down.id)).at(-1)?.status)
          .toBe('cancelled');
      } else {
        expect(last.status).toBe('failed');
        // a permanent refusal the client did not hear (mixed → 250) becomes a DSN
        const dsns = await dsnsFor(t, last.id);
        if (shape === 'mixed') expect(dsns.length).toBe(1);
        else expect(dsns).toEqual([]);
      }
    },
  );
});
