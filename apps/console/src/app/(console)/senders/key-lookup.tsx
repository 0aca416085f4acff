'use client';
import { apiKeyListInput } from '@koukan/services/api-keys/schemas';
import { Button, Card, formatTimestamp, TextField } from '@koukan/ui';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { errorMessage } from '../../../lib/errors.ts';
import { useTRPC } from '../../../trpc/react.tsx';

/** Which sender a key belongs to, from the prefix an application or a log shows (`kk_AbC…`). */
export function KeyLookup() {
  const trpc = useTRPC();
  const [text, setText] = useState('');
  const [prefix, setPrefix] = useState<string | null>(null);
  const check = apiKeyListInput.shape.prefix.safeParse(text.trim());
  const found = useQuery({
    ...trpc.apiKeys.list.queryOptions({ prefix: prefix ?? '', include_revoked: true, limit: 20 }),
    enabled: prefix !== null,
  });
  return (
    <Card title="Find an API key" aria-label="Find an API key">
      <form
        aria-label="Find an API key by prefix"
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (check.success && text.trim()) setPrefix(text.trim());
        }}
      >
        <TextField
          label="Key prefix"
          hint="The visible beginning of a key, e.g. kk_AbC"
          className="w-64"
          value={text}
          onChange={(e) => setText(e.target.value)}
          error={check.success ? undefined : check.error.issues[0]?.message}
        />
        <Button type="submit" disabled={!check.success || !text.trim()}>
          Find key
        </Button>
      </form>
      {prefix !== null ? (
        <div role="status" className="mt-3 text-sm">
          {found.isPending ? (
            'Searching…'
          ) : found.error ? (
            errorMessage(found.error)
          ) : found.data.length === 0 ? (
            `No key starts with ${prefix}.`
          ) : (
            <ul className="space-y-1">
              {found.data.map((k) => (
                <li key={k.id}>
                  <code className="font-mono">{k.prefix}</code> — sender{' '}
                  <Link href={`/senders/${k.sender}`} className="text-accent hover:underline">
                    {k.sender}
                  </Link>
                  {k.name ? ` (${k.name})` : ''}, created {formatTimestamp(k.created_at)}
                  {k.revoked_at ? `, revoked ${formatTimestamp(k.revoked_at)}` : ''}
                </li>
              ))}
            </ul>
          )}
        </div>
      ) : null}
    </Card>
  );
}
