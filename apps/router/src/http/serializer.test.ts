import { errorBodySchema } from '@koukan/protocol';
import { eventListSchema, transactionViewSchema } from '@koukan/services';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { uploadResponseSchema } from '../routes/uploads.ts';
import { planOf, responseSerializerCompiler } from './serializer.ts';

const compile = (schema: z.ZodType) => {
  const route = { schema, method: 'GET', url: '/x', httpStatus: '200' };
  return {
    fast: responseSerializerCompiler(route as never),
    zod: zodSerializerCompiler(route as never) as (data: unknown) => string,
  };
};

/** The same bytes as zod's serializer, or the same failure. */
function expectSame(schema: z.ZodType, data: unknown) {
  const { fast, zod } = compile(schema);
  let expected: string | Error;
  try {
    expected = zod(data);
  } catch (err) {
    expected = err as Error;
  }
  if (expected instanceof Error) {
    expect(() => fast(data)).toThrow(expected.constructor as new () => Error);
    return undefined;
  }
  expect(fast(data)).toBe(expected);
  return expected;
}

const reversed = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).reverse()) as T;

function view(over: Record<string, unknown> = {}) {
  return {
    id: '0b5c7a3e-1111-4444-8888-123456789abc',
    sender: 'smtp-mx',
    status: 'delivered',
    version: 7,
    mail_from: { m: 'a@example.org' },
    rcpt_to: [{ m: 'b@example.org' }],
    body: {
      type: 'rfc822',
      status: 'finalized',
      rfc822: {
        uri: '/v1/transactions/x/body',
        status: 'finalized',
        size: 4096,
        expected_size: null,
      },
      blobs: [],
    },
    mail_response: { code: 250, enhanced: '2.1.0', message: 'ok' },
    rcpt_response: [{ code: 250, message: 'ok' }, null],
    data_response: null,
    attempt_count: 1,
    final_attempt_reason: null,
    next_attempt_at: null,
    cancel_requested_at: '2026-12-02T18:00:00.000Z',
    heartbeat_at: null,
    created_at: '2026-12-02T18:00:00.000Z',
    updated_at: '2026-12-02T18:00:01.000Z',
    finished_at: null,
    ...over,
  };
}

describe('responseSerializerCompiler', () => {
  it('gives zod’s bytes for transaction views: shape order, unknown keys stripped', () => {
    expect(planOf(transactionViewSchema)).toBeDefined();
    expect(planOf(uploadResponseSchema)).toBeDefined();
    const out = expectSame(transactionViewSchema, view());
    expect(JSON.parse(out!)).toMatchObject({ id: view().id, status: 'delivered' });
    // keys in another order (jsonb gives `{e, m}`), unknown keys at every level
    expectSame(
      transactionViewSchema,
      reversed(
        view({
          mail_from: { x: 1, e: [{ p: 'HDRS', k: 'RET', y: 2 }, { k: 'SMTPUTF8' }], m: 'a@x' },
          rcpt_to: [{ e: [{ k: 'NOTIFY', p: 'FAILURE' }], m: 'b@x', orcpt: 'rfc822;b@x' }],
          mail_response: reversed({ code: 451, enhanced: '4.4.7', message: 'later', more: 1 }),
          internal: { secret: true },
        }),
      ),
    );
  });

  it('message_builder bodies, optional keys absent or undefined', () => {
    expectSame(
      transactionViewSchema,
      view({
        body: {
          type: 'message_builder',
          status: 'uploading',
          rfc822: null,
          blobs: [
            { create_id: 'p1', uri: '/u1', status: 'finalized', size: 3, expected_size: 3 },
            {
              create_id: undefined,
              uri: '/u2',
              status: 'awaiting_upload',
              size: 0,
              expected_size: null,
            },
          ],
        },
      }),
    );
  });

  it('the upload status and error bodies', () => {
    expectSame(uploadResponseSchema, {
      upload: { size: 4096, expected_size: null, complete: true },
      transaction: view(),
    });
    expectSame(errorBodySchema, {
      error: { code: 'bad_request', message: 'no', details: [{ field: 'body', message: 'x' }] },
    });
  });

  it('fails as zod does on a value outside the schema', () => {
    expectSame(transactionViewSchema, view({ status: 'nonsense' }));
    expectSame(transactionViewSchema, view({ version: 1.5 }));
    expectSame(transactionViewSchema, view({ attempt_count: Number.POSITIVE_INFINITY }));
    expectSame(transactionViewSchema, view({ data_response: undefined }));
    expectSame(transactionViewSchema, view({ rcpt_to: [{ m: 'a@x' }, undefined] }));
    expectSame(transactionViewSchema, view({ created_at: new Date(0) }));
    expectSame(transactionViewSchema, view({ mail_from: [] }));
  });

  it('leaves schemas it does not know to zod (records, unions, transforms)', () => {
    expect(planOf(eventListSchema)).toBeUndefined();
    expectSame(eventListSchema, {
      events: [{ id: 1, at: 'now', type: 'created', attempt_id: null, data: { a: 1 } }],
      next_after: null,
    });
    expectSame(z.object({ n: z.string().transform((s) => s.length) }), { n: 'abc' });
    expectSame(z.union([z.string(), z.number()]), 3);
  });
});
