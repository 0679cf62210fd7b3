// Serve a built Oasis (build/ by default, or the folder given as the first argument) from one
// Node process on one port: the tRPC API at /api/trpc straight from node:http (server/serve.ts,
// several times cheaper per call), everything else — pages, assets, and API requests the fast
// path declines — through adapter-node's SvelteKit `handler`. `node build/index.js` still
// works and serves the same answers, only slower.
//
// Environment, as adapter-node reads it: HOST (0.0.0.0), PORT (3000), BODY_SIZE_LIMIT, ORIGIN,
// SHUTDOWN_TIMEOUT (30 s), KEEP_ALIVE_TIMEOUT and HEADERS_TIMEOUT (seconds). SIGTERM and SIGINT
// stop it gracefully: no new connections, running requests finish.
//
// OASIS_WORKERS=N serves from N processes (node:cluster) sharing the one listening port (default
// 1; refused for sqlite::memory:, which processes cannot share). Opt-in because the training
// coordinator's live streams (training.watch) see only the rounds their own process closes, and
// on a 2-core machine with the load generator beside it two processes measured slower. Everything that must hold across processes lives in the database (rate
// limits, task hand-out, sessions: with N > 1 no process reuses a session lookup); SQLite
// transactions take the write lock when they begin (server/db/database.ts). The first process
// opens and migrates the database before the others start. A process that dies is replaced.
//
// `--source` (with `node --import tsx`) serves the API alone from the TypeScript sources
// (server/api-server.ts) instead of a build: for benchmarks and tests, no pages.
import cluster from 'node:cluster';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { workerCount } from './worker-count.mjs';

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
 * Serve from `workerCount()` processes. In the primary of several, resolves once every worker
 * listens, with `{ workers }`; in a single process or a worker, with `{ server }` (see `serve`).
 * `options.source`: serve the API alone from the sources (server/api-server.ts; needs tsx).
 */
export async function serveAll(dir, options = {}) {
	const count = cluster.isWorker ? Number(process.env.OASIS_WORKERS) : workerCount();
	// Every process learns how many serve the database (server/context.ts reads it).
	process.env.OASIS_WORKERS = String(count);
	if (count === 1 || cluster.isWorker) return { server: options.source ? await serveSource() : await serve(dir) };
	// Workers run this file (not whichever script called serveAll) with the same arguments.
	cluster.setupPrimary({ exec: fileURLToPath(import.meta.url), args: [...(dir ? [resolve(dir)] : []), ...(options.source ? ['--source'] : [])] });
	return { workers: await superviseWorkers(count) };
}

/** The API alone, from the TypeScript sources (the process must run with `--import tsx`). */
async function serveSource() {
	const { startApiServer } = await import(pathToFileURL(join(root, 'server', 'api-server.ts')).href);
	const server = await startApiServer({ host: process.env.HOST ?? '0.0.0.0', port: Number(process.env.PORT ?? 3000) });
	const stop = () => {
		server.close();
		server.closeIdleConnections();
	};
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
	return server;
}

/**
 * The primary: fork `count` workers (the first alone, so it migrates the database before the
 * others open it), replace any that dies while serving, and pass SIGTERM/SIGINT on to them.
 * Resolves with the worker count once all listen.
 */
async function superviseWorkers(count) {
	let stopping = false;
	const fork = () =>
		new Promise((done, fail) => {
			const worker = cluster.fork();
			const onExit = (code, signal) => fail(new Error(`A server process exited while starting (${signal ?? `code ${code}`}); see its error above.`));
			worker.once('exit', onExit);
			worker.once('listening', () => {
				worker.off('exit', onExit);
				worker.once('exit', (code, signal) => {
					if (stopping) return;
					console.error(`[oasis] server process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another.`);
					fork().catch((error) => {
						console.error('[oasis]', error.message);
						process.exitCode = 1;
					});
				});
				done(worker);
			});
		});
	await fork();
	await Promise.all(Array.from({ length: count - 1 }, fork));
	const shutdown = (signal) => {
		if (stopping) return;
		stopping = true;
		for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
	};
	process.on('SIGTERM', () => shutdown('SIGTERM'));
	process.on('SIGINT', () => shutdown('SIGINT'));
	return count;
}

/**
 * Start serving `dir` (a build folder) in this process; resolves with the listening server once it listens.
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
	const args = process.argv.slice(2);
	const source = args.includes('--source');
	const { server, workers } = await serveAll(args.find((a) => !a.startsWith('--')), { source });
	if (server && !cluster.isWorker) {
		const { address, port } = server.address();
		console.log(`Listening on http://${address === '0.0.0.0' || address === '::' ? 'localhost' : address}:${port}`);
	} else if (workers) console.log(`Listening on port ${process.env.PORT ?? 3000} with ${workers} processes`);
}
