/**
 * PEFT export of a LoRA job: the bundled tiny model's recipe (random weights, the bundled
 * tokenizer and chat template) trains a rank-2 LoRA on q, v and down for two DiLoCo rounds
 * (one real worker on WebGPU: Dawn, lavapipe on CI); both adapter files are then fetched through
 * the HTTP handler, the safetensors header is parsed here byte by byte, and every tensor must
 * equal its slice of the version vector read straight from the blob store. A reward job (one
 * round) exports as a SEQ_CLS adapter whose head is the vector's tail, is listed with objective
 * 'reward', and scores on the GPU (LlamaModel.score) as the trainer scores that version.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { applyAdapter, readAdapter } from '../../kernels/models/adapter.js';
import { LlamaModel } from '../../kernels/models/llama.js';
import { rewardInput } from '../../kernels/models/reward.js';
import { LlamaTrainer } from '../../kernels/train/llama-train.js';
import { TINY_SPEC } from '../../kernels/models/make-tiny-model.js';
import { blobSource } from '../../kernels/models/source.js';
import { FsBlobStore } from '../exchange/blob-store.js';
import { importOasst } from '../exchange/import.js';
import { createSnapshot, type SnapshotInfo } from '../exchange/snapshot.js';
import { describeEachDialect } from '../testing/dialects.js';
import { type Harness, harness } from '../testing/harness.js';
import { clearTrainingCaches, TrainingManager } from './manager.js';
import { adapterFileResponse, clearPeftCache } from './peft.js';
import { builtinModels, setTrainingRuntime, trainingRuntime } from './runtime.js';
import { callerApi } from './worker/api.js';
import { LlamaLocalTrainer } from './worker/llama.js';
import { TrainingWorker } from './worker/loop.js';
import { TINY_MODEL_ID, useTinyLlamaModel } from './testing/tiny-llama.js';

const EN_100 = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
const MODEL_ID = TINY_MODEL_ID;

const tiny = useTinyLlamaModel('oasis-peft-', 1024);
const { dir } = tiny;

/** An independent safetensors reader: the 8-byte length, the JSON header, the data offsets. */
function parseSafetensors(bytes: Uint8Array): Map<string, { dtype: string; shape: number[]; values: Float32Array }> {
	const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const len = Number(dv.getBigUint64(0, true));
	const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
	const out = new Map<string, { dtype: string; shape: number[]; values: Float32Array }>();
	let end = 0;
	for (const [name, e] of Object.entries(header)) {
		if (name === '__metadata__') continue;
		const [s, t] = e.data_offsets;
		const values = new Float32Array((t - s) / 4);
		for (let i = 0; i < values.length; i++) values[i] = dv.getFloat32(8 + len + s + i * 4, true);
		out.set(name, { dtype: e.dtype, shape: e.shape, values });
		end = Math.max(end, t);
	}
	expect(8 + len + end).toBe(bytes.byteLength);
	return out;
}

describeEachDialect('PEFT export of a LoRA job (oasis-tiny on WebGPU)', (handle, dialect) => {
	let snapshot: SnapshotInfo;
	let h: Harness;
	const store = new FsBlobStore(join(dir, dialect, 'training'));

	beforeAll(async () => {
		setTrainingRuntime({ store, snapshots: new FsBlobStore(join(dir, dialect, 'snapshots')), models: new Map([...builtinModels(), [MODEL_ID, tiny.model]]) });
		clearTrainingCaches();
		clearPeftCache();
		await importOasst(handle.current.db, EN_100);
		snapshot = await createSnapshot(handle.current.db, new FsBlobStore(join(dir, dialect, 'snapshots')), { format: 'trees' });
		h = harness(handle.current);
	});

	it('two rounds of LoRA SFT, then adapter_model.safetensors and adapter_config.json equal the stored versions', async () => {
		const mod = await h.user('mod-p', 'moderator');
		const job = await mod.caller.training.create({
			name: 'peft export',
			objective: 'sft',
			baseModel: MODEL_ID,
			snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
			mode: { kind: 'lora', rank: 2, alpha: 4, targets: ['down', 'v', 'q'] },
			hyper: { lr: 1e-2, batchTokens: 120, innerSteps: 1, sequenceTokens: 48, validationExamples: 8, warmup: 2, leaseSeconds: 600, roundSeconds: 3600 },
			rounds: 2,
			workersPerRound: 1,
			seed: 7
		});
		// Before any round: nothing trained, nothing offered.
		expect(await mod.caller.training.adapterVersions({ jobId: job.id })).toEqual({ exportable: true, reason: null, versions: [] });
		const u = await h.user('vera');
		const trainer = new LlamaLocalTrainer(tiny.model.ctx, tiny.model.files);
		const worker = new TrainingWorker({ api: callerApi(u.caller), workerId: 'vera-1', trainerFor: async () => trainer, sleep: async () => undefined });
		for (let round = 0; round < 2; round++) {
			const o = await worker.workOnce();
			if (o.kind !== 'submitted') throw new Error(`${o.kind}: ${o.message}`);
			expect(o.result, JSON.stringify(o.result)).toMatchObject({ status: 'accepted', roundClosed: true });
		}
		const done = await mod.caller.training.get({ jobId: job.id });
		expect(done.job).toMatchObject({ state: 'finished', version: 2 });
		const listed = await u.caller.training.adapterVersions({ jobId: job.id });
		expect(listed.versions.map((v) => v.version)).toEqual([2, 1]);
		expect(listed.versions[0]!.validationLoss).toBe(done.rounds[1]!.validationLoss);

		const manager = new TrainingManager(h.env, trainingRuntime());
		const get = (path: string, query = '') => adapterFileResponse(manager, { url: `http://x/api/training/jobs/${job.id}/adapter/${path}${query}`, headers: new Headers() }, job.id, path);
		const T = TINY_SPEC;
		const kv = T.kvHeads * (T.hidden / T.heads);
		const expectedShapes: Record<string, [number, number]> = {
			'self_attn.q_proj.lora_A': [2, T.hidden],
			'self_attn.q_proj.lora_B': [T.hidden, 2],
			'self_attn.v_proj.lora_A': [2, T.hidden],
			'self_attn.v_proj.lora_B': [kv, 2],
			'mlp.down_proj.lora_A': [2, T.intermediate],
			'mlp.down_proj.lora_B': [T.hidden, 2]
		};
		for (const [version, path, query] of [[2, 'adapter_model.safetensors', ''], [1, 'adapter_model.safetensors', '?version=1'], [1, 'v1/adapter_model.safetensors', '']] as const) {
			const res = await get(path, query);
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toBe('application/octet-stream');
			expect(res.headers.get('content-disposition')).toBe('attachment; filename="adapter_model.safetensors"');
			expect(res.headers.get('x-oasis-adapter-version')).toBe(String(version));
			const bytes = new Uint8Array(await res.arrayBuffer());
			expect(Number(res.headers.get('content-length'))).toBe(bytes.byteLength);
			const tensors = parseSafetensors(bytes);
			// The vector as the manager stored it, read from the blob folder without our code.
			const raw = readFileSync(join(store.root, `training.${job.id}.v${version}.params.f32`));
			const stored = new Float32Array(new Uint8Array(raw).buffer);
			expect(tensors.size).toBe(T.layers * 6);
			let offset = 0;
			for (let i = 0; i < T.layers; i++) {
				for (const module of ['self_attn.q_proj', 'self_attn.v_proj', 'mlp.down_proj']) {
					for (const ab of ['lora_A', 'lora_B']) {
						const name = `base_model.model.model.layers.${i}.${module}.${ab}.weight`;
						const t = tensors.get(name);
						expect(t, name).toBeDefined();
						expect(t!.dtype).toBe('F32');
						expect(t!.shape).toEqual(expectedShapes[`${module}.${ab}`]);
						expect(t!.values).toEqual(stored.subarray(offset, offset + t!.values.length));
						offset += t!.values.length;
					}
				}
			}
			expect(offset).toBe(stored.length);
			expect(offset).toBe(done.job.parameterCount);
			// Trained: B is no longer zero (it starts at zero), and the two versions differ.
			expect(tensors.get('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight')!.values.some((x) => x !== 0)).toBe(true);
		}
		const v1 = new Uint8Array(await (await get('adapter_model.safetensors', '?version=1')).arrayBuffer());
		const v2 = new Uint8Array(await (await get('adapter_model.safetensors')).arrayBuffer());
		expect(v1).not.toEqual(v2);

		const cfg = await get('adapter_config.json');
		expect(cfg.headers.get('content-type')).toBe('application/json; charset=utf-8');
		expect(await cfg.json()).toMatchObject({
			peft_type: 'LORA',
			task_type: 'CAUSAL_LM',
			base_model_name_or_path: MODEL_ID,
			r: 2,
			lora_alpha: 4,
			lora_dropout: 0,
			target_modules: ['q_proj', 'v_proj', 'down_proj'],
			bias: 'none',
			fan_in_fan_out: false,
			inference_mode: true
		});
		// Our own loader reads the export as any PEFT adapter: 12 adapted matrices, scale alpha / r = 2.
		const read = await readAdapter(tiny.model.files, blobSource(new Map([['adapter_model.safetensors', new Blob([v2])], ['adapter_config.json', new Blob([await (await get('adapter_config.json')).arrayBuffer()])]])));
		expect(read.pairs.size).toBe(T.layers * 3);
		expect([...read.pairs.values()].every((p) => p.scale === 2 && p.rank === 2)).toBe(true);
		// The chat's list: the finished job's newest version, with the sizes and hashes the device checks.
		const adapters = await u.caller.training.adapters({ baseModel: MODEL_ID });
		const mine = adapters.find((a) => a.jobId === job.id)!;
		expect(mine).toMatchObject({ version: 2, rank: 2, alpha: 4, baseModel: MODEL_ID, objective: 'sft' });
		const { createHash } = await import('node:crypto');
		expect(mine.files.find((f) => f.path === 'adapter_model.safetensors')).toEqual({ path: 'adapter_model.safetensors', size: v2.byteLength, sha256: createHash('sha256').update(v2).digest('hex') });

		// Errors say what is wrong, with the status of their rule.
		expect((await get('adapter_model.safetensors', '?version=3')).status).toBe(404);
		expect((await get('adapter_model.safetensors', '?version=x')).status).toBe(400);
		expect((await get('model.safetensors')).status).toBe(404);
		const etag = (await get('adapter_config.json')).headers.get('etag')!;
		const again = await adapterFileResponse(manager, { url: `http://x/`, headers: new Headers({ 'if-none-match': etag }) }, job.id, 'adapter_config.json');
		expect(again.status).toBe(304);
		const full = await mod.caller.training.create({
			name: 'full',
			objective: 'sft',
			baseModel: MODEL_ID,
			snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
			mode: { kind: 'full' },
			hyper: { validationExamples: 2, sequenceTokens: 48 },
			rounds: 1,
			workersPerRound: 1,
			seed: 1
		});
		const refused = await adapterFileResponse(manager, { url: 'http://x/', headers: new Headers() }, full.id, 'adapter_config.json');
		expect(refused.status).toBe(400);
		expect(((await refused.json()) as { error: string }).error).toMatch(/only LoRA jobs have an adapter/);
		expect(await mod.caller.training.adapterVersions({ jobId: full.id })).toMatchObject({ exportable: false, versions: [] });
		await mod.caller.training.cancel({ jobId: full.id });
	}, 240_000);

	it('a reward job exports as a SEQ_CLS adapter whose GPU score equals the trainer’s score of that version', async () => {
		const mod = await h.user('mod-r', 'moderator');
		const mode = { kind: 'lora' as const, rank: 2, alpha: 4, targets: ['q', 'down'] };
		const job = await mod.caller.training.create({
			name: 'reward export',
			objective: 'reward',
			baseModel: MODEL_ID,
			snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
			mode,
			hyper: { lr: 1e-2, batchTokens: 400, innerSteps: 1, sequenceTokens: 64, validationExamples: 8, warmup: 10, lossTolerance: 10, leaseSeconds: 600, roundSeconds: 3600 },
			rounds: 1,
			workersPerRound: 1,
			seed: 3
		});
		const u = await h.user('rita');
		const worker = new TrainingWorker({ api: callerApi(u.caller), workerId: 'rita-1', jobs: [job.id], trainerFor: async () => new LlamaLocalTrainer(tiny.model.ctx, tiny.model.files), sleep: async () => undefined });
		const o = await worker.workOnce();
		if (o.kind !== 'submitted') throw new Error(`${o.kind}: ${o.message}`);
		expect(o.result).toMatchObject({ status: 'accepted', roundClosed: true });
		expect((await mod.caller.training.adapterVersions({ jobId: job.id })).versions.map((v) => v.version)).toEqual([1]);
		const listed = (await u.caller.training.adapters({ baseModel: MODEL_ID })).find((a) => a.jobId === job.id);
		expect(listed).toMatchObject({ objective: 'reward', version: 1, rank: 2, alpha: 4, sequenceTokens: 64 }); // the window the chat scores with

		const manager = new TrainingManager(h.env, trainingRuntime());
		const get = async (path: string) => new Uint8Array(await (await adapterFileResponse(manager, { url: 'http://x/', headers: new Headers() }, job.id, path)).arrayBuffer());
		const [weights, config] = [await get('adapter_model.safetensors'), await get('adapter_config.json')];
		expect(JSON.parse(new TextDecoder().decode(config))).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', modules_to_save: ['score'], r: 2, lora_alpha: 4, target_modules: ['q_proj', 'down_proj'] });
		const stored = new Float32Array(new Uint8Array(readFileSync(join(store.root, `training.${job.id}.v1.params.f32`))).buffer);
		const D = TINY_SPEC.hidden;
		const tensors = parseSafetensors(weights);
		expect(tensors.get('base_model.model.score.weight')).toEqual({ dtype: 'F32', shape: [1, D], values: stored.subarray(stored.length - D) });
		expect([...tensors.values()].reduce((n, t) => n + t.values.length, 0)).toBe(stored.length);

		// Manager version → PEFT files → applyAdapter → score, against the trainer holding that version.
		const files = await applyAdapter(tiny.model.files, blobSource(new Map([['adapter_model.safetensors', new Blob([weights])], ['adapter_config.json', new Blob([config])]])));
		expect(files.adapter.scoreHead).toEqual(stored.subarray(stored.length - D));
		const ids = rewardInput(files.tokenizer!, [{ role: 'user', content: 'Name a colour.' }, { role: 'assistant', content: 'Blue, like a clear sky.' }], 64);
		const model = await LlamaModel.load(tiny.model.ctx, files, { maxSeq: 64 });
		const trainer = await LlamaTrainer.create(tiny.model.ctx, tiny.model.files, { rank: 2, alpha: 4, targets: ['q', 'down'], rewardHead: true, maxSeq: 64 });
		try {
			trainer.writeParameters(stored);
			const want = (await trainer.evaluateReward({ chosen: [Int32Array.from(ids)], rejected: [Int32Array.from(ids)] })).scores[0]!;
			const got = await model.score(ids);
			expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-6)).toBeLessThanOrEqual(1e-4);
		} finally {
			model.destroy();
			trainer.dispose();
		}
	}, 180_000);
});
