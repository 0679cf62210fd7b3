import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { openDatabase } from '../db/database.js';
import { appRouter } from '../router.js';
import { FsBlobStore } from '../exchange/blob-store.js';
import { importOasst } from '../exchange/import.js';
import { createSnapshot, type SnapshotInfo } from '../exchange/snapshot.js';
import { describeEachDialect } from '../testing/dialects.js';
import { type Caller, harness, ruleOf } from '../testing/harness.js';
import { seededRandom } from '../testing/random.js';
import { BIGRAM_MODEL_ID, trainLocally } from './bigram.js';
import { encodeDelta, fromBase64, toBase64 } from './codec.js';
import type { TrainingExample } from './datasets.js';
import { TrainingManager, clearTrainingCaches, type CreateJobInput, type Lease } from './manager.js';
import { l2norm } from './outer.js';
import { builtinModels, setTrainingRuntime, type TrainingRuntime } from './runtime.js';

const EN_100 = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'oasis-training-'));
afterAll(() => {
	setTrainingRuntime(null);
	rmSync(dir, { recursive: true, force: true });
});

const HYPER = {
	lr: 0.05,
	batchTokens: 3000,
	innerSteps: 4,
	outerLr: 0.7,
	outerMomentum: 0.9,
	clip: 1,
	leaseSeconds: 600,
	roundSeconds: 3600,
	warmup: 3,
	normK: 5,
	validationExamples: 40
};

/** What an honest worker does with a lease: download, train H steps for real, encode. */
async function honestDelta(caller: Caller, lease: Lease): Promise<{ delta: Float32Array; trainLoss: number }> {
	const p = await caller.training.parameters(lease.download.input);
	const params = new Float32Array(new Uint8Array(fromBase64(p.f32)).buffer);
	expect(params.byteLength).toBe(lease.download.bytes);
	const indices = [...new Set(lease.batches.flat())];
	const examples = await caller.training.examples({ jobId: lease.jobId, indices });
	const byIndex = new Map<number, TrainingExample>(indices.map((i, k) => [i, examples[k]!]));
	const { delta, trainLoss } = trainLocally(
		params,
		lease.batches.map((b) => b.map((i) => byIndex.get(i)!)),
		lease.inner,
		lease.mode
	);
	return { delta, trainLoss };
}

function send(caller: Caller, lease: Lease, workerId: string, delta: Float32Array, trainLoss: number | null, header: { round?: number; baseVersion?: number } = {}) {
	const bytes = encodeDelta(delta, { jobId: lease.jobId, round: header.round ?? lease.round, baseVersion: header.baseVersion ?? lease.baseVersion });
	return caller.training.submit({ leaseId: lease.leaseId, workerId, delta: toBase64(bytes), trainLoss });
}

describeEachDialect('distributed training (DiLoCo)', (handle, dialect) => {
	let runtime: TrainingRuntime;
	let snapshot: SnapshotInfo;

	beforeAll(async () => {
		runtime = { store: new FsBlobStore(join(dir, dialect, 'training')), snapshots: new FsBlobStore(join(dir, dialect, 'snapshots')), models: builtinModels() };
		setTrainingRuntime(runtime);
		clearTrainingCaches();
		await importOasst(handle.current.db, EN_100);
		snapshot = await createSnapshot(handle.current.db, runtime.snapshots, { format: 'trees' });
	});

	const jobInput = (over: Partial<CreateJobInput> = {}): CreateJobInput => ({
		name: 'bigram sft',
		objective: 'sft',
		baseModel: BIGRAM_MODEL_ID,
		snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
		mode: { kind: 'full' },
		hyper: HYPER,
		rounds: 4,
		workersPerRound: 3,
		seed: 42,
		...over
	});

	it('moderators manage jobs; the snapshot and model are checked; others only read', async () => {
		const h = harness(handle.current);
		const mod = await h.user('mod-a', 'moderator');
		const someone = await h.user('someone');
		expect(await ruleOf(someone.caller.training.create(jobInput()))).toBe('role_required');
		expect(await ruleOf(mod.caller.training.create(jobInput({ snapshot: { id: 'nope', contentHash: snapshot.content_hash } })))).toBe('training_snapshot_not_found');
		expect(await ruleOf(mod.caller.training.create(jobInput({ snapshot: { id: snapshot.id, contentHash: `sha256:${'0'.repeat(64)}` } })))).toBe('training_snapshot_mismatch');
		expect(await ruleOf(mod.caller.training.create(jobInput({ baseModel: 'llama-9000' })))).toBe('training_model_unknown');
		expect(await ruleOf(mod.caller.training.create(jobInput({ objective: 'dpo' })))).toBe('training_model_unsupported');
		expect(await ruleOf(mod.caller.training.create(jobInput({ mode: { kind: 'lora', rank: 4, alpha: 8, targets: ['q_proj'] } })))).toBe('training_model_unsupported');

		const lora = await mod.caller.training.create(jobInput({ name: 'lora', mode: { kind: 'lora', rank: 4, alpha: 8, targets: ['logits'] } }));
		expect(lora).toMatchObject({ parameterCount: 2 * 98 * 4, mode: { kind: 'lora', rank: 4 } });
		expect(lora.initialValidationLoss).toBeCloseTo(Math.log(98), 5); // B = 0: the base model
		const loraLease = await someone.caller.training.lease({ workerId: 'l', jobId: lora.id });
		const loraDelta = await honestDelta(someone.caller, loraLease);
		expect(await send(someone.caller, loraLease, 'l', loraDelta.delta, loraDelta.trainLoss)).toMatchObject({ status: 'accepted' });
		await mod.caller.training.cancel({ jobId: lora.id });

		const job = await mod.caller.training.create(jobInput({ name: 'states' }));
		expect(job).toMatchObject({ state: 'running', round: 0, version: 0, parameterCount: 98 * 98, objective: 'sft' });
		expect(job.trainExamples).toBeGreaterThan(200);
		expect(job.initialValidationLoss).toBeCloseTo(Math.log(98), 5); // uniform logits
		expect(await ruleOf(someone.caller.training.examples({ jobId: job.id, indices: [job.trainExamples] }))).toBe('training_example_range');
		expect(await ruleOf(someone.caller.training.parameters({ jobId: job.id, version: 1 }))).toBe('training_version_not_found');
		expect((await someone.caller.training.parameters({ jobId: job.id, version: 0 })).count).toBe(98 * 98);
		expect(await ruleOf(someone.caller.training.pause({ jobId: job.id }))).toBe('role_required');
		expect((await mod.caller.training.pause({ jobId: job.id })).state).toBe('paused');
		expect(await ruleOf(someone.caller.training.lease({ workerId: 'w', jobId: job.id }))).toBe('training_job_state');
		expect(await ruleOf(mod.caller.training.pause({ jobId: job.id }))).toBe('training_job_state');
		expect((await mod.caller.training.resume({ jobId: job.id })).state).toBe('running');
		expect((await mod.caller.training.cancel({ jobId: job.id })).state).toBe('cancelled');
		expect(await ruleOf(mod.caller.training.resume({ jobId: job.id }))).toBe('training_job_state');
		const anonymous = await h.caller();
		expect((await anonymous.training.list()).map((j) => j.id)).toContain(job.id);
		expect((await anonymous.training.get({ jobId: job.id })).rounds).toHaveLength(1);
		expect(await ruleOf(anonymous.training.lease({ workerId: 'w' }))).toBe('not_signed_in');
	});

	it('a round closes on its deadline with the deltas it has; with none it waits longer', async () => {
		const h = harness(handle.current);
		const mod = await h.user('mod-d', 'moderator');
		const w = await h.user('quinn');
		const job = await mod.caller.training.create(jobInput({ name: 'deadline', rounds: 2 }));
		// A refused delta leaves its unit open with the same examples…
		const before = await w.caller.training.lease({ workerId: 'q', jobId: job.id });
		expect(await send(w.caller, before, 'q', new Float32Array(before.parameterCount).fill(Number.NaN), 1)).toMatchObject({ status: 'rejected', reason: 'non_finite' });
		expect((await w.caller.training.lease({ workerId: 'q', jobId: job.id })).batches).toEqual(before.batches);
		h.clock.ms += (HYPER.roundSeconds + 1) * 1000;
		// …and with no delta accepted the deadline moves on instead of closing an empty round, and the
		// open units get fresh examples (the same ones would give an honest worker the same delta).
		const lease = await w.caller.training.lease({ workerId: 'q', jobId: job.id });
		expect(lease.round).toBe(0);
		expect(Date.parse(lease.roundDeadline)).toBeGreaterThan(h.clock.ms);
		expect(lease.unitIndex).toBe(before.unitIndex);
		expect(lease.batches).not.toEqual(before.batches);
		const { delta, trainLoss } = await honestDelta(w.caller, lease);
		expect(await send(w.caller, lease, 'q', delta, trainLoss)).toMatchObject({ status: 'accepted', roundClosed: false });
		h.clock.ms += (HYPER.roundSeconds + 1) * 1000;
		expect(await w.caller.training.lease({ workerId: 'q', jobId: job.id })).toMatchObject({ round: 1, baseVersion: 1 });
		const [first, ...rest] = await w.caller.training.metrics({ jobId: job.id, sinceRound: -1 });
		expect(first).toMatchObject({ state: 'closed', accepted: 1, participants: 1, tokens: lease.tokens });
		expect(first!.validationLoss!).toBeLessThan(job.initialValidationLoss!);
		expect(rest.map((r) => r.state)).toEqual(['open']);
		expect(await w.caller.training.metrics({ jobId: job.id, sinceRound: 0 })).toHaveLength(1);
	});

	it('concurrent submissions count every delta and close the round exactly once', async () => {
		const h = harness(handle.current);
		const mod = await h.user('mod-e', 'moderator');
		const crowd = await Promise.all(['p1', 'p2', 'p3', 'p4'].map((n) => h.user(n)));
		const job = await mod.caller.training.create(jobInput({ name: 'crowd', rounds: 2, workersPerRound: 4 }));
		const leases = await Promise.all(crowd.map((u, i) => u.caller.training.lease({ workerId: `w${i}`, jobId: job.id })));
		expect(new Set(leases.map((l) => l.unitIndex)).size).toBe(4);
		const deltas = await Promise.all(crowd.map((u, i) => honestDelta(u.caller, leases[i]!)));
		const results = await Promise.all(crowd.map((u, i) => send(u.caller, leases[i]!, `w${i}`, deltas[i]!.delta, deltas[i]!.trainLoss)));
		expect(results.every((r) => r.status === 'accepted')).toBe(true);
		expect(results.filter((r) => r.roundClosed)).toHaveLength(1);
		const [round0, round1] = await (await h.caller()).training.metrics({ jobId: job.id });
		expect(round0).toMatchObject({ state: 'closed', accepted: 4, rejected: 0, participants: 4 });
		expect(round0!.bytesFp32).toBe(4 * 98 * 98 * 4);
		expect(round1).toMatchObject({ state: 'open', accepted: 0 });
	});

	it('five workers — one vanishes, three cheat — train as well as one honest worker on the same tokens', async () => {
		const h = harness(handle.current);
		const mod = await h.user('mod-b', 'moderator');
		const [alice, bob, dave, sam, rita] = await Promise.all(['alice', 'bob', 'dave', 'sam', 'rita'].map((n) => h.user(n)));
		const job = await mod.caller.training.create(jobInput({ name: 'five workers' }));
		const rng = seededRandom(7);
		const reasons: Record<string, number> = {};
		const note = (r: { status: string; reason: string | null }) => {
			if (r.status === 'rejected') reasons[r.reason!] = (reasons[r.reason!] ?? 0) + 1;
		};

		// Round 0: dave takes a unit and disappears; alice and bob do theirs.
		const daveLease = await dave.caller.training.lease({ workerId: 'dave-1', jobId: job.id });
		const aliceLease = await alice.caller.training.lease({ workerId: 'alice-1', jobId: job.id });
		expect((await alice.caller.training.lease({ workerId: 'alice-1', jobId: job.id })).leaseId).toBe(aliceLease.leaseId); // asking twice gives the same lease
		const bobLease = await bob.caller.training.lease({ workerId: 'bob-1', jobId: job.id });
		expect(new Set([daveLease.unitIndex, aliceLease.unitIndex, bobLease.unitIndex]).size).toBe(3);
		expect(await ruleOf(sam.caller.training.lease({ workerId: 'sam-1', jobId: job.id }))).toBe('training_no_work');
		for (const [who, lease, id] of [[alice, aliceLease, 'alice-1'], [bob, bobLease, 'bob-1']] as const) {
			const { delta, trainLoss } = await honestDelta(who.caller, lease);
			const r = await send(who.caller, lease, id, delta, trainLoss);
			expect(r).toMatchObject({ status: 'accepted', roundClosed: false });
			expect(r.lossAfter!).toBeLessThan(r.lossBefore!);
		}
		// dave's lease expires: his unit goes to the next worker who asks.
		h.clock.ms += (HYPER.leaseSeconds + 1) * 1000;
		const retaken = await alice.caller.training.lease({ workerId: 'alice-1', jobId: job.id });
		expect(retaken.unitIndex).toBe(daveLease.unitIndex);
		expect(retaken.batches).toEqual(daveLease.batches);
		const late = await honestDelta(dave.caller, daveLease);
		expect(await ruleOf(send(dave.caller, daveLease, 'dave-1', late.delta, late.trainLoss))).toBe('training_lease_lost');
		const d0 = await honestDelta(alice.caller, retaken);
		expect(await send(alice.caller, retaken, 'alice-1', d0.delta, d0.trainLoss)).toMatchObject({ status: 'accepted', roundClosed: true });

		// Rounds 1…: the cheaters go first, then the honest pair finishes each round.
		for (let round = 1; round < 4; round++) {
			h.clock.ms += 1000;
			const s = await sam.caller.training.lease({ workerId: 'sam-1', jobId: job.id });
			expect(s).toMatchObject({ round, baseVersion: round });
			const honestS = await honestDelta(sam.caller, s);
			const big = honestS.delta.map((x) => x * 100);
			const r1 = await send(sam.caller, s, 'sam-1', big, honestS.trainLoss);
			note(r1);
			expect(r1).toMatchObject({ status: 'rejected', reason: 'norm_outlier' });

			const r = await rita.caller.training.lease({ workerId: 'rita-1', jobId: job.id });
			const honestR = await honestDelta(rita.caller, r);
			const random = new Float32Array(honestR.delta.length).map(() => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
			const scale = l2norm(honestR.delta) / l2norm(random);
			const r2 = await send(rita.caller, r, 'rita-1', random.map((x) => x * scale), honestR.trainLoss);
			note(r2);
			expect(r2).toMatchObject({ status: 'rejected', reason: 'validation_loss' });
			expect(r2.norm!).toBeCloseTo(l2norm(honestR.delta), 0);

			if (round === 1) {
				const s2 = await sam.caller.training.lease({ workerId: 'sam-1', jobId: job.id });
				const nan = (await honestDelta(sam.caller, s2)).delta;
				nan[123] = Number.NaN;
				const r3 = await send(sam.caller, s2, 'sam-1', nan, 1);
				note(r3);
				expect(r3).toMatchObject({ status: 'rejected', reason: 'non_finite' });
			}
			if (round === 2) {
				const r4lease = await rita.caller.training.lease({ workerId: 'rita-1', jobId: job.id });
				const stale = (await honestDelta(rita.caller, r4lease)).delta;
				const r4 = await send(rita.caller, r4lease, 'rita-1', stale, 1, { baseVersion: round - 1 });
				note(r4);
				expect(r4).toMatchObject({ status: 'rejected', reason: 'stale' });
				const corrupt = encodeDelta(stale, { jobId: job.id, round, baseVersion: round });
				corrupt[40]! ^= 1;
				const r5lease = await rita.caller.training.lease({ workerId: 'rita-1', jobId: job.id });
				const r5 = await rita.caller.training.submit({ leaseId: r5lease.leaseId, workerId: 'rita-1', delta: toBase64(corrupt), trainLoss: 1 });
				note(r5);
				expect(r5).toMatchObject({ status: 'rejected', reason: 'corrupt' });
			}
			let closed = false;
			for (let turn = 0; !closed; turn++) {
				expect(turn).toBeLessThan(6);
				const [who, id] = turn % 2 ? ([bob, 'bob-1'] as const) : ([alice, 'alice-1'] as const);
				const lease = await who.caller.training.lease({ workerId: id, jobId: job.id });
				const { delta, trainLoss } = await honestDelta(who.caller, lease);
				const res = await send(who.caller, lease, id, delta, trainLoss);
				expect(res.status).toBe('accepted');
				closed = res.roundClosed;
			}
		}

		const finished = await h.caller().then((c) => c.training.get({ jobId: job.id }));
		expect(finished.job).toMatchObject({ state: 'finished', version: 4, round: 4 });
		expect(reasons).toEqual({ norm_outlier: 3, validation_loss: 3, non_finite: 1, stale: 1, corrupt: 1 });
		const rounds = finished.rounds;
		expect(rounds.map((r) => r.accepted)).toEqual([3, 3, 3, 3]);
		expect(rounds.map((r) => r.rejected)).toEqual([0, 3, 4, 2]);
		for (const r of rounds) {
			expect(r.bytesReceived / r.bytesFp32).toBeLessThanOrEqual(0.26);
			expect(r.trainLoss).not.toBeNull();
		}
		const losses = rounds.map((r) => r.validationLoss!);
		for (let i = 1; i < losses.length; i++) expect(losses[i]!).toBeLessThan(losses[i - 1]!);
		expect(losses.at(-1)!).toBeLessThan(finished.job.initialValidationLoss! - 0.5);

		// Only accepted tokens are credited; every rejection is counted against its worker.
		const workers = await (await h.caller()).training.workers({ jobId: job.id });
		const of = (id: string) => workers.find((w) => w.workerId === id);
		expect(of('sam-1')).toMatchObject({ accepted: 0, acceptedTokens: 0, rejected: 4, reasons: { norm_outlier: 3, non_finite: 1 } });
		expect(of('rita-1')).toMatchObject({ accepted: 0, acceptedTokens: 0, rejected: 5, reasons: { validation_loss: 3, stale: 1, corrupt: 1 } });
		expect(of('dave-1')).toBeUndefined();
		const board = await (await h.caller()).training.leaderboard({ jobId: job.id });
		expect(board.map((b) => b.userId).sort()).toEqual([alice.id, bob.id].sort());
		expect(board.reduce((a, b) => a + b.acceptedTokens, 0)).toBe(rounds.reduce((a, r) => a + r.tokens, 0));
		expect(rounds.every((r) => r.participants === 2)).toBe(true);

		// The subscription gives every closed round, then ends with the job.
		const seen: number[] = [];
		for await (const r of await (await h.caller()).training.watch({ jobId: job.id, sinceRound: 1 })) seen.push(r.round);
		expect(seen).toEqual([2, 3]);
		// …and the same through the HTTP mount (fetch adapter), as server-sent events.
		const url = `http://oasis.test/api/trpc/training.watch?input=${encodeURIComponent(JSON.stringify({ jobId: job.id, sinceRound: 2 }))}`;
		const response = await fetchRequestHandler({
			endpoint: '/api/trpc',
			req: new Request(url, { headers: { accept: 'text/event-stream' } }),
			router: appRouter,
			createContext: ({ req, resHeaders }) => createContext({ db: h.env.db, dialect: h.env.dialect, headers: req.headers, resHeaders, now: h.env.now })
		});
		expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
		const events = (await response.text()).split('\n').filter((l) => l.startsWith('data: {'));
		const streamed = events.map((l) => JSON.parse(l.slice(6)) as { round?: number }).filter((e) => e.round !== undefined); // the first event is tRPC's "connected"
		expect(streamed.map((e) => e.round)).toEqual([3]);

		// The same job, same seed, one honest worker doing every unit: the same tokens.
		const solo = await mod.caller.training.create(jobInput({ name: 'one honest worker' }));
		await runHonest(alice.caller, solo.id, 'alice-solo');
		const soloRounds = await (await h.caller()).training.metrics({ jobId: solo.id });
		expect(soloRounds.map((r) => r.tokens)).toEqual(rounds.map((r) => r.tokens));
		const soloLoss = soloRounds.at(-1)!.validationLoss!;
		expect(Math.abs(losses.at(-1)! - soloLoss) / soloLoss).toBeLessThan(0.05);
	});

	it('a restarted server (new connection, new manager, cold caches) goes on with the open round and its momentum', async () => {
		const h = harness(handle.current);
		const mod = await h.user('mod-c', 'moderator');
		const worker = await h.user('wendy');
		const reference = await mod.caller.training.create(jobInput({ name: 'uninterrupted', rounds: 3 }));
		await runHonest(worker.caller, reference.id, 'ref');
		const job = await mod.caller.training.create(jobInput({ name: 'restarted', rounds: 3 }));
		// Round 0 and one unit of round 1 before the "crash".
		for (let i = 0; i < 4; i++) {
			const lease = await worker.caller.training.lease({ workerId: 'w1', jobId: job.id });
			const { delta, trainLoss } = await honestDelta(worker.caller, lease);
			await send(worker.caller, lease, 'w1', delta, trainLoss);
		}
		const midway = await worker.caller.training.lease({ workerId: 'w1', jobId: job.id });
		expect(midway.round).toBe(1);

		clearTrainingCaches();
		const reopened = await openDatabase(handle.url);
		try {
			const env = { ...h.env, db: reopened.db, dialect: reopened.dialect };
			const manager = new TrainingManager(env, runtime);
			expect(await manager.get(job.id)).toMatchObject({ state: 'running', round: 1, version: 1 });
			// The lease survived the restart.
			expect((await manager.requestWork(worker.id, 'w1', job.id)).leaseId).toBe(midway.leaseId);
			for (;;) {
				const info = await manager.get(job.id);
				if (info.state === 'finished') break;
				const lease = await manager.requestWork(worker.id, 'w1', job.id);
				const params = await manager.parameters(job.id, lease.baseVersion);
				const examples = await manager.examples(job.id, lease.batches.flat());
				let k = 0;
				const { delta, trainLoss } = trainLocally(params, lease.batches.map((b) => b.map(() => examples[k++]!)), lease.inner, lease.mode);
				await manager.submit(worker.id, { leaseId: lease.leaseId, workerId: 'w1', delta: encodeDelta(delta, { jobId: job.id, round: lease.round, baseVersion: lease.baseVersion }), trainLoss });
			}
			const [a, b] = await Promise.all([manager.parameters(reference.id, 3), manager.parameters(job.id, 3)]);
			// Identical work and a persisted momentum buffer give the same parameters (to f32 rounding).
			let diff = 0;
			for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
			expect(diff).toBeLessThan(1e-5);
			expect(l2norm(b)).toBeGreaterThan(1);
		} finally {
			await reopened.close();
		}
	});
});

/** One honest worker does every unit of a job until it finishes. */
async function runHonest(caller: Caller, jobId: string, workerId: string): Promise<void> {
	for (let guard = 0; guard < 100; guard++) {
		const job = (await caller.training.get({ jobId })).job;
		if (job.state === 'finished') return;
		const lease = await caller.training.lease({ workerId, jobId });
		const { delta, trainLoss } = await honestDelta(caller, lease);
		const r = await send(caller, lease, workerId, delta, trainLoss);
		expect(r.status).toBe('accepted');
	}
	throw new Error('the job did not finish');
}
