/**
 * Two server processes on one database (as OASIS_WORKERS=2 runs them, each on its own port here
 * so a test can choose which one answers): the rules that must hold across processes do. Rate
 * limits are counted in the database, the pending-task limit and the hand-out of a reply parent
 * (one open reply task per parent, anyone's) are claimed in a transaction, and a ban made
 * through one process is seen by the very next call to the other (no session cache with
 * several processes). Runs once per dialect, with rate limits on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDatabase } from './db/database.js';
import { freshDatabaseUrl, testDialects } from './testing/dialects.js';
import { getTreeSettings } from './trees/settings.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Answer {
	data?: unknown;
	rule?: string | null;
	status: number;
}

/** One tRPC call over HTTP: a mutation (POST with the CSRF header) or a query. */
async function call(base: string, path: string, input: unknown, cookie?: string, type: 'mutation' | 'query' = 'mutation'): Promise<Answer & { res: Response }> {
	const headers: Record<string, string> = { 'x-oasis-csrf': '1' };
	if (cookie) headers.cookie = cookie;
	const res =
		type === 'query'
			? await fetch(`${base}/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers })
			: await fetch(`${base}/api/trpc/${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(input) });
	const body = (await res.json()) as { result?: { data: unknown }; error?: { data?: { rule?: string | null; code?: string } } };
	return { res, status: res.status, data: body.result?.data, rule: body.error ? (body.error.data?.rule ?? body.error.data?.code ?? 'error') : undefined };
}

/** Sign in through the development login; returns the user's id and session cookie. */
async function signIn(base: string, name: string, role?: 'admin'): Promise<{ id: string; cookie: string }> {
	const answer = await call(base, 'auth.devLogin', { name, role });
	const token = /oasis_session=([^;]*)/.exec(answer.res.headers.get('set-cookie') ?? '')?.[1];
	if (!token) throw new Error(`devLogin set no session cookie (${answer.status})`);
	return { id: (answer.data as { user: { id: string } }).user.id, cookie: `oasis_session=${token}` };
}

/** A free loopback port. */
function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const address = srv.address();
			srv.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
		});
	});
}

/** Start `server/api-server.ts` as one of two processes serving `url`; resolves with its base URL once it answers. */
async function startProcess(url: string, children: ChildProcess[]): Promise<string> {
	const port = await freePort();
	const child = spawn(process.execPath, ['--import', 'tsx', 'server/api-server.ts'], {
		cwd: root,
		env: { ...process.env, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', OASIS_WORKERS: '2', OASIS_DEV_LOGIN: '1', OASIS_RATE_LIMITS: 'on' },
		stdio: ['ignore', 'ignore', 'pipe']
	});
	children.push(child);
	let stderr = '';
	child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
	const base = `http://127.0.0.1:${port}`;
	for (let i = 0; i < 600; i++) {
		if (child.exitCode !== null) throw new Error(`the server process exited: ${stderr}`);
		if (await fetch(`${base}/api/trpc/system.health`).then((r) => r.ok, () => false)) return base;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error(`the server process did not answer: ${stderr}`);
}

for (const dialect of testDialects) {
	describe(`two server processes on one database [${dialect}]`, () => {
		const children: ChildProcess[] = [];
		let drop: () => Promise<void>;
		let opened: OpenDatabase;
		let a: string;
		let b: string;

		beforeAll(async () => {
			const fresh = await freshDatabaseUrl(dialect);
			drop = fresh.drop;
			// The first process migrates the database before the second opens it (as serve.mjs starts workers).
			a = await startProcess(fresh.url, children);
			b = await startProcess(fresh.url, children);
			opened = await openDatabase(fresh.url, { migrate: false });
		}, 180_000);

		afterAll(async () => {
			await Promise.all(
				children.map(
					(child) =>
						new Promise<void>((resolve) => {
							if (child.exitCode !== null || child.signalCode !== null) return resolve();
							child.once('exit', () => resolve());
							child.kill('SIGKILL');
						})
				)
			);
			await opened?.close();
			await drop?.();
		});

		it('counts one user’s task requests on both processes against one limit', async () => {
			const user = await signIn(a, `limited-${dialect}`);
			const refusals: (string | null | undefined)[] = [];
			// 30 task requests per 4 minutes in all; refused ones (too many pending tasks) count too.
			for (let i = 0; i < 30; i++) refusals.push((await call(i % 2 ? b : a, 'tasks.request', { type: 'initial_prompt', lang: 'en' }, user.cookie)).rule);
			expect(refusals.filter((r) => r === 'rate_limited')).toHaveLength(0);
			expect((await call(a, 'tasks.request', { type: 'initial_prompt', lang: 'en' }, user.cookie)).rule).toBe('rate_limited');
			expect((await call(b, 'tasks.request', { type: 'initial_prompt', lang: 'en' }, user.cookie)).rule).toBe('rate_limited');
		});

		it('keeps the pending-task limit when one user asks both processes at once', async () => {
			const user = await signIn(b, `eager-${dialect}`);
			const { max_pending_tasks_per_user: max } = await getTreeSettings(opened.db);
			const answers = await Promise.all(Array.from({ length: 2 * max }, (_, i) => call(i % 2 ? b : a, 'tasks.request', { type: 'initial_prompt', lang: 'en' }, user.cookie)));
			expect(answers.filter((x) => x.status === 200)).toHaveLength(max);
			expect(answers.filter((x) => x.status !== 200).map((x) => x.rule)).toEqual(Array(max).fill('too_many_pending'));
			const stored = await opened.db.selectFrom('task').select('id').where('user_id', '=', user.id).execute();
			expect(stored).toHaveLength(max);
		});

		it('hands a reply parent to one volunteer only, however the requests are spread', async () => {
			// A growing tree whose accepted prompt is the only parent that needs a reply.
			const rootId = randomUUID();
			await opened.db
				.insertInto('message')
				.values({ id: rootId, parent_id: null, message_tree_id: rootId, task_id: null, user_id: randomUUID(), role: 'prompter', frontend_message_id: null, created_date: new Date().toISOString(), text: 'Why is the sky blue?', lang: 'xx', review_result: 1, review_count: 3, rank: null, model_name: null, label_totals: null })
				.execute();
			await opened.db
				.insertInto('message_tree_state')
				.values({ message_tree_id: rootId, goal_tree_size: 12, max_depth: 5, max_children_count: 3, state: 'growing', active: 1, origin: 'crowd', won_prompt_lottery_date: null, lang: 'xx' })
				.execute();
			const users = await Promise.all(Array.from({ length: 6 }, (_, i) => signIn(i % 2 ? b : a, `replier-${i}-${dialect}`)));
			const answers = await Promise.all(users.map((u, i) => call(i % 2 ? a : b, 'tasks.request', { type: 'assistant_reply', lang: 'xx' }, u.cookie)));
			expect(answers.filter((x) => x.status === 200)).toHaveLength(1);
			expect(answers.filter((x) => x.status !== 200).map((x) => x.rule)).toEqual(Array(5).fill('no_tasks'));
			const tasks = await opened.db.selectFrom('task').select('user_id').where('parent_message_id', '=', rootId).execute();
			expect(tasks).toHaveLength(1);
		});

		it('refuses a banned volunteer on the other process at once', async () => {
			const admin = await signIn(a, `admin-${dialect}`, 'admin');
			const user = await signIn(b, `to-ban-${dialect}`);
			// Both processes have just served the user's task loop.
			for (const base of [a, b]) expect((await call(base, 'tasks.open', {}, user.cookie, 'query')).status).toBe(200);
			expect((await call(a, 'moderation.banUser', { userId: user.id }, admin.cookie)).status).toBe(200);
			for (const base of [b, a]) {
				const refused = await call(base, 'tasks.open', {}, user.cookie, 'query');
				expect(refused.status).not.toBe(200);
				expect(['banned', 'not_signed_in']).toContain(refused.rule);
			}
		});
	});
}
