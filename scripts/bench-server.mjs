// `npm run bench:server`: a load benchmark (not a test). Starts the built server on loopback
// (as `npm start` serves it, or through SvelteKit alone: --server),
// once on a fresh SQLite file and once on a throwaway PostgreSQL, and drives concurrent
// simulated volunteers through request → ack → submit over HTTP (tRPC), then prints
// cycles per second and latency for each database.
//
// Work is seeded through the API alone: a warm-up crowd (its own users) runs the same loop
// until trees are growing and being ranked, then the measured crowd starts with fresh users.
// Rate limits stay ON by default: every measured user makes at most 30 task requests (the
// per-user limit of 30 per 4 minutes) and enough users are created for the run; the
// per-type reply limits then simply steer `random` to other work, as in production.
//
// Options (all optional):
//   --db sqlite,postgres   which databases (default both)
//   --duration 15          measured seconds per database
//   --concurrency 16       volunteers working at the same time
//   --users N              measured users (default: enough for 1,000 cycles/s within the limits)
//   --warmup 6             warm-up seconds (seeding)
//   --limits off           run with OASIS_RATE_LIMITS=off (said in the output)
//   --no-build             use build/ as it is
//   --build DIR            benchmark the build in DIR (implies --no-build), e.g. a sandbox's
//   --server fast          how the build is served: `fast` (scripts/serve.mjs: the API from
//                          node:http, as `npm start` does), `sveltekit` (`node build/index.js`:
//                          every call through SvelteKit), or `both` (each in turn, same run)
//   --workers N            server processes (OASIS_WORKERS; default 1 here, so runs compare;
//                          as `npm start`). Comma-separate to run each in
//                          turn: --workers 1,2
//   --source               serve the API alone from the TypeScript sources (tsx), no build needed
//   --profile DIR          write a V8 CPU profile of each server process into DIR
// It prints cycles/s, cycle latency (p50/p95/p99), the server's CPU per cycle (every server
// process together, from /proc; PostgreSQL's own processes are not counted), this load
// generator's CPU per cycle, the process count and the load average while it ran. Every answer
// is checked (status, JSON, tRPC's result shape, the task's fields); failures are counted by rule.
// Only 127.0.0.1 is contacted; every loop is bounded in time and count; servers and temp
// folders are removed at the end (also on Ctrl-C).
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureBuild, log, root } from './lib.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
	const i = argv.indexOf(`--${name}`);
	return i >= 0 && argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);

const DBS = opt('db', 'sqlite,postgres').split(',');
const DURATION_S = Number(opt('duration', 15));
const CONCURRENCY = Number(opt('concurrency', 16));
const WARMUP_S = Number(opt('warmup', 6));
const LIMITS_ON = opt('limits', 'on') !== 'off';
/** The per-user task-request limit (server/users/rate-limit.ts): 30 per 4 minutes. */
const REQUESTS_PER_USER = 30;
const USERS = Number(opt('users', Math.ceil((1000 * DURATION_S) / REQUESTS_PER_USER)));
const WARMUP_USERS = Math.ceil((800 * WARMUP_S) / REQUESTS_PER_USER);
const MAX_CYCLES = 200_000;
const SERVERS = { fast: 'scripts/serve.mjs (API from node:http)', sveltekit: 'node build/index.js (API through SvelteKit)', source: 'scripts/serve.mjs --source (the API from the TypeScript sources)' };
const SERVER_KINDS = opt('server', 'fast') === 'both' ? ['sveltekit', 'fast'] : [opt('server', 'fast')];
for (const kind of SERVER_KINDS) if (!(kind in SERVERS)) throw new Error(`--server takes fast, sveltekit or both, not '${kind}'`);
const BUILD = opt('build', null);
const SOURCE = flag('source');
const WORKER_COUNTS = opt('workers', '1').split(',').map(Number);
for (const n of WORKER_COUNTS) if (!Number.isInteger(n) || n < 1) throw new Error(`--workers takes whole numbers of processes, not '${opt('workers')}'`);
if (SOURCE) SERVER_KINDS.splice(0, SERVER_KINDS.length, 'source');

const cleanups = [];
/** Undo what was set up, newest first, down to the first `keep` entries. */
async function cleanup(keep = 0) {
	while (cleanups.length > keep) await cleanups.pop()();
}
for (const signal of ['SIGINT', 'SIGTERM']) {
	process.on(signal, () => {
		void cleanup().finally(() => process.exit(130));
	});
}

function freePort() {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A private copy of build/, so a rebuild running beside the benchmark cannot pull the server
 * out from under it. It lies under node_modules/ so the server still resolves its packages.
 */
function copyBuild() {
	const parent = join(root, 'node_modules', '.cache', 'oasis-bench');
	mkdirSync(parent, { recursive: true });
	const dir = mkdtempSync(join(parent, 'build-'));
	cpSync(BUILD ?? join(root, 'build'), dir, { recursive: true });
	cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
	return dir;
}

let buildDir;

/** Start the built server (`serverKind`: see SERVERS) on a free loopback port; resolves once it answers. */
async function startServer(databaseUrl, serverKind, workers) {
	const port = await freePort();
	const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, OASIS_DEV_LOGIN: '1', ORIGIN: `http://127.0.0.1:${port}`, OASIS_WORKERS: String(workers) };
	if (LIMITS_ON) delete env.OASIS_RATE_LIMITS;
	else env.OASIS_RATE_LIMITS = 'off';
	const profile = opt('profile', null);
	const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
	if (serverKind === 'sveltekit' && workers > 1) throw new Error('--server sveltekit runs one process; --workers needs --server fast or --source');
	const entry =
		serverKind === 'fast' ? [join(root, 'scripts', 'serve.mjs'), buildDir] : serverKind === 'source' ? ['--import', 'tsx', join(root, 'scripts', 'serve.mjs'), '--source'] : [join(buildDir, 'index.js')];
	const child = spawn(process.execPath, [...nodeArgs, ...entry], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
	let stderr = '';
	child.stderr.on('data', (d) => {
		stderr = (stderr + d).slice(-4000);
	});
	const exited = new Promise((r) => child.once('exit', r));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		}
	};
	const base = `http://127.0.0.1:${port}`;
	for (let i = 0; i < 300; i++) {
		if (child.exitCode !== null) throw new Error(`the server exited: ${stderr}`);
		try {
			const res = await fetch(`${base}/api/trpc/system.health`);
			await res.arrayBuffer();
			if (res.ok && nodeProcesses(processTree(child.pid)) >= workers + (workers > 1 ? 1 : 0)) {
				return { base, stop, stderr: () => stderr, cpuMs: async () => sumCpuMs(processTree(child.pid)), processes: async () => nodeProcesses(processTree(child.pid)) };
			}
		} catch {
			/* not up yet */
		}
		await sleep(100);
	}
	await stop();
	throw new Error(`the server did not answer within 30 s: ${stderr}`);
}

/** The fields of /proc/PID/stat after the command name, or null. */
function procStat(pid) {
	try {
		return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
	} catch {
		return null;
	}
}

/** `pid` and its descendants (the workers of a cluster), from /proc (Linux); [pid] elsewhere. */
function processTree(pid) {
	let entries;
	try {
		entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
	} catch {
		return [pid];
	}
	const parentOf = new Map();
	for (const name of entries) {
		const stat = procStat(name);
		if (stat) parentOf.set(Number(name), Number(stat[1]));
	}
	const tree = [pid];
	for (let grew = true; grew; ) {
		grew = false;
		for (const [child, parent] of parentOf) {
			if (tree.includes(parent) && !tree.includes(child)) {
				tree.push(child);
				grew = true;
			}
		}
	}
	return tree;
}

/** How many of `pids` are Node processes (tsx's esbuild helper, under --source, is not counted). */
function nodeProcesses(pids) {
	return pids.filter((pid) => {
		try {
			return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'esbuild';
		} catch {
			return false;
		}
	}).length;
}

/**
 * CPU time (user + system, ms) the processes have used so far, from /proc (Linux); null
 * elsewhere. Per cycle, it measures the server's cost even when other processes share the cores.
 */
function sumCpuMs(pids) {
	let total = 0;
	for (const pid of pids) {
		const fields = procStat(pid);
		if (!fields) return null;
		total += ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks (USER_HZ = 100)
	}
	return total;
}

class CallError extends Error {
	constructor(rule, message) {
		super(message);
		this.rule = rule;
	}
}

/**
 * The load generator shares the cores with the server, so it must be cheap: plain node:http
 * requests over a keep-alive agent (no Fetch `Request`/`Response` objects, no body streams),
 * one socket per volunteer at most, headers written once per user. Every answer is still
 * checked: the status, that the body is JSON, and that it holds `result.data` (tRPC's shape).
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, scheduling: 'lifo' });
cleanups.push(async () => agent.destroy());

/** One tRPC call; resolves with `{ data, headers }` or rejects with a CallError naming the rule (or the HTTP status). */
function call(base, cookie, type, path, input) {
	const headers = { 'x-oasis-csrf': '1' };
	if (cookie) headers.cookie = cookie;
	const json = JSON.stringify(input ?? {});
	let target = `${base}/api/trpc/${path}`;
	let body = null;
	if (type === 'query') target += `?input=${encodeURIComponent(json)}`;
	else {
		body = Buffer.from(json);
		headers['content-type'] = 'application/json';
		headers['content-length'] = String(body.length);
	}
	return new Promise((resolve, reject) => {
		const req = http.request(target, { method: type === 'query' ? 'GET' : 'POST', headers, agent }, (res) => {
			const chunks = [];
			res.on('data', (chunk) => chunks.push(chunk));
			res.once('error', reject);
			res.once('end', () => {
				let parsed = null;
				try {
					parsed = JSON.parse((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8'));
				} catch {
					/* not JSON: reported below */
				}
				const ok = res.statusCode === 200 && parsed !== null && typeof parsed === 'object' && !parsed.error && parsed.result && 'data' in parsed.result;
				if (!ok) {
					const data = parsed?.error?.data ?? parsed?.error?.json?.data;
					const rule = data?.rule ?? `http_${res.statusCode}${data?.code ? `_${data.code}` : parsed === null ? '_not_json' : parsed.error ? '' : '_no_result'}`;
					reject(new CallError(rule, parsed?.error?.message ?? `HTTP ${res.statusCode}`));
				} else resolve({ data: parsed.result.data, headers: res.headers });
			});
		});
		req.once('error', reject);
		req.end(body);
	});
}

/** A task as tasks.request returns it: enough of its shape to answer it (else the call counts as failed). */
function checkTask(task) {
	const p = task?.payload;
	if (typeof task?.id !== 'string' || typeof task.type !== 'string' || !p || typeof p.type !== 'string') throw new CallError('bad_task_shape', `tasks.request answered ${JSON.stringify(task).slice(0, 200)}`);
	if (p.type.startsWith('rank_') && !Array.isArray(p.replyMessages)) throw new CallError('bad_task_shape', 'a ranking task without replyMessages');
	if (p.type.startsWith('label_') && (typeof p.messageId !== 'string' || !Array.isArray(p.validLabels) || !Array.isArray(p.mandatoryLabels)))
		throw new CallError('bad_task_shape', 'a labelling task without messageId, validLabels or mandatoryLabels');
	return task;
}

/** A submission's answer: `{ type: 'task_done', taskId }` for the task answered. */
function checkDone(data, taskId) {
	if (data?.type !== 'task_done' || data.taskId !== taskId) throw new CallError('bad_submit_shape', `the submission answered ${JSON.stringify(data)}`);
	return data;
}

async function signIn(base, name) {
	const { headers } = await call(base, null, 'mutation', 'auth.devLogin', { name });
	const token = /oasis_session=([^;]*)/.exec((headers['set-cookie'] ?? []).join('\n'))?.[1];
	if (!token) throw new Error('devLogin set no session cookie');
	return `oasis_session=${token}`;
}

/** Create `n` users through auth.devLogin, a few at a time. */
async function createUsers(base, prefix, n) {
	const users = new Array(n);
	let next = 0;
	await Promise.all(
		Array.from({ length: 8 }, async () => {
			while (next < n) {
				const i = next++;
				users[i] = { name: `${prefix}-${i}`, cookie: await signIn(base, `${prefix}-${i}`), requests: 0 };
			}
		})
	);
	return users;
}

/** A small seeded generator, so runs draw the same answers. */
function seeded(seed) {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = s;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function permutation(n, random) {
	const out = Array.from({ length: n }, (_, i) => i);
	for (let i = n - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

/** The answer a volunteer submits for a task: [procedure, input]. */
function answer(task, clientId, random, serial, name) {
	const p = task.payload;
	switch (p.type) {
		case 'initial_prompt':
			return ['tasks.submitReply', { taskId: task.id, clientId, text: `Question ${serial} from ${name}: how would you explain topic ${serial}?` }];
		case 'prompter_reply':
		case 'assistant_reply':
			return ['tasks.submitReply', { taskId: task.id, clientId, text: `${p.type === 'assistant_reply' ? 'Answer' : 'Follow-up'} ${serial} by ${name}.` }];
		case 'rank_prompter_replies':
		case 'rank_assistant_replies':
			return ['tasks.submitRanking', { taskId: task.id, clientId, ranking: permutation(p.replyMessages.length, random), notRankable: random() < 0.03 }];
		default: {
			// Every valid label, the mandatory ones (spam, and lang_mismatch where shown) included.
			const spam = random() < 0.05 ? 1 : 0;
			const labels = {};
			for (const label of p.validLabels) labels[label] = label === 'spam' ? spam : label === 'quality' ? 0.75 : 0;
			for (const label of p.mandatoryLabels) labels[label] ??= 0;
			return ['tasks.submitLabels', { taskId: task.id, clientId, messageId: p.messageId, labels }];
		}
	}
}

function percentile(sorted, q) {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function summary(samples) {
	const sorted = Float64Array.from(samples).sort();
	return { n: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

/**
 * Run `concurrency` volunteers for `seconds` (or until the users' request budgets are spent).
 * Each user works one cycle at a time and makes at most REQUESTS_PER_USER requests.
 */
async function drive(base, users, { seconds, concurrency, seed, stopWhen }) {
	const random = seeded(seed);
	const queue = [...users];
	const stats = { cycles: 0, byType: {}, errors: {}, cycle: [], calls: { request: [], ack: [], submit: [] }, exhausted: false };
	let serial = 0;
	let stop = false;
	const started = performance.now();
	const deadline = started + seconds * 1000;
	const error = (step, e) => {
		const key = `${step}: ${e instanceof CallError ? e.rule : `untyped ${e.message}`}`;
		stats.errors[key] = (stats.errors[key] ?? 0) + 1;
	};
	const worker = async () => {
		while (!stop && performance.now() < deadline && stats.cycles < MAX_CYCLES) {
			const user = queue.shift();
			if (!user) {
				stats.exhausted = true;
				break;
			}
			const t0 = performance.now();
			try {
				user.requests++;
				let task;
				try {
					task = checkTask((await call(base, user.cookie, 'mutation', 'tasks.request', { type: 'random', lang: 'en' })).data);
				} catch (e) {
					error('request', e);
					continue;
				}
				const t1 = performance.now();
				stats.calls.request.push(t1 - t0);
				const id = ++serial;
				const clientId = `bench-${seed}-${id}`;
				try {
					const { data } = await call(base, user.cookie, 'mutation', 'tasks.ack', { taskId: task.id, frontendMessageId: clientId });
					if (data?.ok !== true) throw new CallError('bad_ack_shape', `tasks.ack answered ${JSON.stringify(data)}`);
				} catch (e) {
					error('ack', e);
					continue;
				}
				const t2 = performance.now();
				stats.calls.ack.push(t2 - t1);
				const [procedure, input] = answer(task, clientId, random, id, user.name);
				try {
					checkDone((await call(base, user.cookie, 'mutation', procedure, input)).data, task.id);
				} catch (e) {
					error('submit', e);
					continue;
				}
				const t3 = performance.now();
				stats.calls.submit.push(t3 - t2);
				stats.cycle.push(t3 - t0);
				stats.cycles++;
				stats.byType[task.type] = (stats.byType[task.type] ?? 0) + 1;
				if (stopWhen?.(stats)) stop = true;
			} finally {
				if (!LIMITS_ON || user.requests < REQUESTS_PER_USER) queue.push(user);
			}
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	stats.seconds = (performance.now() - started) / 1000;
	return stats;
}

const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : '–');

function report(label, users, stats) {
	const cycle = summary(stats.cycle);
	const rate = stats.cycles / stats.seconds;
	const lines = [
		`── ${label} ──`,
		`  server ${SERVERS[stats.server]}, ${stats.processes} process${stats.processes === 1 ? '' : 'es'}${stats.processes > 1 ? ' (a primary and its workers)' : ''}`,
		`  load average ${stats.load.map((x) => x.toFixed(2)).join(' / ')} (1 / 5 / 15 min, at the end; ${(stats.cores ?? 0) || '?'} cores)`,
		`  users ${users}, concurrency ${CONCURRENCY}, rate limits ${LIMITS_ON ? `on (≤ ${REQUESTS_PER_USER} requests per user)` : 'OFF (OASIS_RATE_LIMITS=off)'}`,
		`  ${stats.cycles} cycles in ${stats.seconds.toFixed(1)} s: ${rate.toFixed(0)} cycles/s${stats.exhausted ? ' (stopped early: every user used up its request budget; pass --users)' : ''}`,
		`  server CPU per cycle ${stats.cpuPerCycle === null ? '– (no /proc)' : `${ms(stats.cpuPerCycle)} (at most ~${(1000 / stats.cpuPerCycle).toFixed(0)} cycles/s on one free core)`}`,
		`  load generator CPU per cycle ${ms(stats.clientCpuPerCycle ?? NaN)} (this process, for comparison)`,
		`  cycle   p50 ${ms(cycle.p50)}  p95 ${ms(cycle.p95)}  p99 ${ms(cycle.p99)}  max ${ms(cycle.max)}`
	];
	for (const [name, samples] of Object.entries(stats.calls)) {
		const s = summary(samples);
		lines.push(`  ${name.padEnd(7)} p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (${s.n} calls)`);
	}
	lines.push(`  tasks: ${Object.entries(stats.byType).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}`);
	const errors = Object.entries(stats.errors).sort((a, b) => b[1] - a[1]);
	lines.push(`  refused: ${errors.length ? errors.map(([k, v]) => `${k} ×${v}`).join(', ') : 'none'}`);
	console.log(lines.join('\n'));
	return { label, rate, cycle, cpuPerCycle: stats.cpuPerCycle, processes: stats.processes, load: stats.load };
}

async function benchOne(kind, serverKind, workers) {
	const mark = cleanups.length;
	let url;
	if (kind === 'sqlite') {
		const dir = mkdtempSync(join(tmpdir(), 'oasis-bench-'));
		cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
		url = `sqlite:${join(dir, 'bench.db')}`;
	} else {
		const { startPostgres } = await import('./postgres.mjs');
		const pg = await startPostgres();
		cleanups.push(async () => pg.stop());
		url = pg.url;
	}
	const server = await startServer(url, serverKind, workers);
	cleanups.push(server.stop);
	try {
		log(`${kind}: creating ${WARMUP_USERS} warm-up and ${USERS} measured users…`);
		const warmUsers = await createUsers(server.base, 'warmup', WARMUP_USERS);
		const users = await createUsers(server.base, 'volunteer', USERS);
		log(`${kind}: warming up (seeding work through the API) for up to ${WARMUP_S} s…`);
		const warm = await drive(server.base, warmUsers, {
			seconds: WARMUP_S,
			concurrency: CONCURRENCY,
			seed: 1,
			stopWhen: (s) => (s.byType.rank_assistant_replies ?? 0) >= 20
		});
		log(`${kind}: warm-up ran ${warm.cycles} cycles (${Object.entries(warm.byType).map(([k, v]) => `${k} ${v}`).join(', ')}); measuring for ${DURATION_S} s…`);
		const cpu0 = await server.cpuMs();
		const own0 = process.cpuUsage();
		const stats = await drive(server.base, users, { seconds: DURATION_S, concurrency: CONCURRENCY, seed: 2 });
		const own = process.cpuUsage(own0);
		const cpu1 = await server.cpuMs();
		stats.clientCpuPerCycle = stats.cycles === 0 ? null : (own.user + own.system) / 1000 / stats.cycles;
		stats.server = serverKind;
		stats.processes = await server.processes();
		stats.load = loadavg();
		stats.cores = availableParallelism();
		stats.cpuPerCycle = cpu0 === null || cpu1 === null || stats.cycles === 0 ? null : (cpu1 - cpu0) / stats.cycles;
		return { ...report(`${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}, ${serverKind}, ${workers} worker${workers === 1 ? '' : 's'}`, USERS, stats), kind, serverKind };
	} finally {
		await cleanup(mark);
	}
}

async function main() {
	if (!SOURCE) {
		if (!flag('no-build') && !BUILD) await ensureBuild();
		buildDir = copyBuild();
	}
	const results = [];
	for (const kind of DBS) for (const serverKind of SERVER_KINDS) for (const workers of WORKER_COUNTS) results.push(await benchOne(kind, serverKind, workers));
	if (results.length > 1) {
		console.log('\n── side by side ──');
		for (const r of results) console.log(`  ${r.label.padEnd(34)} ${r.rate.toFixed(0).padStart(5)} cycles/s  cycle p50 ${ms(r.cycle.p50)}  p95 ${ms(r.cycle.p95)}  p99 ${ms(r.cycle.p99)}  server CPU/cycle ${ms(r.cpuPerCycle)}  load ${r.load[0].toFixed(2)}`);
	}
	// The aim is judged per SQLite configuration run (e.g. 1 process as `npm start` serves, and 2).
	for (const r of results.filter((r) => r.kind === 'sqlite'))
		console.log(`${r === results.find((x) => x.kind === 'sqlite') ? '\n' : ''}aim (SQLite): ≥ 500 cycles/s with p99 < 100 ms — ${r.rate >= 500 && r.cycle.p99 < 100 ? 'met' : 'not met'} for ${r.label} (${r.rate.toFixed(0)} cycles/s, p99 ${ms(r.cycle.p99)})`);
}

main()
	.catch((error) => {
		console.error(error);
		process.exitCode = 1;
	})
	.finally(cleanup);
