// message_builder, message_parser, add_route and sandbox as chain filters, with real in-memory
// implementations of the ports they need (blob reader/writer, route submitter, sandbox store).
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bodyFromBuffer, readHeaders, streamToBuffer } from '../body.ts';
import { runChain } from '../chain.ts';
import { accept, perm } from '../responses.ts';
import { chainOf, memorySandbox, simpleMessage, testContext, testTx } from '../test-helpers.ts';
import type { BlobReader, BodySource, Mailbox, RouteSubmitter, Verdict } from '../types.ts';

describe('message_builder filter', () => {
  it('builds the JSON body with blobs from the reader port, then the sandbox stores it', async () => {
    const sb = memorySandbox();
    const blobs: BlobReader = {
      open: (ref) =>
        bodyFromBuffer(`blob ${'create_id' in ref ? ref.create_id : ref.reuse_uri}`).open(),
    };
    const tx = testTx({
      body: undefined,
      message_builder: {
        from: [{ address: 'app@example.com', name: 'Äpp' }],
        to: [{ address: 'bob@example.net' }],
        subject: 'Votre reçu',
        headers: [],
        text: { content: { inline: 'Merci !' } },
        related: [],
        attachments: [
          { filename: 'reçu.txt', content_type: 'text/plain', content: { create_id: 'r1' } },
        ],
      },
    });
    const res = await runChain(
      chainOf([
        { filter: 'message_builder', message_id_domain: 'ids.koukan.test' },
        { filter: 'sandbox', mailbox: 'dev' },
      ]),
      tx,
      testContext({ blobs, sandbox: sb.store }),
    );
    expect(res.rcpt[0]).toEqual({
      kind: 'accept',
      response: {
        code: 250,
        enhanced: '2.0.0',
        message: 'accepted into the sandbox (not delivered)',
      },
    });
    expect(sb.stored[0]!.mailbox).toBe('dev');
    expect(sb.stored[0]!.body).toMatch(/^Message-ID: <[0-9a-f]+@ids\.koukan\.test>/m);
    expect(sb.stored[0]!.body).toContain(Buffer.from('blob r1').toString('base64'));
    expect(res.events.map((e) => e.type)).toEqual(['message_built', 'sandboxed']);
  });

  it('fails permanently with the field path on invalid JSON, before touching blobs', async () => {
    let opened = 0;
    const blobs: BlobReader = {
      open: () => {
        opened++;
        return bodyFromBuffer('x').open();
      },
    };
    const tx = testTx({
      body: undefined,
      message_builder: {
        to: [{ address: 'nope' }],
        text: { content: { create_id: 'a' } },
      } as never,
    });
    const res = await runChain(
      chainOf([{ filter: 'message_builder' }, { filter: 'sandbox' }]),
      tx,
      testContext({ blobs }),
    );
    expect(res.rcpt[0]).toMatchObject({ kind: 'perm', response: { code: 550, enhanced: '5.6.0' } });
    expect(res.rcpt[0]!.response.message).toContain('to.0.address');
    expect(opened).toBe(0);
  });
});

describe('message_parser filter', () => {
  it('leaves the message-builder JSON in tx.parsed and refuses oversized messages', async () => {
    const tx = testTx({
      message: simpleMessage('zoë@example.com', 'bob@example.net', 'Grüße\r\n'),
    });
    await runChain(chainOf([{ filter: 'message_parser' }]), tx, testContext(), {
      endOfChain: accept(),
    });
    expect(tx.parsed).toMatchObject({
      subject: 'test message',
      text: { content: { inline: 'Grüße\n' } },
    });
    const big = testTx();
    const res = await runChain(
      chainOf([{ filter: 'message_parser', max_size: 100 }]),
      big,
      testContext(),
    );
    expect(res.rcpt[0]).toMatchObject({ kind: 'perm', response: { code: 552, enhanced: '5.3.4' } });
  });
});

describe('add_route', () => {
  type Envelope = { mail_from: Mailbox; rcpt_to: Mailbox[] };
  function memoryRoutes(answer?: (rcpt: Mailbox[]) => Verdict[]) {
    const copies: {
      sender: string;
      mode: string;
      rcpt: string[];
      body: string;
      mail_from: string;
    }[] = [];
    const copy = async (sender: string, mode: string, tx: Envelope, body: Readable) =>
      copies.push({
        sender,
        mode,
        rcpt: tx.rcpt_to.map((r) => r.m),
        mail_from: tx.mail_from.m,
        body: (await streamToBuffer(body)).toString(),
      });
    const routes: RouteSubmitter = {
      async enqueue(sender, tx) {
        await copy(sender, 'async', tx, tx.body as Readable);
        return { id: `copy-${copies.length}` };
      },
      async runSync(sender, tx: Envelope & { body: BodySource }) {
        await copy(sender, 'sync', tx, tx.body.open());
        return { rcpt: answer ? answer(tx.rcpt_to) : tx.rcpt_to.map(() => accept()) };
      },
    };
    return { routes, copies };
  }

  it('stores an asynchronous journal copy and carries on', async () => {
    const r = memoryRoutes();
    const sb = memorySandbox();
    const tx = testTx();
    const res = await runChain(
      chainOf([
        { filter: 'add_route', sender: 'archive', rcpt_to: ['journal@example.com'], mail_from: '' },
        { filter: 'received_header' },
        { filter: 'sandbox' },
      ]),
      tx,
      testContext({ routes: r.routes, sandbox: sb.store }),
    );
    expect(res.rcpt[0]!.kind).toBe('accept');
    expect(r.copies).toMatchObject([
      { sender: 'archive', mode: 'async', rcpt: ['journal@example.com'], mail_from: '' },
    ]);
    // the copy was taken before the Received: header was added further down the chain
    expect(r.copies[0]!.body).not.toMatch(/^Received:/m);
    expect(sb.stored[0]!.body).toMatch(/^Received:/m);
    expect(res.events[0]).toMatchObject({
      type: 'route_added',
      data: { sender: 'archive', id: 'copy-1' },
    });
  });

  it('runs a synchronous copy and fails the recipients whose copy failed (unless ignored)', async () => {
    const r = memoryRoutes((rcpt) =>
      rcpt.map((m) => (m.m.startsWith('bad') ? perm('nope') : accept())),
    );
    const tx = testTx({ rcpt_to: [{ m: 'ok@x.test' }, { m: 'bad@x.test' }] });
    const res = await runChain(
      chainOf([{ filter: 'add_route', sender: 'mirror', mode: 'sync', ignore_failure: false }]),
      tx,
      testContext({ routes: r.routes }),
      { endOfChain: accept(250, '2.0.0', 'end') },
    );
    expect(res.rcpt.map((v) => v.kind)).toEqual(['accept', 'temp']);
    expect(res.rcpt[1]!.response.message).toBe('copy to mirror failed: nope');
    const ignored = await runChain(
      chainOf([{ filter: 'add_route', sender: 'mirror', mode: 'sync' }]),
      testTx({ rcpt_to: [{ m: 'bad@x.test' }] }),
      testContext({ routes: r.routes }),
      {
        endOfChain: accept(),
      },
    );
    expect(ignored.rcpt[0]!.kind).toBe('accept');
  });

  it('answers a temporary failure when the copy cannot be stored and failures count', async () => {
    const routes: RouteSubmitter = {
      enqueue: async () => {
        throw new Error('database unavailable');
      },
    };
    const res = await runChain(
      chainOf([{ filter: 'add_route', sender: 'archive', ignore_failure: false }]),
      testTx(),
      testContext({ routes }),
    );
    expect(res.rcpt[0]).toMatchObject({ kind: 'temp', response: { code: 451 } });
    expect(res.events[0]).toMatchObject({
      type: 'route_failed',
      data: { error: 'database unavailable' },
    });
  });
});

describe('sandbox', () => {
  it('answers a temporary failure without a store', async () => {
    const res = await runChain(chainOf([{ filter: 'sandbox' }]), testTx(), testContext());
    expect(res.rcpt[0]).toMatchObject({
      kind: 'temp',
      response: { message: 'sandbox store is not available' },
    });
  });

  it('keeps the header block parseable after several prepends', async () => {
    const sb = memorySandbox();
    const tx = testTx();
    await runChain(
      chainOf([
        { filter: 'received_header' },
        { filter: 'received_header' },
        { filter: 'sandbox' },
      ]),
      tx,
      testContext({ sandbox: sb.store }),
    );
    const names = (await readHeaders(bodyFromBuffer(sb.stored[0]!.body))).map((h) => h.name);
    expect(names.slice(0, 3)).toEqual(['Received', 'Received', 'From']);
  });
});
