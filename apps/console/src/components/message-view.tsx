'use client';
import type { ParsedMessage } from '@koukan/services';
import { Card, EmptyState, ErrorPanel, LoadingBlock, Tabs } from '@koukan/ui';
import { errorMessage } from '../lib/errors.ts';

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The stored message: headers, text, HTML (sandboxed, nothing remote), attachments, raw. */
export function MessageView({
  base,
  hasBody,
  message,
}: {
  /** Where the raw source, the HTML part and attachments are served: `${base}/raw`, … */
  base: string;
  hasBody: boolean;
  message: { isPending: boolean; error: unknown; data?: ParsedMessage | undefined };
}) {
  const raw = `${base}/raw`;
  return (
    <Card
      title="Message"
      aria-label="Message"
      actions={
        hasBody ? (
          <a href={raw} download className="text-sm text-accent underline-offset-2 hover:underline">
            Download raw source (.eml)
          </a>
        ) : null
      }
    >
      {!hasBody ? (
        <EmptyState title="No message body">
          The body was never uploaded, or it was released after delivery.
        </EmptyState>
      ) : message.isPending ? (
        <LoadingBlock label="Loading message" />
      ) : message.error || !message.data ? (
        <ErrorPanel title="Cannot show the message" message={errorMessage(message.error)} />
      ) : (
        <>
          {message.data.warnings.length > 0 && (
            <ErrorPanel
              title="The message parses with problems"
              message={message.data.warnings.join('; ')}
            />
          )}
          <Tabs
            label="Message parts"
            defaultValue={message.data.html ? 'html' : 'text'}
            tabs={[
              {
                value: 'headers',
                label: `Headers (${message.data.headers.length})`,
                content: (
                  <dl className="grid max-h-96 grid-cols-[max-content_1fr] gap-x-3 gap-y-1 overflow-auto font-mono text-xs">
                    {message.data.headers.map((hd, i) => (
                      // biome-ignore lint/suspicious/noArrayIndexKey: headers repeat
                      <div key={i} className="contents">
                        <dt className="text-muted">{hd.key}</dt>
                        <dd className="break-all whitespace-pre-wrap">{hd.value}</dd>
                      </div>
                    ))}
                  </dl>
                ),
              },
              {
                value: 'text',
                label: 'Text',
                content: message.data.text ? (
                  <pre className="max-h-[32rem] overflow-auto font-mono text-xs whitespace-pre-wrap">
                    {message.data.text}
                  </pre>
                ) : (
                  <p className="text-sm text-muted">No text part.</p>
                ),
              },
              {
                value: 'html',
                label: 'HTML',
                content: message.data.html ? (
                  <div>
                    <p className="mb-2 text-xs text-muted">
                      Rendered in a sandbox: scripts and remote content are blocked.
                    </p>
                    <iframe
                      title="HTML part of the message"
                      src={`${base}/html`}
                      sandbox=""
                      referrerPolicy="no-referrer"
                      className="h-[32rem] w-full rounded-md border border-border bg-white"
                    />
                  </div>
                ) : (
                  <p className="text-sm text-muted">No HTML part.</p>
                ),
              },
              {
                value: 'attachments',
                label: `Attachments (${message.data.attachments.length})`,
                content:
                  message.data.attachments.length === 0 ? (
                    <p className="text-sm text-muted">No attachments.</p>
                  ) : (
                    <ul className="space-y-1 text-sm">
                      {message.data.attachments.map((a) => (
                        <li key={a.index} className="flex flex-wrap items-baseline gap-2">
                          <a
                            href={`${base}/attachments/${a.index}`}
                            download
                            className="text-accent underline-offset-2 hover:underline"
                          >
                            {a.filename ?? `part ${a.index}`}
                          </a>
                          <span className="text-xs text-muted">
                            {a.contentType}, {bytes(a.size)}
                            {a.disposition === 'inline' ? ', inline' : ''}
                          </span>
                        </li>
                      ))}
                    </ul>
                  ),
              },
            ]}
          />
        </>
      )}
    </Card>
  );
}
