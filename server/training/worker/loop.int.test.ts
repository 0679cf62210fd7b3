/**
 * The shared worker loop against the real training router (in-process callers), with the
 * bigram model (CPU, milliseconds per unit): waiting and backing off while a job is paused or
 * has no free unit, stopping when its jobs end, errors in words, fatal conditions, and stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FsBlobStore } from '../../exchange/blob-store.js';
import { importOasst } from '../../exchange/import.js';
import { createSnapshot, type SnapshotInfo } from '../../exchange/snapshot.js';
import { describeEachDialect } from '../../testing/dialects.js';
import { type Harness, harness } from '../../testing/harness.js';
import { BIGRAM_MODEL_ID } from '../bigram.js';
import { clearTrainingCaches, type CreateJobInput } from '../manager.js';
import { builtinModels, setTrainingRuntime } from '../runtime.js';
import { callerApi, type WorkerApi } from './api.js';
import { bigramTrainer } from './local.js';
import { TrainingWorker, WorkerFatal, type WorkerEvent, type WorkerOptions } from './loop.js';

const EN_100 = new URL('../../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'oasis-worker-loop-'));
afterAll(() => {
	setTrainingRuntime(null);
	rmSync(dir, { recursive: true, force: true });
});

describeEachDialect('the training worker loop', (handle, dialect) => {
	let snapshot: SnapshotInfo;
	let h: Harness;

	beforeAll(async () => {
		const snapshots = new FsBlobStore(join(dir, dialect, 'snapshots'));
		setTrainingRuntime({ store: new FsBlobStore(join(dir, dialect, 'training')), snapshots, models: builtinModels() });
		clearTrainingCaches();
		await importOasst(handle.current.db, EN_100);
		snapshot = await createSnapshot(handle.current.db, snapshots, { format: 'trees' });
		h = harness(handle.current);
	});

	const jobInput = (over: Partial<CreateJobInput> = {}): CreateJobInput => ({
		name: 'loop',
		objective: 'sft',
		baseModel: BIGRAM_MODEL_ID,
		snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
		mode: { kind: 'full' },
		hyper: { lr: 0.05, batchTokens: 2000, innerSteps: 2, validationExamples: 20 },
		rounds: 1,
		workersPerRound: 1,
		seed: 3,
		...over
	});

	function worker(api: WorkerApi, over: Partial<WorkerOptions> = {}) {
		const events: WorkerEvent[] = [];
		const waits: number[] = [];
		const w = new TrainingWorker({
			api,
			workerId: 'w-1',
			trainerFor: async (id) => {
				if (id !== BIGRAM_MODEL_ID) throw new WorkerFatal(`no ${id} here`);
				return bigramTrainer;
			},
			onEvent: (e) => events.push(e),
			sleep: async (ms) => void waits.push(ms),
			backoff: { initialMs: 1000, maxMs: 3000 },
			...over
		});
		return { w, events, waits };
	}

	it('waits while its job is paused (backing off), trains once it resumes, and stops when the job ends', async () => {
		const mod = await h.user('mod', 'moderator');
		const vol = await h.user('vol');
		const job = await mod.caller.training.create(jobInput({ rounds: 2 }));
		await mod.caller.training.pause({ jobId: job.id });
		const { w, events, waits } = worker(callerApi(vol.caller), {
			jobs: [job.id],
			sleep: async (ms) => {
				waits.push(ms);
				if (waits.length === 3) await mod.caller.training.resume({ jobId: job.id });
			}
		});
		expect(await w.run()).toEqual({ units: 2, accepted: 2, rejected: 0, reason: 'jobs_over' });
		expect(waits).toEqual([1000, 2000, 3000]);
		expect(events.map((e) => e.event)).toEqual(['waiting', 'waiting', 'waiting', 'lease', 'step', 'submitted', 'lease', 'step', 'submitted', 'job_over', 'stopped']);
		expect(events[0]).toMatchObject({ reason: 'paused', message: 'job "loop" is paused', retryInSeconds: 1 });
		expect(events.find((e) => e.event === 'submitted')).toMatchObject({ status: 'accepted', roundClosed: true, round: 0 });
		expect(events.at(-2)).toEqual({ event: 'job_over', jobId: job.id, state: 'finished' });
	});

	it('waits when every unit is taken; drops a unit whose lease was lost; --once stops after one unit', async () => {
		const mod = await h.user('mod', 'moderator');
		const [a, b] = await Promise.all([h.user('ann'), h.user('ben')]);
		const job = await mod.caller.training.create(jobInput({ rounds: 2 }));
		const held = await a.caller.training.lease({ workerId: 'a', jobId: job.id });
		const { w, events, waits } = worker(callerApi(b.caller), {
			jobs: [job.id],
			sleep: async (ms) => {
				waits.push(ms);
				h.clock.ms += 3600_000; // the held lease expires (the round's deadline is further off)
			}
		});
		expect(await w.run({ once: true })).toMatchObject({ units: 1, accepted: 1, reason: 'once' });
		expect(events[0]).toMatchObject({ event: 'waiting', reason: 'no_work' });
		expect(waits).toEqual([1000]);
		// ann's lease went to ben: her submission is refused as lost, and a worker takes that in stride.
		const api = callerApi(a.caller);
		const lost = worker({ ...api, lease: async () => held });
		expect(await lost.w.workOnce()).toMatchObject({ kind: 'lease_lost' });
		expect(lost.events.map((e) => e.event)).toEqual(['lease', 'step', 'lease_lost']);
	});

	it('says what went wrong in words and tries again; stops for good on what waiting cannot fix', async () => {
		const mod = await h.user('mod', 'moderator');
		const vol = await h.user('val');
		const job = await mod.caller.training.create(jobInput());
		const api = callerApi(vol.caller);
		let failures = 1;
		const flaky = worker({
			...api,
			lease: async (input) => {
				if (failures-- > 0) throw new TypeError('fetch failed');
				return api.lease(input);
			}
		}, { jobs: [job.id] });
		expect(await flaky.w.run({ once: true })).toMatchObject({ accepted: 1 });
		expect(flaky.events[0]).toEqual({ event: 'waiting', reason: 'error', message: 'something went wrong: fetch failed', retryInSeconds: 1 });

		const anonymous = worker(callerApi(await h.caller()));
		await expect(anonymous.w.run()).rejects.toThrow(/sign in again \(--session COOKIE/);
		const other = await mod.caller.training.create(jobInput({ name: 'other' }));
		const stranger = worker({ ...api, lease: async (input) => ({ ...(await api.lease(input)), baseModel: 'llama-9000' }) }, { jobs: [other.id] });
		await expect(stranger.w.run()).rejects.toThrow(WorkerFatal);
		const missing = worker(api, { jobs: ['00000000-0000-4000-8000-000000000000'] });
		await expect(missing.w.run()).rejects.toThrow(/there is no training job 00000000-0000-4000-8000-000000000000/);
		const cancelled = await mod.caller.training.create(jobInput({ name: 'cancelled' }));
		await mod.caller.training.cancel({ jobId: cancelled.id });
		expect(await worker(api, { jobs: [cancelled.id] }).w.run()).toMatchObject({ units: 0, reason: 'jobs_over' });

		// Stopping: an aborted signal stops before any work; stopAfterUnit after the unit in hand.
		const stopped = new AbortController();
		stopped.abort();
		expect(await worker(api, { jobs: [other.id] }).w.run({ signal: stopped.signal })).toMatchObject({ units: 0, reason: 'stopped' });
		expect(await worker(api, { jobs: [other.id] }).w.run({ stopAfterUnit: () => true })).toMatchObject({ units: 1, reason: 'stopped' });
		expect((await mod.caller.training.get({ jobId: job.id })).job.state).toBe('finished');
	});
});
