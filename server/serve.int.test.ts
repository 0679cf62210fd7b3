/**
 * The fast API handler (serve.ts) answers exactly as the SvelteKit endpoint does (tRPC's
 * fetchRequestHandler on a real Fetch Request), and declines what it does not take.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDatabase, getDatabase } from './app.js';
import { invalidateSessionCache } from './context.js';
import { apiHandlerOptions } from './http.js';
import { createApiHandler, parseBodySizeLimit } from './serve.js';
import { freshDatabaseUrl } from './testing/dialects.js';

/** Answer of a declined request, so tests can tell it from the handler's own. */
const DECLINED = 599;

let server: Server;
let base: string;
let drop: () => Promise<void>;
/** How the handler answered: one plain call directly, everything else through fetchRequestHandler. */
const answeredBy = { direct: 0, fetch: 0 };
const saved = { DATABASE_URL: process.env.DATABASE_URL, OASIS_DEV_LOGIN: process.env.OASIS_DEV_LOGIN, OASIS_RATE_LIMITS: process.env.OASIS_RATE_LIMITS };

beforeAll(async () => {
	const fresh = await freshDatabaseUrl('sqlite');
	drop = fresh.drop;
	process.env.DATABASE_URL = fresh.url;
	process.env.OASIS_DEV_LOGIN = '1';
	process.env.OASIS_RATE_LIMITS = 'off';
	const api = createApiHandler({ bodySizeLimit: 4096, onAnswer: (how) => answeredBy[how]++ });
	server = createServer((req, res) => {
		api(req, res).then((handled) => {
			if (handled) return;
			req.resume();
			res.statusCode = DECLINED;
			res.end();
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise((resolve) => server.close(resolve));
	await closeDatabase();
	await drop();
	for (const [key, value] of Object.entries(saved)) {
		if (value === undefined) delete process.env[key];
		else process.env[key] = value;
	}
});

/** The same request through the SvelteKit endpoint's code path (web/routes/api/trpc). */
async function viaEndpoint(path: string, init: RequestInit): Promise<Response> {
	return fetchRequestHandler({ ...apiHandlerOptions, req: new Request(`http://localhost${path}`, init) });
}

interface Answer {
	status: number;
	contentType: string | null;
	setCookie: boolean;
	body: unknown;
}

/** Error stacks (shown outside production) differ by call site; everything else must match. */
const withoutStacks = (key: string, value: unknown) => (key === 'stack' ? undefined : value);

async function answer(res: Response): Promise<Answer> {
	const text = await res.text();
	return { status: res.status, contentType: res.headers.get('content-type'), setCookie: res.headers.getSetCookie().length > 0, body: text ? (JSON.parse(text, withoutStacks) as unknown) : null };
}

/** Send through both paths; expect the same answer, and return it. */
async function both(path: string, init: RequestInit = {}): Promise<Answer> {
	const fast = await answer(await fetch(`${base}${path}`, init));
	const endpoint = await answer(await viaEndpoint(path, init));
	expect(fast.status).not.toBe(DECLINED);
	expect(fast).toEqual(endpoint);
	return fast;
}

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
	method: 'POST',
	headers: { 'content-type': 'application/json', 'x-oasis-csrf': '1', ...headers },
	body: JSON.stringify(body)
});

async function signIn(name: string): Promise<string> {
	const res = await fetch(`${base}/api/trpc/auth.devLogin`, json({ name }));
	expect(res.status).toBe(200);
	const cookie = /oasis_session=[^;]*/.exec(res.headers.get('set-cookie') ?? '')?.[0];
	expect(cookie).toBeTruthy();
	return cookie!;
}

describe('fast API handler', () => {
	it('answers queries, mutations and batches as the SvelteKit endpoint does', async () => {
		expect((await both('/api/trpc/system.health')).body).toMatchObject({ result: { data: { ok: true, dialect: 'sqlite' } } });
		const cookie = await signIn('fast-path');
		// A batch as the web client sends it: two open-task reads in one request.
		const input = encodeURIComponent(JSON.stringify({ 0: { lang: 'en' }, 1: { lang: 'de' } }));
		const batch = await both(`/api/trpc/tasks.open,tasks.open?batch=1&input=${input}`, { headers: { cookie } });
		expect(batch.status).toBe(200);
		expect(batch.body).toEqual([{ result: { data: [] } }, { result: { data: [] } }]);
		// A mutation with a session: the task is handed out through the fast path, then acked through both.
		const task = (await answer(await fetch(`${base}/api/trpc/tasks.request`, json({ type: 'random', lang: 'en' }, { cookie })))).body as { result: { data: { id: string; type: string } } };
		expect(task.result.data.type).toBe('initial_prompt');
		expect((await both('/api/trpc/tasks.ack', json({ taskId: task.result.data.id, frontendMessageId: 'c1' }, { cookie }))).body).toEqual({ result: { data: { ok: true } } });
	});

	it('gives the same errors: rules, validation, CSRF, unknown procedures, wrong methods, mixed batches', async () => {
		const cookie = await signIn('fast-path-errors');
		const missing = await both('/api/trpc/tasks.ack', json({ taskId: '00000000-0000-4000-8000-000000000000', frontendMessageId: 'x' }, { cookie }));
		expect(missing.status).toBe(404);
		expect(missing.body).toMatchObject({ error: { data: { rule: 'task_not_found' } } });
		expect((await both('/api/trpc/tasks.ack', json({ taskId: 'not-an-id' }, { cookie }))).status).toBe(400);
		expect((await both('/api/trpc/tasks.ack', { ...json({ taskId: 'x' }), headers: { 'content-type': 'application/json', cookie } })).status).toBe(403);
		expect((await both('/api/trpc/tasks.ack', json({}))).status).toBe(401);
		expect((await both('/api/trpc/no.such', json({}))).status).toBe(404);
		expect((await both('/api/trpc/tasks.ack')).status).toBe(405);
		const mixed = await both('/api/trpc/system.health,no.such?batch=1&input=%7B%7D');
		expect(mixed.status).toBe(207);
		expect(mixed.body).toHaveLength(2);
	});

	it('answers a single call directly, and batches, unknown procedures and wrong methods through fetchRequestHandler, alike', async () => {
		const way = async (path: string, init: RequestInit = {}) => {
			const before = { ...answeredBy };
			await both(path, init);
			return answeredBy.direct > before.direct ? 'direct' : answeredBy.fetch > before.fetch ? 'fetch' : 'none';
		};
		// Sign-in sets a cookie through the context's response headers, on both paths.
		const signedIn = await both('/api/trpc/auth.devLogin', json({ name: 'direct-path' }));
		expect(signedIn.setCookie).toBe(true);
		const cookie = await signIn('direct-path');
		expect(await way('/api/trpc/system.health')).toBe('direct');
		expect(await way(`/api/trpc/tasks.open?input=${encodeURIComponent(JSON.stringify({ lang: 'en' }))}`, { headers: { cookie } })).toBe('direct');
		expect(await way('/api/trpc/tasks.request', json({ type: 'no_such_type' }, { cookie }))).toBe('direct');
		expect(await way('/api/trpc/tasks.ack', json({ taskId: 'not-an-id' }, { cookie }))).toBe('direct');
		expect(await way('/api/trpc/tasks.open?input=%7Bnot-json', { headers: { cookie } })).not.toBe('none');
		expect(await way('/api/trpc/tasks.ack', { method: 'POST', headers: { 'content-type': 'application/json', 'x-oasis-csrf': '1', cookie }, body: '{"taskId":' })).not.toBe('none');
		expect(await way('/api/trpc/tasks.ack')).toBe('fetch');
		expect(await way('/api/trpc/no.such', json({}))).toBe('fetch');
		expect(await way('/api/trpc/system.health,system.health?batch=1&input=%7B%7D')).toBe('fetch');
		expect(await way('/api/trpc/system.health?batch=1&input=%7B%7D')).toBe('fetch');
		expect(await way('/api/trpc/system.health', { headers: { accept: 'text/html, application/jsonl' } })).toBe('fetch');
	});

	it('reuses a task loop’s session lookup briefly, and drops it after any other mutation', async () => {
		const status = async (path: string, cookie: string, init: RequestInit = {}) => (await fetch(`${base}${path}`, { ...init, headers: { ...init.headers, cookie } })).status;
		const open = '/api/trpc/tasks.open';
		// Signing out (a mutation outside tasks.*) is seen by the very next task call.
		const first = await signIn('cache-sign-out');
		expect(await status(open, first)).toBe(200);
		expect(await status('/api/trpc/auth.signOut', first, json({}))).toBe(200);
		expect(await status(open, first)).toBe(401);
		// A session removed behind the server's back (another process: the CLI) may be served to
		// task calls from the cache for up to SESSION_CACHE_MS; other calls always read the table,
		// and after an invalidation task calls do too.
		const second = await signIn('cache-other-process');
		expect(await status(open, second)).toBe(200);
		const { db } = await getDatabase();
		await db.deleteFrom('session').execute();
		expect(await status('/api/trpc/auth.settings', second)).toBe(401);
		invalidateSessionCache();
		expect(await status(open, second)).toBe(401);
	});

	it('declines what SvelteKit handles differently, so it answers as before', async () => {
		const declined = async (path: string, init: RequestInit = {}) => (await fetch(`${base}${path}`, init)).status;
		expect(await declined('/api/trpc/system.health/')).toBe(DECLINED);
		expect(await declined('/api/trpc')).toBe(DECLINED);
		expect(await declined('/api/trpc/system%2Ehealth')).toBe(DECLINED);
		expect(await declined('/other/system.health')).toBe(DECLINED);
		expect(await declined('/api/trpc/tasks.ack', { method: 'PUT', body: '{}' })).toBe(DECLINED);
		expect(await declined('/api/trpc/system.health?batch=1&input=%7B%7D', { headers: { 'trpc-accept': 'application/jsonl' } })).toBe(DECLINED);
		expect(await declined('/api/trpc/tasks.ack', { method: 'POST', headers: { 'content-type': 'text/plain', 'x-oasis-csrf': '1' }, body: '{}' })).toBe(DECLINED);
		// Over the body size limit (4 KiB here): SvelteKit answers 413 as before.
		expect(await declined('/api/trpc/tasks.ack', json({ taskId: 'x'.repeat(5000) }))).toBe(DECLINED);
	});

	it('reads BODY_SIZE_LIMIT as adapter-node does', () => {
		expect(parseBodySizeLimit(undefined)).toBe(512 * 1024);
		expect(parseBodySizeLimit('64M')).toBe(64 * 1024 * 1024);
		expect(parseBodySizeLimit('2k')).toBe(2048);
		expect(parseBodySizeLimit('1000')).toBe(1000);
		expect(parseBodySizeLimit('Infinity')).toBe(Infinity);
		expect(parseBodySizeLimit('lots')).toBeNaN();
	});
});
