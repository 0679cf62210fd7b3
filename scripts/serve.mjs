// Serve a built Oasis (build/ by default, or the folder given as the first argument) from one
// Node process on one port: the tRPC API at /api/trpc straight from node:http (server/serve.ts,
// several times cheaper per call), everything else — pages, assets, and API requests the fast
// path declines — through adapter-node's SvelteKit `handler`. `node build/index.js` still
// works and serves the same answers, only slower.
//
// Environment, as adapter-node reads it: HOST (0.0.0.0), PORT (3000), BODY_SIZE_LIMIT, ORIGIN,
// SHUTDOWN_TIMEOUT (30 s), KEEP_ALIVE_TIMEOUT and HEADERS_TIMEOUT (seconds). SIGTERM and SIGINT
// stop it gracefully: no new connections, running requests finish.
import http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Where server/serve.ts leaves its handler when the build's server code loads. */
const API_HANDLER_KEY = Symbol.for('oasis.apiHandler');

/** Seconds from an optional environment variable, or undefined. */
function seconds(name) {
	const value = process.env[name];
	if (value === undefined || value === '') return undefined;
	if (!/^\d+$/.test(value)) throw new Error(`${name} must be a whole number of seconds, not '${value}'.`);
	return Number(value);
}

/**
 * Start serving `dir` (a build folder); resolves with the listening server once it listens.
 * Importing the build's handler runs SvelteKit's init hook (the database is opened and
 * migrated) before anything listens.
 */
export async function serve(dir = join(root, 'build')) {
	const { handler } = await import(pathToFileURL(join(resolve(dir), 'handler.js')).href);
	const api = globalThis[API_HANDLER_KEY];
	if (typeof api !== 'function') throw new Error(`The build in ${dir} has no fast API handler (server/serve.ts); rebuild it with \`npx vite build\`.`);
	const host = process.env.HOST ?? '0.0.0.0';
	const port = Number(process.env.PORT ?? 3000);
	const server = http.createServer();
	const keepAlive = seconds('KEEP_ALIVE_TIMEOUT');
	if (keepAlive !== undefined) server.keepAliveTimeout = keepAlive * 1000;
	const headersTimeout = seconds('HEADERS_TIMEOUT');
	if (headersTimeout !== undefined) server.headersTimeout = headersTimeout * 1000;
	const svelteKit = (req, res) =>
		handler(req, res, () => {
			res.statusCode = 404;
			res.end('Not found');
		});
	let stopping;
	server.on('request', (req, res) => {
		if (stopping) req.on('close', () => server.closeIdleConnections());
		api(req, res).then(
			(handled) => {
				if (!handled) svelteKit(req, res);
			},
			(error) => {
				console.error('[oasis] API request failed:', error);
				if (!res.headersSent) {
					res.statusCode = 500;
					res.setHeader('content-type', 'application/json');
					res.end(JSON.stringify({ error: { message: 'Internal server error', code: -32603, data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500 } } }));
				} else res.destroy();
			}
		);
	});
	const shutdown = (reason) => {
		if (stopping) return;
		stopping = setTimeout(() => server.closeAllConnections(), (seconds('SHUTDOWN_TIMEOUT') ?? 30) * 1000);
		server.closeIdleConnections();
		server.close((error) => {
			clearTimeout(stopping);
			if (!error) process.emit('sveltekit:shutdown', reason);
		});
	};
	process.on('SIGTERM', shutdown);
	process.on('SIGINT', shutdown);
	await new Promise((done, fail) => {
		server.once('error', fail);
		server.listen({ host, port }, () => {
			server.off('error', fail);
			done();
		});
	});
	return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
	const server = await serve(process.argv[2]);
	const { address, port } = server.address();
	console.log(`Listening on http://${address === '0.0.0.0' || address === '::' ? 'localhost' : address}:${port}`);
}
