// `npm run demo:loop`: the whole data → training → inference loop on one machine, through the API.
//
//  1. Starts the tRPC API from the sources (server/api-server.ts, no web build) on a free loopback
//     port with a throwaway SQLite database, snapshot and training folders, and the development login.
//  2. Imports a slice of ../shared/data/oasst/en_100_tree.jsonl through `exchange.import`, then
//     several volunteers write and rank new trees through the task API (request → ack → submit),
//     with the tree manager set small (1 review, 2 replies, 1 ranking) so trees finish quickly.
//     Their texts are the prompts and replies of held-back trees of the same file; volunteers rank
//     the longer reply first.
//  3. Exports a snapshot (`snapshot.create`), creates a LoRA SFT job and a LoRA DPO job on the
//     bundled oasis-tiny model, and trains both with two headless workers (the shared worker loop
//     over HTTP, LlamaTrainer on Dawn/lavapipe), every delta scored by the server on held-out data.
//  4. Merges the finished SFT adapter into the base weights (W + (alpha/r)·B·A, kernels/models/adapter.ts), loads the merged
//     model with the chat's inference engine (kernels/models LlamaModel) and measures the held-out
//     loss of assistant replies by teacher forcing, against the base model the same way.
//
// Prints each stage's figures and, last, one JSON line with all of them. Sized for a 2-core machine
// (windows of 64 tokens, a few rounds); DEMO_TREES (import slice, default 60) and DEMO_ROUNDS
// (SFT rounds, default 3) scale it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';
import { createNodeContext } from '../kernels/gpu/node.js';
import type { GpuContext } from '../kernels/gpu/context.js';
import { mergeLora as mergeMatrix } from '../kernels/models/adapter.js';
import { LlamaModel } from '../kernels/models/llama.js';
import { openModel, type ModelFiles } from '../kernels/models/model-files.js';
import { blobSource } from '../kernels/models/source.js';
import { folderSource } from '../kernels/models/source-node.js';
import { writeSafetensors } from '../kernels/models/safetensors.js';
import { layerNames } from '../kernels/models/weights.js';
import { LORA_TARGETS, type LoraTarget } from '../kernels/train/llama-train.js';
import type { AppRouter } from '../server/router.js';
import { buildDataset, recordsOfLines, type TrainingExample } from '../server/training/datasets.js';
import type { JobInfo, RoundMetrics } from '../server/training/manager.js';
import { ExampleTokenizer } from '../server/training/tokenize.js';
import { clientApi, type TrainingClient } from '../server/training/worker/api.js';
import { LlamaLocalTrainer } from '../server/training/worker/llama.js';
import { TrainingWorker, type WorkerEvent } from '../server/training/worker/loop.js';
import { SESSION_COOKIE } from '../server/users/cookies.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(root, '..', 'shared', 'data', 'oasst', 'en_100_tree.jsonl');
const MODEL_DIR = join(root, 'public', 'models', 'oasis-tiny');
const MODEL_ID = 'oasis-tiny';
const TREES = Number(process.env.DEMO_TREES ?? 60);
const SFT_ROUNDS = Number(process.env.DEMO_ROUNDS ?? 2);
/** Held-out threads the engine scores (teacher forcing is one decode step per token). */
const EVAL_THREADS = 8;
const WINDOW = 64;

const t0 = performance.now();
const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
const summary: Record<string, unknown> = {};
function stage(name: string, figures: Record<string, unknown>): void {
	summary[name] = figures;
	const text = Object.entries(figures)
		.map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
		.join(', ');
	console.log(`[${seconds().toFixed(1)} s] ${name}: ${text}`);
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const address = srv.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			srv.close(() => resolve(port));
		});
	});
}

const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp(): Promise<void> {
	for (const c of cleanups.reverse()) await c();
}

/** The API from the sources on a free port; resolves to its base URL once it answers. */
async function startApi(dir: string): Promise<string> {
	const port = await freePort();
	const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'server/api-server.ts'], {
		cwd: root,
		env: {
			...process.env,
			PORT: String(port),
			HOST: '127.0.0.1',
			DATABASE_URL: `sqlite:${join(dir, 'demo.db')}`,
			OASIS_DEV_LOGIN: '1',
			OASIS_RATE_LIMITS: 'off',
			// The import sends the JSONL in one request (adapter-node's default limit is 512K).
			BODY_SIZE_LIMIT: '64M',
			OASIS_TRAINING_DIR: join(dir, 'training'),
			OASIS_SNAPSHOT_DIR: join(dir, 'snapshots')
		},
		stdio: ['ignore', 'ignore', 'inherit']
	});
	cleanups.push(
		() =>
			new Promise<void>((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			})
	);
	const base = `http://127.0.0.1:${port}`;
	for (const start = Date.now(); Date.now() - start < 120_000; await new Promise((r) => setTimeout(r, 250))) {
		if (child.exitCode !== null) throw new Error(`the API server exited with code ${child.exitCode}`);
		if (await fetch(`${base}/api/trpc/system.health`).then((r) => r.ok, () => false)) return base;
	}
	throw new Error('the API server did not answer within 120 s');
}

type Client = TRPCClient<AppRouter>;

/** Signs `name` in through the development login and returns a tRPC client with its session. */
async function signIn(base: string, name: string, role?: 'moderator' | 'admin'): Promise<Client> {
	const r = await fetch(`${base}/api/trpc/auth.devLogin`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-oasis-csrf': '1' }, body: JSON.stringify({ name, ...(role ? { role } : {}) }) });
	if (!r.ok) throw new Error(`signing in ${name} failed: HTTP ${r.status} ${await r.text()}`);
	const cookie = r.headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
	if (!cookie) throw new Error('the development login gave no session cookie');
	const session = cookie.slice(SESSION_COOKIE.length + 1).split(';')[0]!;
	return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/api/trpc`, headers: () => ({ 'x-oasis-csrf': '1', cookie: `${SESSION_COOKIE}=${session}` }) })] });
}

/** Prompts and assistant replies of trees (one per line), for volunteers to "write". */
function textPool(lines: string[]): { prompts: string[]; replies: string[] } {
	interface Node {
		text: string;
		role: string;
		replies?: Node[];
	}
	const prompts: string[] = [];
	const replies: string[] = [];
	const walk = (n: Node) => {
		if (n.role === 'assistant') replies.push(n.text);
		for (const r of n.replies ?? []) walk(r);
	};
	for (const l of lines) {
		const tree = JSON.parse(l) as { prompt: Node };
		prompts.push(tree.prompt.text);
		walk(tree.prompt);
	}
	return { prompts, replies: replies.filter((t) => t.length > 20 && t.length < 1500) };
}

type Task = Awaited<ReturnType<Client['tasks']['request']['mutate']>>;

/** Volunteers write and rank trees through the task API for `cycles` tasks. */
async function volunteer(clients: Client[], pool: { prompts: string[]; replies: string[] }, cycles: number) {
	const counts: Record<string, number> = {};
	let serial = 0;
	let noTask = 0;
	const refused: Record<string, number> = {};
	let nextPrompt = 0;
	let nextReply = 0;
	for (let c = 0; c < cycles; c++) {
		const caller = clients[c % clients.length]!;
		let task: Task;
		try {
			task = await caller.tasks.request.mutate({ type: 'random', lang: 'en' });
		} catch {
			noTask++;
			continue;
		}
		const clientId = `demo-${++serial}`;
		await caller.tasks.ack.mutate({ taskId: task.id, frontendMessageId: clientId });
		const p = task.payload;
		try {
			await answer(caller, task, clientId);
		} catch (error) {
			// A rule refused it (e.g. the same text twice): say why and go on, as a volunteer would.
			refused[(error as Error).message] = (refused[(error as Error).message] ?? 0) + 1;
			await caller.tasks.nack.mutate({ taskId: task.id, reason: 'refused' }).catch(() => undefined);
			continue;
		}
		counts[p.type] = (counts[p.type] ?? 0) + 1;
	}
	return { counts, noTask, refused };

	async function answer(caller: Client, task: Task, clientId: string): Promise<void> {
		const p = task.payload;
		switch (p.type) {
			case 'initial_prompt':
				await caller.tasks.submitReply.mutate({ taskId: task.id, clientId, text: pool.prompts[nextPrompt++ % pool.prompts.length]! });
				break;
			case 'prompter_reply':
			case 'assistant_reply':
				await caller.tasks.submitReply.mutate({ taskId: task.id, clientId, text: pool.replies[nextReply++ % pool.replies.length]! });
				break;
			case 'rank_prompter_replies':
			case 'rank_assistant_replies': {
				// These volunteers prefer the fuller answer.
				const order = p.replyMessages.map((m, i) => [m.text.length, i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
				await caller.tasks.submitRanking.mutate({ taskId: task.id, clientId, ranking: order, notRankable: false });
				break;
			}
			default: {
				const labels: Record<string, number> = {};
				for (const name of p.validLabels) labels[name] = name === 'quality' ? 0.75 : 0;
				await caller.tasks.submitLabels.mutate({ taskId: task.id, clientId, messageId: p.messageId, labels });
			}
		}
	}
}

/** A weight tensor in memory. */
interface Tensor {
	shape: number[];
	data: Float32Array<ArrayBufferLike>;
}

/** Reads the base model's f32 tensors from its safetensors file. */
function readBaseTensors(file: string): Map<string, Tensor> {
	const bytes = readFileSync(file);
	const headerLength = Number(bytes.readBigUInt64LE(0));
	const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
	const out = new Map<string, Tensor>();
	for (const [name, t] of Object.entries(header)) {
		if (name === '__metadata__') continue;
		if (t.dtype !== 'F32') throw new Error(`${name} is ${t.dtype}; this demo merges into f32 weights`);
		const start = 8 + headerLength + t.data_offsets[0];
		const copy = new Uint8Array(bytes.subarray(start, 8 + headerLength + t.data_offsets[1]));
		out.set(name, { shape: t.shape, data: new Float32Array(copy.buffer) });
	}
	return out;
}

/**
 * Merges a LoRA parameter vector (the trainer's order: per layer, q k v o gate up down as
 * adapted, A [r, in] then B [out, r]) into the base weights: W ← W + (alpha/r)·B·A, each
 * matrix by kernels/models/adapter.ts (the chat engine's adapter merge).
 */
function mergeLora(
	base: Map<string, Tensor>,
	params: Float32Array,
	mode: { rank: number; alpha: number; targets: string[] },
	numLayers: number
): Map<string, Tensor> {
	const merged = new Map<string, Tensor>([...base].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
	const r = mode.rank;
	const scale = mode.alpha / r;
	let off = 0;
	for (let l = 0; l < numLayers; l++) {
		const names = layerNames(l);
		for (const target of LORA_TARGETS) {
			if (!mode.targets.includes(target)) continue;
			const w = merged.get(names[target as LoraTarget])!;
			const [N, K] = w.shape as [number, number];
			const A = params.subarray(off, off + r * K);
			off += r * K;
			const B = params.subarray(off, off + N * r);
			off += N * r;
			w.data = mergeMatrix(w.data, { a: A, b: B, rank: r, scale }, N, K);
		}
	}
	if (off !== params.length) throw new Error(`the adapter has ${params.length} values; the layout accounts for ${off}`);
	return merged;
}

/** The merged weights as an in-memory model folder (config, tokenizer and merged safetensors). */
async function mergedFiles(merged: Map<string, Tensor>): Promise<ModelFiles> {
	const st = writeSafetensors([...merged].map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) })));
	const files = new Map<string, Blob>([['model.safetensors', new Blob([new Uint8Array(st)])]]);
	for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) files.set(name, new Blob([new Uint8Array(readFileSync(join(MODEL_DIR, name)))]));
	return openModel(blobSource(files, 'oasis-tiny + SFT adapter (merged)'));
}

/** Mean cross-entropy of the assistant tokens of `examples` under the engine, by teacher forcing. */
async function engineLoss(ctx: GpuContext, files: ModelFiles, examples: readonly TrainingExample[]): Promise<{ loss: number; tokens: number }> {
	const model = await LlamaModel.load(ctx, files, { maxSeq: WINDOW });
	const tok = new ExampleTokenizer(files.tokenizer!, WINDOW);
	let sum = 0;
	let count = 0;
	try {
		for (const e of examples) {
			const t = tok.of(e);
			const ids = [...t.tokens];
			await model.teacherForce(ids, (logits, i) => {
				if (i + 1 >= ids.length || !t.lossMask[i + 1]) return;
				let max = -Infinity;
				for (const x of logits) max = Math.max(max, x);
				let z = 0;
				for (const x of logits) z += Math.exp(x - max);
				sum += Math.log(z) + max - logits[ids[i + 1]!]!;
				count++;
			});
		}
	} finally {
		model.destroy();
	}
	return { loss: sum / count, tokens: count };
}

async function main(): Promise<void> {
	const dir = mkdtempSync(join(tmpdir(), 'oasis-demo-loop-'));
	cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
	const base = await startApi(dir);
	stage('server', { url: base, database: 'sqlite (temporary)', seconds: seconds() });

	// Data: an import through the API, then trees written and ranked through the task API.
	let t = performance.now();
	const lines = readFileSync(DATA, 'utf8').split('\n').filter((l) => l.trim());
	const admin = await signIn(base, 'demo-admin', 'admin');
	const imported = await admin.exchange.import.mutate({ jsonl: lines.slice(0, TREES).join('\n') });
	await admin.moderation.updateTreeSettings.mutate({
		changes: {
			max_active_trees: 4,
			goal_tree_size: 3,
			min_goal_tree_size: 3,
			max_tree_depth: 1,
			max_children_count: 2,
			num_reviews_initial_prompt: 1,
			num_reviews_reply: 1,
			num_required_rankings: 1,
			p_full_labeling_review_prompt: 0,
			p_full_labeling_review_reply_assistant: 0,
			p_full_labeling_review_reply_prompter: 0,
			lonely_children_count: 0,
			p_lonely_child_extension: 0
		}
	});
	const people = await Promise.all(['ada', 'bo', 'cy', 'di'].map((n) => signIn(base, `demo-${n}`)));
	const tasks = await volunteer(people, textPool(lines.slice(TREES)), Number(process.env.DEMO_TASKS ?? 120));
	stage('data', { importedTrees: imported.trees, importedMessages: imported.imported, tasksDone: tasks.counts, noTask: tasks.noTask, refused: tasks.refused, seconds: (performance.now() - t) / 1000 });

	t = performance.now();
	const snapshot = await admin.snapshot.create.mutate({ format: 'trees' });
	stage('snapshot', { id: snapshot.id, hash: snapshot.content_hash, trees: snapshot.tree_count, messages: snapshot.message_count, bytes: snapshot.byte_size, seconds: (performance.now() - t) / 1000 });

	// Training: an SFT job and a DPO job, LoRA on the bundled model, two headless workers. The
	// bundled model is already trained on this file's first 90 trees, so the SFT units are small,
	// careful steps (lr 1e-3, 4 steps of 512 tokens): the earlier 2 steps of 192 tokens at 3e-3,
	// made for random weights, raised its held-out loss and every delta was refused.
	t = performance.now();
	const mode = { kind: 'lora' as const, rank: 4, alpha: 8, targets: ['q', 'v', 'o', 'down'] };
	const hyper = { lr: 1e-3, batchTokens: 512, innerSteps: 4, sequenceTokens: WINDOW, leaseSeconds: 600, roundSeconds: 3600, warmup: 2, minGainFraction: 0, validationExamples: 8 };
	const sft = await admin.training.create.mutate({ name: 'demo SFT', objective: 'sft', baseModel: MODEL_ID, snapshot: { id: snapshot.id, contentHash: snapshot.content_hash }, mode, hyper, rounds: SFT_ROUNDS, workersPerRound: 2, seed: 1 });
	const dpo = await admin.training.create.mutate({
		name: 'demo DPO',
		objective: 'dpo',
		baseModel: MODEL_ID,
		snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
		mode,
		// A tiny model's honest DPO deltas move the held-out loss by little more than noise (they
		// barely generalize to held-out prompts at this size): a small tolerance lets the rounds go on.
		hyper: { ...hyper, lr: 1e-3, batchTokens: 768, validationExamples: 12, lossTolerance: 0.02, roundSeconds: 30 },
		rounds: 2,
		workersPerRound: 2,
		seed: 2
	});
	stage('jobs', {
		sft: { id: sft.id, params: sft.parameterCount, train: sft.trainExamples, validation: sft.validationExamples, baseLoss: sft.initialValidationLoss },
		dpo: { id: dpo.id, params: dpo.parameterCount, trainPairs: dpo.trainExamples, validationPairs: dpo.validationExamples, baseLoss: dpo.initialValidationLoss, baseAccuracy: dpo.initialValidationAccuracy },
		seconds: (performance.now() - t) / 1000
	});

	t = performance.now();
	const ctx = await createNodeContext();
	const baseFiles = await openModel(folderSource(MODEL_DIR));
	const events: WorkerEvent[] = [];
	const workers = await Promise.all(
		['gpu-ann', 'gpu-ben'].map(async (name) => {
			const c = await signIn(base, `demo-${name}`);
			const trainer = new LlamaLocalTrainer(ctx, baseFiles);
			return new TrainingWorker({ api: clientApi(c as unknown as TrainingClient), workerId: name, jobs: [sft.id, dpo.id], trainerFor: async () => trainer, onEvent: (e) => events.push(e), backoff: { initialMs: 300, maxMs: 2000 } });
		})
	);
	const budget = new AbortController();
	const timer = setTimeout(() => budget.abort(), Number(process.env.DEMO_TRAIN_SECONDS ?? 330) * 1000);
	const runs = await Promise.all(workers.map((w) => w.run({ signal: budget.signal })));
	clearTimeout(timer);
	const submitted = events.filter((e): e is Extract<WorkerEvent, { event: 'submitted' }> => e.event === 'submitted');
	const jobFigures = async (job: JobInfo) => {
		const got = await admin.training.get.query({ jobId: job.id });
		const mine = submitted.filter((e) => e.jobId === job.id);
		const rounds = got.rounds.filter((r: RoundMetrics) => r.state === 'closed');
		return {
			state: got.job.state,
			version: got.job.version,
			rounds: rounds.length,
			accepted: rounds.reduce((n, r) => n + r.accepted, 0),
			rejected: got.rounds.reduce((n, r) => n + r.rejected, 0),
			bytesReceived: got.rounds.reduce((n, r) => n + r.bytesReceived, 0),
			bytesFp32: got.rounds.reduce((n, r) => n + r.bytesFp32, 0),
			trainLoss: mine.map((e) => Number(e.trainLoss.toFixed(4))),
			validationLoss: [got.job.initialValidationLoss, ...rounds.map((r) => r.validationLoss)],
			validationAccuracy: job.objective === 'sft' ? null : [got.job.initialValidationAccuracy, ...rounds.map((r) => r.validationAccuracy)]
		};
	};
	const sftFigures = await jobFigures(sft);
	const dpoFigures = await jobFigures(dpo);
	stage('sft', sftFigures);
	stage('dpo', dpoFigures);
	stage('workers', { runs: runs.map((r) => `${r.accepted} accepted, ${r.rejected} rejected (${r.reason})`).join('; '), seconds: (performance.now() - t) / 1000 });

	// Inference: the SFT adapter merged into the base weights, scored by the chat's engine.
	t = performance.now();
	const final = await admin.training.parameters.query({ jobId: sft.id, version: sftFigures.version });
	const params = new Float32Array(new Uint8Array(Buffer.from(final.f32, 'base64')).buffer);
	const merged = mergeLora(readBaseTensors(join(MODEL_DIR, 'model.safetensors')), params, mode, baseFiles.config.numLayers);
	const exported = await admin.exchange.export.query({});
	const heldOut = buildDataset(recordsOfLines(exported.jsonl.split('\n').filter(Boolean)), 'sft').validation.slice(0, EVAL_THREADS);
	const before = await engineLoss(ctx, baseFiles, heldOut);
	const after = await engineLoss(ctx, await mergedFiles(merged), heldOut);
	stage('inference', { version: sftFigures.version, heldOutThreads: heldOut.length, assistantTokens: before.tokens, baseLoss: before.loss, adaptedLoss: after.loss, lower: after.loss < before.loss, seconds: (performance.now() - t) / 1000 });
	ctx.device.destroy();
	summary.totalSeconds = seconds();
	console.log(JSON.stringify(summary));
	if (!(after.loss < before.loss)) process.exitCode = 1;
}

try {
	await main();
} catch (error) {
	console.error(`demo:loop failed: ${(error as Error).stack ?? error}`);
	process.exitCode = 1;
} finally {
	await cleanUp();
}
