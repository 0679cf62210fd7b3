/**
 * The tRPC API alone, served from the TypeScript sources on `node:http` (no build, no pages):
 * what `scripts/serve.mjs --source` runs in each process, for `bench:server --source` and the
 * multi-process tests. Run it as `node --import tsx server/api-server.ts` with PORT, HOST and
 * DATABASE_URL; everything the fast handler declines is answered 404.
 */
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getDatabase } from './app.js';
import { createApiHandler } from './serve.js';

/** Open and migrate the database, then listen on `host:port`; resolves with the listening server. */
export async function startApiServer(options: { host?: string; port?: number } = {}): Promise<Server> {
	await getDatabase();
	const api = createApiHandler();
	const server = createServer((req, res) => {
		api(req, res).then(
			(handled) => {
				if (handled) return;
				req.resume();
				res.statusCode = 404;
				res.end('Not found: this server answers /api/trpc only.');
			},
			(error: unknown) => {
				console.error('[oasis] API request failed:', error);
				if (!res.headersSent) res.statusCode = 500;
				res.end();
			}
		);
	});
	await new Promise<void>((done, fail) => {
		server.once('error', fail);
		server.listen({ host: options.host ?? process.env.HOST ?? '127.0.0.1', port: options.port ?? Number(process.env.PORT ?? 3000) }, () => {
			server.off('error', fail);
			done();
		});
	});
	return server;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const server = await startApiServer();
	const address = server.address();
	console.log(`API listening on ${typeof address === 'object' && address ? `http://${address.address}:${address.port}` : address}`);
	const stop = () => {
		server.close(() => process.exit(0));
		server.closeIdleConnections();
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}
