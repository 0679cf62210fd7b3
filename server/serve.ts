/**
 * The tRPC API answered straight from `node:http`, ahead of SvelteKit's request handling
 * (which costs more than the API calls themselves: request conversion, routing, stores).
 * scripts/serve.mjs puts this handler in front of adapter-node's `handler` in one server on
 * one port; the SvelteKit endpoint (web/routes/api/trpc) stays for everything this declines,
 * and for `node build/index.js`. Both use the same tRPC options (http.ts), so answers are the
 * same either way: a plain single call is answered through tRPC's own request-info, procedure,
 * error-shape and status functions without Fetch objects (`answerSingleCall`), everything else
 * through `fetchRequestHandler`; serve.int.test.ts checks both against the endpoint.
 *
 * The built server code lies in hashed chunks, so the custom server cannot import this
 * module; `registerApiHandler` (run when server/app.ts loads, i.e. at SvelteKit's init)
 * leaves the handler under a well-known symbol instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import {
	getErrorShape,
	getHTTPStatusCode,
	getProcedureAtPath,
	getRequestInfo,
	getTRPCErrorFromUnknown,
	isAsyncIterable,
	isObject,
	isPromise,
	TRPCError,
	transformTRPCResponse,
	type AnyProcedure,
	type TRPCRequestInfo
} from '@trpc/server/unstable-core-do-not-import';
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
 * so SvelteKit answers it as it always did. A plain single call is answered directly
 * (`answerSingleCall`); batches and anything unusual go through tRPC's `fetchRequestHandler`.
 * `onAnswer` is told which way each taken request went (for tests).
 */
export function createApiHandler(options: { bodySizeLimit?: number; onAnswer?: (how: 'direct' | 'fetch') => void } = {}): ApiHandler {
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
		const target = `http://localhost${url}`;
		const path = (query < 0 ? url : url.slice(0, query)).slice(endpointPrefix().length);
		const procedure = await singleCall(path, method, url, query, req);
		if (procedure && (await answerSingleCall(procedure, path, jsonRequest(method, target, headers, abort.signal, body), res))) {
			options.onAnswer?.('direct');
			return true;
		}
		options.onAnswer?.('fetch');
		const response = await fetchRequestHandler({ ...apiHandlerOptions, req: jsonRequest(method, target, headers, abort.signal, body) });
		await writeResponse(response, res);
		return true;
	};
}

// Read when called, not at load: app.ts imports this module while http.ts (which imports app.ts) may still be loading.
const endpointPrefix = () => `${apiHandlerOptions.endpoint}/`;
const routerConfig = () => apiHandlerOptions.router._def._config;
/** The HTTP method each procedure type answers (tRPC's, without method override). */
const METHOD_OF = { query: 'GET', mutation: 'POST' } as const;

/**
 * The procedure of a request that makes one plain call — not a batch, not a stream, an existing
 * query by GET or mutation by POST — or null. Everything else (batches, unknown procedures, wrong
 * methods, subscriptions) goes through `fetchRequestHandler`, which words those answers itself.
 */
async function singleCall(path: string, method: string, url: string, query: number, req: IncomingMessage): Promise<AnyProcedure | null> {
	if (path.includes(',') || (query >= 0 && /[?&]batch=/.test(url.slice(query)))) return null;
	// A JSONL accept header makes tRPC refuse an unbatched call: leave that answer to it.
	if (req.headers.accept?.includes('application/jsonl')) return null;
	const procedure = await getProcedureAtPath(apiHandlerOptions.router, path);
	const type = procedure?._def.type;
	return procedure && (type === 'query' || type === 'mutation') && METHOD_OF[type] === method ? procedure : null;
}

/** What tRPC refuses to send in a non-streaming answer (its `isDataStream`). */
function isDataStream(value: unknown): boolean {
	if (!isObject(value)) return false;
	if (isAsyncIterable(value)) return true;
	const values = Object.values(value);
	return values.some(isPromise) || values.some(isAsyncIterable);
}

/**
 * Answer one call the way tRPC's `resolveResponse` answers a non-batched query or mutation —
 * the same request info, context, procedure call, error shape, `onError`, `responseMeta`,
 * status and JSON body, all through tRPC's own functions — but without building a Fetch
 * `Response` (and reading its body back), URL objects or combined abort signals, which cost
 * more per call than a task request's own work. Resolves false, having done nothing, when the
 * request info cannot be read (malformed input): `fetchRequestHandler` then words the error.
 */
async function answerSingleCall(procedure: AnyProcedure, path: string, request: Request, res: ServerResponse): Promise<boolean> {
	const type = procedure._def.type as 'query' | 'mutation';
	const url = new URL(request.url);
	let info: TRPCRequestInfo;
	try {
		info = await getRequestInfo({ req: request, path, router: apiHandlerOptions.router, searchParams: url.searchParams, headers: request.headers, url, maxBatchSize: undefined });
	} catch {
		return false;
	}
	if (info.isBatchCall || info.calls.length !== 1) return false;
	const [call] = info.calls;
	const resHeaders = new Headers();
	let ctx: Awaited<ReturnType<typeof apiHandlerOptions.createContext>> | undefined;
	let error: TRPCError | undefined;
	let data: unknown;
	try {
		ctx = await apiHandlerOptions.createContext({ req: request, resHeaders, info });
		data = await procedure({ path, getRawInput: call.getRawInput, ctx, type, signal: request.signal, batchIndex: call.batchIndex });
		if (isDataStream(data)) throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' });
	} catch (cause) {
		error = getTRPCErrorFromUnknown(cause);
		apiHandlerOptions.onError({ error, path, input: call.result(), ctx, type, req: request });
	}
	const config = routerConfig();
	const body = error ? { error: getErrorShape({ config, ctx, error, input: call.result(), path, type }) } : { result: { data } };
	const errors = error ? [error] : [];
	let status = getHTTPStatusCode([body], errors);
	const meta = apiHandlerOptions.responseMeta({ ctx, info, paths: [path], data: [body], errors, eagerGeneration: false, type }) as { status?: number; headers?: Headers };
	if (meta.status) status = meta.status;
	if (meta.headers) for (const [key, value] of meta.headers) resHeaders.append(key, value);
	const text = Buffer.from(JSON.stringify(transformTRPCResponse(config, body)));
	res.statusCode = status;
	res.setHeader('content-type', 'application/json');
	res.setHeader('vary', 'trpc-accept, accept');
	for (const [key, value] of resHeaders) if (key !== 'set-cookie') res.setHeader(key, value);
	const cookies = resHeaders.getSetCookie();
	if (cookies.length > 0) res.setHeader('set-cookie', cookies);
	res.setHeader('content-length', text.length);
	res.end(text);
	return true;
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
