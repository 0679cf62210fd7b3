/**
 * Distributed SFT of a real Llama-family model: the bundled tiny model (rebuilt here from its
 * recipe — kernels/models/make-tiny-model.ts: seeded random weights, the bundled tokenizer and
 * chat template — so this test keeps its meaning when the bundled weights are retrained) on an
 * export snapshot of the Open Assistant sample, trained by the shared worker loop with
 * LlamaTrainer on WebGPU (Dawn; lavapipe on CI) and scored by the server's evaluator on the
 * same GPU context.
 *
 * Sized for CPU: windows of 48 tokens, 2 inner steps of ~120 tokens, 8 held-out threads.
 * SQLite only: the database work is the same as training.int.test.ts (which runs on both
 * dialects); set OASIS_LLAMA_TRAINING_PG=1 to run this one on PostgreSQL as well.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { beforeAll, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { FsBlobStore } from '../exchange/blob-store.js';
import { importOasst } from '../exchange/import.js';
import { createSnapshot, type SnapshotInfo } from '../exchange/snapshot.js';
import { appRouter } from '../router.js';
import { describeEachDialect } from '../testing/dialects.js';
import { type Harness, harness } from '../testing/harness.js';
import { seededRandom } from '../testing/random.js';
import { clearTrainingCaches, type CreateJobInput } from './manager.js';
import type { TrainingMode } from './model.js';
import { l2norm } from './outer.js';
import { builtinModels, setTrainingRuntime } from './runtime.js';
import { callerApi } from './worker/api.js';
import { LlamaLocalTrainer } from './worker/llama.js';
import { WorkerStopped } from './worker/local.js';
import { TrainingWorker, type WorkerEvent } from './worker/loop.js';
import { TINY_MODEL_ID, useTinyLlamaModel } from './testing/tiny-llama.js';

const EN_100 = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
const REPO = new URL('../../', import.meta.url).pathname;
const MODEL_ID = TINY_MODEL_ID;

const tiny = useTinyLlamaModel('oasis-llama-training-', 1024);
const { dir, modelDir } = tiny;

const HYPER = {
	lr: 1e-3,
	batchTokens: 120,
	innerSteps: 2,
	sequenceTokens: 48,
	outerLr: 0.7,
	outerMomentum: 0.9,
	clip: 1,
	leaseSeconds: 600,
	roundSeconds: 3600,
	warmup: 2,
	normK: 5,
	minGainFraction: 0.05,
	validationExamples: 8
};

const run = (dialect: string) => (dialect === 'sqlite' || process.env.OASIS_LLAMA_TRAINING_PG === '1' ? it : it.skip);

describeEachDialect('distributed SFT of a Llama model (oasis-tiny on WebGPU)', (handle, dialect) => {
	let snapshot: SnapshotInfo;
	let h: Harness;

	beforeAll(async () => {
		if (dialect !== 'sqlite' && process.env.OASIS_LLAMA_TRAINING_PG !== '1') return;
		setTrainingRuntime({
			store: new FsBlobStore(join(dir, dialect, 'training')),
			snapshots: new FsBlobStore(join(dir, dialect, 'snapshots')),
			models: new Map([...builtinModels(), [MODEL_ID, tiny.model]])
		});
		clearTrainingCaches();
		await importOasst(handle.current.db, EN_100);
		snapshot = await createSnapshot(handle.current.db, new FsBlobStore(join(dir, dialect, 'snapshots')), { format: 'trees' });
		h = harness(handle.current);
	});

	const jobInput = (over: Partial<CreateJobInput> = {}): CreateJobInput => ({
		name: 'tiny sft',
		objective: 'sft',
		baseModel: MODEL_ID,
		snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
		mode: { kind: 'full' },
		hyper: HYPER,
		rounds: 3,
		workersPerRound: 2,
		seed: 7,
		...over
	});

	/** A volunteer's worker over the in-process caller, with its own trainer on the shared GPU context. */
	async function volunteer(name: string, events: WorkerEvent[] = []) {
		const u = await h.user(name);
		const trainer = new LlamaLocalTrainer(tiny.model.ctx, tiny.model.files);
		const worker = new TrainingWorker({ api: callerApi(u.caller), workerId: `${name}-1`, trainerFor: async () => trainer, onEvent: (e) => events.push(e), sleep: async () => undefined });
		return { ...u, worker, events };
	}

	run(dialect)('the model: parameters in the trainer’s order, chat-template tokens, a server-side validation loss', async () => {
		const mod = await h.user('mod-m', 'moderator');
		const lora: TrainingMode = { kind: 'lora', rank: 2, alpha: 4, targets: ['v', 'q'] };
		expect(tiny.model.parameterCount(lora)).toBe(4 * 2 * (2 * 128 + 128 + 64));
		expect(tiny.model.parameterCount({ kind: 'full' })).toBe(918_656);
		expect(tiny.model.unsupported({ kind: 'lora', rank: 2, alpha: 4, targets: ['q_proj'] })).toMatch(/unknown LoRA target q_proj; the targets are q, k, v, o, gate, up, down/);
		const init = await tiny.model.initialParameters(lora, 3);
		// A (Kaiming-uniform, bound 1/√128) then B (zeros), per layer, q before v.
		expect(init.subarray(0, 256).every((x) => x !== 0 && Math.abs(x) <= 1 / Math.sqrt(128))).toBe(true);
		expect(init.subarray(256, 256 + 128 * 2).every((x) => x === 0)).toBe(true);
		const job = await mod.caller.training.create(jobInput({ name: 'lora', mode: lora, rounds: 1 }));
		expect(job).toMatchObject({ parameterCount: init.length, state: 'running' });
		// B = 0: the job starts as the base model, whose loss on random weights is far above ln(1024).
		const full = await mod.caller.training.create(jobInput({ name: 'base', rounds: 1 }));
		expect(job.initialValidationLoss!).toBeCloseTo(full.initialValidationLoss!, 4);
		expect(full.initialValidationLoss!).toBeGreaterThan(Math.log(1024));
		// Examples arrive as chat messages; the unit's tokens are the rendered, windowed sequences.
		const worker = await volunteer('mia');
		const lease = await worker.worker.lease();
		if (!('leaseId' in lease)) throw new Error(lease.message);
		const examples = await worker.caller.training.examples({ jobId: lease.jobId, indices: lease.batches.flat() });
		const tok = tiny.model.tokenizer(HYPER.sequenceTokens);
		expect(lease.tokens).toBe(examples.reduce((n, e) => n + tok.of(e).tokens.length, 0));
		for (const e of examples) {
			const t = tok.of(e);
			expect(t.tokens.length).toBeLessThanOrEqual(HYPER.sequenceTokens);
			// Only assistant text (and its <|im_end|>) is trained on.
			const trained = tiny.model.files.tokenizer!.decode([...t.tokens].filter((_, i) => t.lossMask[i]), false);
			expect(trained).not.toMatch(/<\|im_start\|>|\buser\n/);
			expect(trained.length).toBeGreaterThan(0);
		}
		await mod.caller.training.cancel({ jobId: job.id });
		await mod.caller.training.cancel({ jobId: full.id });
	});

	run(dialect)('five workers — one killed mid-round, two cheating, bad deltas injected — end as well as one worker on the same tokens', async () => {
		const mod = await h.user('mod-a', 'moderator');
		const [alice, bob, dave, sam, rita] = await Promise.all(['alice', 'bob', 'dave', 'sam', 'rita'].map((n) => volunteer(n)));
		const job = await mod.caller.training.create(jobInput({ name: 'five workers' }));
		const reasons: Record<string, number> = {};
		const note = (r: { status: string; reason: string | null }) => {
			if (r.status === 'rejected') reasons[r.reason!] = (reasons[r.reason!] ?? 0) + 1;
		};
		const accepted = async (w: Awaited<ReturnType<typeof volunteer>>) => {
			const o = await w.worker.workOnce();
			if (o.kind !== 'submitted') throw new Error(`${w.id}: ${o.kind}: ${o.message}`);
			expect(o.result, JSON.stringify(o.result)).toMatchObject({ status: 'accepted' });
			expect(o.result.lossAfter!).toBeLessThan(o.result.lossBefore!);
			return o.result.roundClosed;
		};

		// Round 0: dave is killed after his first inner step; his unit waits for its lease to expire.
		const stop = new AbortController();
		const daveRun = new TrainingWorker({ ...dave.worker.o, onEvent: (e) => e.event === 'step' && stop.abort() });
		await expect(daveRun.workOnce(stop.signal)).rejects.toBeInstanceOf(WorkerStopped);
		expect(await accepted(alice)).toBe(false);
		expect(await bob.worker.workOnce()).toMatchObject({ kind: 'no_work' });
		h.clock.ms += (HYPER.leaseSeconds + 1) * 1000;
		expect(await accepted(bob)).toBe(true);

		const rng = seededRandom(11);
		for (let round = 1; round < 3; round++) {
			h.clock.ms += 1000;
			// sam trains honestly, then sends his delta ×100.
			const s = await sam.worker.lease();
			if (!('leaseId' in s)) throw new Error(s.message);
			expect(s).toMatchObject({ round, baseVersion: round });
			const honest = await sam.worker.train(s);
			const big = (await sam.worker.submit(s, honest.delta.map((x) => x * 100), honest.trainLoss)).result;
			note(big);
			expect(big).toMatchObject({ status: 'rejected', reason: 'norm_outlier' });
			// rita sends a random direction with the norm of her honest delta.
			const r = await rita.worker.lease();
			if (!('leaseId' in r)) throw new Error(r.message);
			const ritaHonest = await rita.worker.train(r);
			const random = new Float32Array(ritaHonest.delta.length).map(() => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
			const scale = l2norm(ritaHonest.delta) / l2norm(random);
			const sneaky = (await rita.worker.submit(r, random.map((x) => x * scale), ritaHonest.trainLoss)).result;
			note(sneaky);
			expect(sneaky).toMatchObject({ status: 'rejected', reason: 'validation_loss' });
			expect(sneaky.norm!).toBeCloseTo(l2norm(ritaHonest.delta), 1);
			// The test injects a NaN (round 1) and a stale delta (round 2).
			const again = await sam.worker.lease();
			if (!('leaseId' in again)) throw new Error(again.message);
			const bad = Float32Array.from(honest.delta);
			bad[12_345] = Number.NaN;
			const injected = round === 1 ? (await sam.worker.submit(again, bad, 1)).result : (await sam.worker.submit(again, honest.delta, 1, { baseVersion: round - 1 })).result;
			note(injected);
			expect(injected).toMatchObject({ status: 'rejected', reason: round === 1 ? 'non_finite' : 'stale' });
			// The honest pair finishes the round.
			expect(await accepted(alice)).toBe(false);
			expect(await accepted(bob)).toBe(true);
		}
		const finished = await mod.caller.training.get({ jobId: job.id });
		expect(finished.job).toMatchObject({ state: 'finished', version: 3 });
		expect(reasons).toEqual({ norm_outlier: 2, validation_loss: 2, non_finite: 1, stale: 1 });
		expect(finished.rounds.map((x) => [x.accepted, x.rejected])).toEqual([[2, 0], [2, 3], [2, 3]]);
		const workers = await mod.caller.training.workers({ jobId: job.id });
		expect(workers.find((w) => w.workerId === 'sam-1')).toMatchObject({ accepted: 0, rejected: 4, reasons: { norm_outlier: 2, non_finite: 1, stale: 1 } });
		expect(workers.find((w) => w.workerId === 'rita-1')).toMatchObject({ accepted: 0, rejected: 2, reasons: { validation_loss: 2 } });
		expect(workers.find((w) => w.workerId === 'dave-1')).toBeUndefined();

		// One honest worker does every unit of the same job (same seed: the same tokens).
		const solo = await mod.caller.training.create(jobInput({ name: 'one worker' }));
		const soloEvents: WorkerEvent[] = [];
		const one = await volunteer('olga', soloEvents);
		const soloWorker = new TrainingWorker({ ...one.worker.o, jobs: [solo.id] });
		expect(await soloWorker.run()).toMatchObject({ units: 6, accepted: 6, rejected: 0, reason: 'jobs_over' });
		expect(soloEvents.filter((e) => e.event === 'step')).toHaveLength(12);
		const soloRounds = (await mod.caller.training.get({ jobId: solo.id })).rounds;
		expect(soloRounds.map((x) => x.tokens)).toEqual(finished.rounds.map((x) => x.tokens));

		const base = finished.job.initialValidationLoss!;
		const multi = finished.rounds.at(-1)!.validationLoss!;
		const single = soloRounds.at(-1)!.validationLoss!;
		console.info(`validation loss: base ${base.toFixed(4)}, five workers ${multi.toFixed(4)}, one worker ${single.toFixed(4)}; rounds ${finished.rounds.map((x) => x.validationLoss!.toFixed(3)).join(' → ')}; rejected ${JSON.stringify(reasons)}`);
		expect(solo.initialValidationLoss).toBeCloseTo(base, 6);
		expect(Math.abs(multi - single) / single).toBeLessThan(0.05);
		expect(multi).toBeLessThan(0.85 * base);
		expect(single).toBeLessThan(0.85 * base);
	}, 300_000);

	run(dialect)('`npx oasis worker --once` trains one unit over HTTP and it is accepted', async () => {
		const mod = await h.user('mod-cli', 'moderator');
		const job = await mod.caller.training.create(jobInput({ name: 'cli', mode: { kind: 'lora', rank: 2, alpha: 4, targets: ['q', 'v'] }, hyper: { ...HYPER, lr: 1e-2, innerSteps: 1 }, rounds: 1, workersPerRound: 1 }));
		const server: Server = createServer(async (req, res) => {
			const chunks: Buffer[] = [];
			for await (const c of req) chunks.push(c as Buffer);
			const request = new Request(`http://127.0.0.1${req.url}`, {
				method: req.method,
				headers: Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v] as [string, string]])),
				body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks)
			});
			const response = await fetchRequestHandler({
				endpoint: '/api/trpc',
				req: request,
				router: appRouter,
				createContext: ({ req: r, resHeaders }) => createContext({ db: h.env.db, dialect: h.env.dialect, headers: r.headers, resHeaders, now: h.env.now, random: h.env.random, limiter: h.env.limiter })
			});
			res.statusCode = response.status;
			response.headers.forEach((v, k) => k !== 'set-cookie' && res.setHeader(k, v));
			const cookies = response.headers.getSetCookie();
			if (cookies.length) res.setHeader('set-cookie', cookies);
			res.end(Buffer.from(await response.arrayBuffer()));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			process.env.OASIS_DEV_LOGIN = '1';
			const { port } = server.address() as AddressInfo;
			const child = spawn(process.execPath, ['bin/oasis.js', 'worker', '--server', `http://127.0.0.1:${port}`, '--dev-login', 'cli-volunteer', '--jobs', job.id, '--once', '--model', `${MODEL_ID}=${modelDir}`], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
			let stdout = '';
			let stderr = '';
			child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
			child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
			const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
			expect(code, stderr).toBe(0);
			const events = stdout.trim().split('\n').map((l) => JSON.parse(l) as WorkerEvent);
			expect(events.map((e) => e.event)).toEqual(['lease', 'step', 'submitted', 'stopped']);
			expect(events[2]).toMatchObject({ event: 'submitted', status: 'accepted', roundClosed: true, jobId: job.id });
			expect(stderr).toMatch(/accepted: train loss/);
		} finally {
			await new Promise((resolve) => server.close(resolve));
		}
		const after = await mod.caller.training.get({ jobId: job.id });
		expect(after.job.state).toBe('finished');
		expect(after.rounds[0]).toMatchObject({ accepted: 1, participants: 1 });
		expect(after.rounds[0]!.validationLoss!).toBeLessThan(after.job.initialValidationLoss!);
	}, 180_000);
});
