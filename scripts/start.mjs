// `npm start`: install what is missing, build when sources changed, migrate the database and
// serve the app and the tRPC API (from OASIS_WORKERS processes: see scripts/serve.mjs).
import { ensureBuild, ensureDependencies, log, root } from './lib.mjs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

await ensureDependencies();
await ensureBuild();

process.env.PORT ||= '3000';
process.env.BODY_SIZE_LIMIT ||= '64M'; // imports of oasst files go through the API too
const port = process.env.PORT;
log(`Starting on port ${port} (DATABASE_URL=${process.env.DATABASE_URL ? 'set' : 'sqlite:./data/oasis.db'})…`);
// The server's init hook opens and migrates the database before it listens (web/hooks.server.ts).
// scripts/serve.mjs answers /api/trpc straight from node:http and the rest through SvelteKit.
const { serveAll } = await import(pathToFileURL(join(root, 'scripts', 'serve.mjs')).href);
const { workers } = await serveAll(join(root, 'build'));
console.log(`Oasis is running at http://localhost:${port}${workers ? ` (${workers} processes)` : ''}`);
