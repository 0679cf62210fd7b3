/**
 * `oasis worker`: a headless training worker in Node — the shared loop of
 * server/training/worker over HTTP (tRPC client), with Llama models trained on WebGPU through
 * Dawn (lavapipe on a machine without a GPU) and the bigram model on the CPU. Logs go to
 * stderr; progress goes to stdout as JSON lines (one event per line).
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { GpuContext } from '../../kernels/gpu/context.js';
import type { AppRouter } from '../router.js';
import { BIGRAM_MODEL_ID } from '../training/bigram.js';
import { llamaModelFolders } from '../training/runtime.js';
import { clientApi, type TrainingClient } from '../training/worker/api.js';
import { bigramTrainer, type LocalTrainer } from '../training/worker/local.js';
import { TrainingWorker, WorkerFatal } from '../training/worker/loop.js';
import { SESSION_COOKIE } from '../users/cookies.js';
import { type CliCommand, emit, info, UsageError } from './command.js';

const HELP = `Usage: oasis worker --server URL (--session COOKIE | --email EMAIL --password PASSWORD | --dev-login NAME) [options]

Trains for an Oasis server's distributed training jobs (DiLoCo): asks for a unit of work, downloads
the round's parameters, trains its inner steps locally (Llama models on WebGPU, the bigram model on
the CPU), and sends back the 8-bit delta; again, until stopped. Ctrl-C finishes and sends the current
unit; a second Ctrl-C stops at once (the unit's lease then expires and goes to another worker).

  --server URL              the Oasis server (e.g. https://oasis.example.org)
  --session COOKIE          your session: the value of the ${SESSION_COOKIE} cookie of a signed-in browser
                            (or set OASIS_SESSION)
  --email EMAIL             sign in with your account instead (password from --password or OASIS_PASSWORD)
  --dev-login NAME          sign in through the development login (servers with OASIS_DEV_LOGIN=1)
  --jobs ID[,ID…]           serve only these jobs (default: whatever the server hands out)
  --once                    stop after one unit is sent (exit code 0 if accepted, 1 if rejected)
  --worker-id ID            this worker's name (default: from the host name); a restarted worker with
                            the same name gets back the lease it held
  --model ID=FOLDER         where the model a job names lives (repeatable; oasis-tiny is bundled)

Output: one JSON object per line on stdout: lease, step, submitted, waiting, lease_lost, job_over, stopped.

Example: npx oasis worker --server http://localhost:5173 --dev-login alice --jobs 5b0c…`;

export interface WorkerCliOptions {
	server: string;
	session?: string;
	email?: string;
	password?: string;
	devLogin?: string;
	jobs: string[];
	once: boolean;
	workerId: string;
	models: Map<string, string>;
}

/** Parses and checks the command line (and OASIS_SESSION / OASIS_PASSWORD). */
export function parseWorkerArgs(args: string[], env: NodeJS.ProcessEnv = process.env): WorkerCliOptions {
	const { values: v } = parseArgs({
		args,
		strict: true,
		options: {
			server: { type: 'string' },
			session: { type: 'string' },
			token: { type: 'string' },
			email: { type: 'string' },
			password: { type: 'string' },
			'dev-login': { type: 'string' },
			jobs: { type: 'string' },
			once: { type: 'boolean', default: false },
			'worker-id': { type: 'string' },
			model: { type: 'string', multiple: true }
		}
	});
	if (!v.server) throw new UsageError('--server URL is required (the Oasis server to train for)');
	let server: URL;
	try {
		server = new URL(v.server);
	} catch {
		throw new UsageError(`--server must be a URL like https://oasis.example.org, got "${v.server}"`);
	}
	if (server.protocol !== 'http:' && server.protocol !== 'https:') throw new UsageError(`--server must be an http or https URL, got "${v.server}"`);
	const session = v.session ?? v.token ?? env.OASIS_SESSION;
	const password = v.password ?? env.OASIS_PASSWORD;
	const ways = [session !== undefined, v.email !== undefined, v['dev-login'] !== undefined].filter(Boolean).length;
	if (ways === 0) throw new UsageError('sign in with one of --session COOKIE, --email EMAIL --password PASSWORD, or --dev-login NAME');
	if (ways > 1) throw new UsageError('give only one of --session, --email or --dev-login');
	if (v.email !== undefined && !password) throw new UsageError('--email needs --password (or OASIS_PASSWORD)');
	const workerId = v['worker-id'] ?? `cli-${hostname()}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
	if (!/^[A-Za-z0-9._-]{1,100}$/.test(workerId)) throw new UsageError('--worker-id must be 1–100 letters, digits, ".", "_" or "-"');
	const jobs = (v.jobs ?? '').split(',').map((j) => j.trim()).filter(Boolean);
	for (const j of jobs) if (!/^[0-9a-f-]{36}$/i.test(j)) throw new UsageError(`--jobs takes job ids (UUIDs), got "${j}"`);
	const models = llamaModelFolders(env.OASIS_TRAINING_MODELS);
	for (const m of v.model ?? []) {
		const eq = m.indexOf('=');
		if (eq <= 0 || eq === m.length - 1) throw new UsageError(`--model takes ID=FOLDER (e.g. oasis-tiny=public/models/oasis-tiny), got "${m}"`);
		models.set(m.slice(0, eq), m.slice(eq + 1));
	}
	return { server: server.origin + server.pathname.replace(/\/$/, ''), session: session?.replace(new RegExp(`^${SESSION_COOKIE}=`), ''), email: v.email, password, devLogin: v['dev-login'], jobs, once: v.once, workerId, models };
}

/** Signs in (account or development login) and returns the session token from the Set-Cookie answer. */
export async function signInForSession(server: string, how: { email: string; password: string } | { devLogin: string }): Promise<string> {
	const [procedure, input] = 'devLogin' in how ? ['auth.devLogin', { name: how.devLogin }] : ['auth.signIn', { email: how.email, password: how.password }];
	let response: Response;
	try {
		response = await fetch(`${server}/api/trpc/${procedure}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-oasis-csrf': '1' }, body: JSON.stringify(input) });
	} catch (error) {
		throw new WorkerFatal(`cannot reach ${server} (${(error as Error).cause ?? (error as Error).message}); check --server`);
	}
	if (!response.ok) {
		const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
		throw new WorkerFatal(`signing in failed: ${body?.error?.message ?? `HTTP ${response.status}`}`);
	}
	for (const cookie of response.headers.getSetCookie()) {
		const m = new RegExp(`^${SESSION_COOKIE}=([^;]+)`).exec(cookie);
		if (m) return decodeURIComponent(m[1]!);
	}
	throw new WorkerFatal('signing in gave no session cookie (is this an Oasis server?)');
}

/** Runs the worker; returns the exit code. */
export async function runWorker(o: WorkerCliOptions, signals: { install: boolean } = { install: true }): Promise<number> {
	const session = o.session ?? (await signInForSession(o.server, o.devLogin !== undefined ? { devLogin: o.devLogin } : { email: o.email!, password: o.password! }));
	const client = createTRPCClient<AppRouter>({
		links: [httpLink({ url: `${o.server}/api/trpc`, headers: () => ({ 'x-oasis-csrf': '1', cookie: `${SESSION_COOKIE}=${encodeURIComponent(session)}` }) })]
	});
	let gpu: Promise<GpuContext> | null = null;
	const trainers = new Map<string, Promise<LocalTrainer>>();
	const trainerFor = (id: string): Promise<LocalTrainer> => {
		if (id === BIGRAM_MODEL_ID) return Promise.resolve(bigramTrainer);
		let t = trainers.get(id);
		if (!t) {
			const folder = o.models.get(id);
			if (!folder) return Promise.reject(new WorkerFatal(`a job trains "${id}", which this worker does not have: pass --model ${id}=FOLDER, or --jobs to serve other jobs`));
			// The GPU and the kernels load only when a job needs them (other commands never pay for Dawn).
			gpu ??= import('../../kernels/gpu/node.js').then((m) => m.createNodeContext());
			t = (async () => {
				const [{ openModel }, { folderSource }, { LlamaLocalTrainer }] = await Promise.all([
					import('../../kernels/models/model-files.js'),
					import('../../kernels/models/source-node.js'),
					import('../training/worker/llama.js')
				]);
				const [ctx, files] = await Promise.all([gpu!, openModel(folderSource(folder))]);
				info(`model ${id}: ${folder} on ${ctx.info.description || ctx.info.vendor || 'WebGPU'}`);
				return new LlamaLocalTrainer(ctx, files);
			})();
			t.catch(() => trainers.delete(id));
			trainers.set(id, t);
		}
		return t;
	};
	const worker = new TrainingWorker({
		api: clientApi(client as unknown as TrainingClient),
		workerId: o.workerId,
		jobs: o.jobs,
		trainerFor,
		onEvent: emit,
		log: info
	});
	const abort = new AbortController();
	let stopping = false;
	const onSigint = () => {
		if (!stopping) {
			stopping = true;
			info('finishing the current unit, then stopping (Ctrl-C again to stop now)');
		} else abort.abort();
	};
	if (signals.install) process.on('SIGINT', onSigint);
	info(`worker ${o.workerId} training for ${o.server}${o.jobs.length ? ` (jobs ${o.jobs.join(', ')})` : ''}`);
	try {
		const r = await worker.run({ once: o.once, signal: abort.signal, stopAfterUnit: () => stopping });
		info(`stopped: ${r.units} units sent, ${r.accepted} accepted, ${r.rejected} rejected`);
		return o.once && r.units > 0 && r.accepted === 0 ? 1 : 0;
	} catch (error) {
		if (error instanceof WorkerFatal) {
			info(`oasis worker: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		if (signals.install) process.off('SIGINT', onSigint);
		if (gpu) (await (gpu as Promise<GpuContext>).catch(() => null))?.destroy();
	}
}

export const workerCommand: CliCommand = {
	name: 'worker',
	summary: 'Train for a server’s distributed training jobs (headless worker)',
	help: HELP,
	async run(args) {
		const options = parseWorkerArgs(args);
		try {
			return await runWorker(options);
		} catch (error) {
			if (error instanceof WorkerFatal) {
				info(`oasis worker: ${error.message}`);
				return 1;
			}
			throw error;
		}
	}
};
