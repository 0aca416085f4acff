import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { rawUploadPaths } from './uploads.ts';

const description = `
The Koukan router's REST API: submit mail as **transactions** and watch them until they are
delivered or have failed for good.

**Authentication.** Send \`Authorization: Bearer <api key>\`. A key belongs to a sender;
\`/v1/senders/{sender}/…\` needs a key of that sender, and a transaction is visible only to the
keys of its own sender.

**Quick start with curl**

\`\`\`sh
KEY=kk_…; API=http://127.0.0.1:8000
# 1. create a transaction (body to be uploaded next)
curl -si -X POST $API/v1/senders/submission/transactions -H "Authorization: Bearer $KEY" \\
  -H 'Content-Type: application/json' -H 'Idempotency-Key: order-1234' \\
  -d '{"mail_from":{"m":"app@example.org"},"rcpt_to":[{"m":"bob@example.org"}]}'
ID=…  # the "id" of the answer (also in its Location header)
# 2. upload the RFC 822 message (or give it inline as "body": {"inline": "…"} in step 1)
curl -s -X PUT $API/v1/transactions/$ID/body -H "Authorization: Bearer $KEY" \\
  -H 'Content-Type: message/rfc822' --data-binary @message.eml
# 3. long-poll its status: waits up to 30 s for a change of the ETag you already have
#    (the ETag of the last answer); 200 with the new state, or 304 if nothing changed
curl -si $API/v1/transactions/$ID -H "Authorization: Bearer $KEY" \\
  -H 'If-None-Match: "3"' -H 'Request-Timeout: 30'
\`\`\`

Large bodies can be sent in chunks, each with \`Content-Range: bytes <start>-<end>/<total>\`;
an interrupted upload is resumed from \`upload.size\` (also in \`Upload-Offset\`, and in
\`error.size\` of a \`416\`).

**Errors.** Every 4xx and 5xx answers \`{"error": {"code", "message", "details": [{"field",
"message"}]}}\`; \`details\` names each offending field, e.g. \`body.rcpt_to[0].m\`.
`;

/** OpenAPI 3.1 from the routes' zod schemas, at /openapi.json, and a try-it-out page at /docs. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Koukan router API', version: '1.0.0', description },
      tags: [
        { name: 'transactions', description: 'Create, watch, update and cancel transactions' },
        { name: 'uploads', description: 'Message bodies and message-builder parts' },
        { name: 'operations', description: 'Health and readiness probes' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key: kk_…' },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) => {
      const out = jsonSchemaTransformObject(doc) as {
        paths?: Record<string, Record<string, Record<string, unknown>>>;
      };
      for (const path of rawUploadPaths) {
        const op = out.paths?.[path]?.put;
        if (!op) continue;
        op.requestBody = {
          required: true,
          description: 'The raw bytes (the whole content, or the chunk named by Content-Range).',
          content: {
            'message/rfc822': { schema: { type: 'string', contentMediaType: 'message/rfc822' } },
            'application/octet-stream': {
              schema: { type: 'string', contentMediaType: 'application/octet-stream' },
            },
          },
        };
      }
      return out;
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { tryItOutEnabled: true, persistAuthorization: true, deepLinking: true },
    // Everything is served from here: the page works offline (no CDN, no external validator).
    staticCSP:
      "default-src 'self'; base-uri 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'self'",
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
