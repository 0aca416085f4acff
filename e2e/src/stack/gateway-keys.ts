/**
 * Run by the e2e stack with `node --import tsx` after `koukan init`: gateway keys of the smtp-mx
 * and smtp-msa senders for the gateway's listeners (what `npm start` makes for its gateway),
 * printed as one line of JSON. A gateway key may set session facts that no client key may.
 */
import { createApiKey, createDb, getSenderByName } from '@koukan/db';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is required');
const handle = createDb({ url, poolSize: 1, applicationName: 'koukan-e2e-seed' });
try {
  const key = async (sender: string) => {
    const row = await getSenderByName(handle.db, sender);
    if (!row) throw new Error(`no sender "${sender}" after koukan init`);
    return (await createApiKey(handle.db, { senderId: row.id, name: 'e2e gateway', gateway: true }))
      .key;
  };
  const keys = { mx: await key('smtp-mx'), msa: await key('smtp-msa') };
  process.stdout.write(`${JSON.stringify(keys)}\n`);
} finally {
  await handle.close();
}
