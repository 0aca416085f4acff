import { defineConfig } from 'drizzle-kit';

// `npm run generate -w @koukan/db` writes a new SQL migration into ./drizzle after a schema
// change; the migrations are committed and applied by `migrate()` at start.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './drizzle',
});
