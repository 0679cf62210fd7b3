/**
 * The tRPC API answered straight from `node:http`, ahead of SvelteKit's request handling
 * (which costs more than the API calls themselves: request conversion, routing, stores).
 * scripts/serve.mjs puts this handler in front of adapter-node's `handler` in one server on
 * one port; the SvelteKit endpoint (web/routes/api/trpc) stays for everything this declines,
 * and for `node build/index.js`. Both call tRPC's `fetchRequestHandler` with the same options
 * (http.ts), so answers are the same either way.
 *
 * The built server code lies in hashed chunks, so the custom server cannot import this
 * module; `registerApiHandler` (run when server/app.ts loads, i.e. at SvelteKit's init)
 * leaves the handler under a well-known symbol instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { apiHandlerOptions } from './http.js';

/** The global key under which `registerApiHandler` leaves the handler for scripts/serve.mjs. */
export const API_HANDLER_KEY = Symbol.for('oasis.apiHandler');

/**
 * Handles a request and resolves true, or resolves false without touching it (the caller then
 * passes it on to SvelteKit).
 */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/**
 * SvelteKit's BODY_SIZE_LIMIT syntax (adapter-node): bytes, or a number with K, M or G;
 * `Infinity` for none. Unset means its default, 512K. NaN when malformed.
 */
export function parseBodySizeLimit(value: string | undefined): number {
	const text = value ?? '512K';
	const multiplier = ({ K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[text.at(-1)?.toUpperCase() ?? ''] ?? 1;
	return Number(multiplier !== 1 ? text.slice(0, -1) : text) * multiplier;
}

/**
 * Paths taken here: one procedure or a comma-separated batch, plainly spelled. Anything else
 * (percent-encoding, a trailing slash, a bare /api/trpc) goes to SvelteKit, which normalises
 * it exactly as before.
 */
const FAST_PATH = /^\/api\/trpc\/[A-Za-z0-9_.,-]+$/;

function readBody(req: IncomingMessage): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.once('end', () => resolve((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8')));
		req.once('error', reject);
	});
}

/**
 * The part of a Fetch `Request` that tRPC's request handling reads for a JSON call: method,
 * URL, headers, signal and the body as text or JSON. Building a real `Request` (a body
 * stream, then reading it back) costs more than most procedures; this holds the body read.
 */
function jsonRequest(method: string, url: string, headers: Headers, signal: AbortSignal, body: string | undefined): Request {
	const request = {
		method,
		url,
		headers,
		signal,
		bodyUsed: false,
		text: async () => body ?? '',
		json: async () => JSON.parse(body ?? '') as unknown
	};
	return request as unknown as Request;
}

/**
 * The API handler. It takes GET and POST requests to /api/trpc/<procedures> whose body (if
 * any) is JSON with a Content-Length within `bodySizeLimit`; everything else (other methods
 * and content types, chunked or oversized bodies, odd paths, streamed batches) is declined,
 * so SvelteKit answers it as it always did.
 */
export function createApiHandler(options: { bodySizeLimit?: number } = {}): ApiHandler {
	const limit = options.bodySizeLimit ?? parseBodySizeLimit(process.env.BODY_SIZE_LIMIT);
	return async (req, res) => {
		const method = req.method;
		if (method !== 'GET' && method !== 'POST') return false;
		const url = req.url ?? '';
		const query = url.indexOf('?');
		if (!FAST_PATH.test(query < 0 ? url : url.slice(0, query))) return false;
		// Streamed batches (httpBatchStreamLink) keep going through SvelteKit.
		if (req.headers['trpc-accept']) return false;
		let body: string | undefined;
		if (method === 'POST') {
			const length = Number(req.headers['content-length']);
			if (!Number.isSafeInteger(length) || length < 0 || length > limit || req.headers['transfer-encoding']) return false;
			if (!req.headers['content-type']?.startsWith('application/json')) return false;
			body = await readBody(req);
		}
		const headers = new Headers();
		const raw = req.rawHeaders;
		for (let i = 0; i < raw.length; i += 2) headers.append(raw[i], raw[i + 1]);
		// Aborted when the client goes away before the answer is written.
		const abort = new AbortController();
		const onClose = () => {
			if (!res.writableFinished) abort.abort();
		};
		res.once('close', onClose);
		// Only the path and query are read; the host is not trusted for anything.
		const request = jsonRequest(method, `http://localhost${url}`, headers, abort.signal, body);
		const response = await fetchRequestHandler({ ...apiHandlerOptions, req: request });
		await writeResponse(response, res);
		return true;
	};
}

async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
	res.statusCode = response.status;
	for (const [key, value] of response.headers) if (key !== 'set-cookie') res.setHeader(key, value);
	const cookies = response.headers.getSetCookie();
	if (cookies.length > 0) res.setHeader('set-cookie', cookies);
	if (!response.body) {
		res.end();
		return;
	}
	if (!response.headers.get('content-type')?.startsWith('application/json')) {
		// A streamed answer (none today): pass chunks on as they come.
		for await (const chunk of response.body) res.write(chunk);
		res.end();
		return;
	}
	const text = Buffer.from(await response.arrayBuffer());
	res.setHeader('content-length', text.length);
	res.end(text);
}

/** Leave the handler where scripts/serve.mjs finds it (built lazily, on first use). */
export function registerApiHandler(): void {
	let handler: ApiHandler | undefined;
	(globalThis as Record<symbol, unknown>)[API_HANDLER_KEY] = ((req, res) => (handler ??= createApiHandler())(req, res)) satisfies ApiHandler;
}
