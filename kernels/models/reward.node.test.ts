/**
 * Reward models outside training: the bundled tiny model (public/models/oasis-tiny, its ChatML
 * tokenizer) with a rank-4 LoRA on q, v and down and a reward head, set to pseudo-random values
 * in the trainer, exported as PEFT SEQ_CLS files (server/training/peft.ts `peftFiles`), loaded
 * back through `openModel(…, { adapter })` and scored by `LlamaModel.score` on the GPU. The score
 * must equal (a) the float64 reference (llama-train.ref.ts `rewardModelRef`, LoRA unmerged) and
 * (b) `LlamaTrainer.evaluateReward` on the same vector, both within 1e-4 relative; the input is
 * exactly what reward training tokenizes (server/training/preference.ts); a score leaves a later
 * generate as it was; wrong adapters fail naming the tensor.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScoreArgs, runScore } from '../../server/cli/commands/score.js';
import { peftFiles, peftLayout } from '../../server/training/peft.js';
import { tokenizePair } from '../../server/training/preference.js';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { LlamaTrainer } from '../train/llama-train.js';
import { REWARD_HEAD, rewardModelRef } from '../train/llama-train.ref.js';
import { packBatch, preferenceAsBatch, type PreferenceBatch } from '../train/train-batch.js';
import { readAdapter } from './adapter.js';
import { LlamaModel } from './llama.js';
import { openModel, type ModelFiles } from './model-files.js';
import { rewardInput } from './reward.js';
import { writeSafetensors } from './safetensors.js';
import { folderSource } from './source-node.js';
import { refWeights } from './testing/ref-weights.js';

const TINY = new URL('../../public/models/oasis-tiny', import.meta.url).pathname;
const MODE = { kind: 'lora' as const, rank: 4, alpha: 8, targets: ['q', 'v', 'down'] };
const JOB = { baseModel: 'oasis-tiny', mode: MODE, objective: 'reward' as const };
const GOOD = [
	{ role: 'user' as const, content: 'What is the capital of France?' },
	{ role: 'assistant' as const, content: 'The capital of France is Paris, on the Seine.' }
];
const BAD = [GOOD[0]!, { role: 'assistant' as const, content: 'I do not know, maybe Lyon.' }];

let ctx: GpuContext;
let dir: string;
let base: ModelFiles;
let trainer: LlamaTrainer;
let params: Float32Array;
let adapterDir: string;

/** A deterministic pseudo-random vector in [-scale, scale). */
function values(n: number, seed: number, scale: number): Float32Array {
	let s = seed >>> 0;
	return Float32Array.from({ length: n }, () => {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		return ((s / 2 ** 32) * 2 - 1) * scale;
	});
}

async function writeFolder(name: string, files: Record<string, Uint8Array | string>): Promise<string> {
	const path = join(dir, name);
	await mkdir(path, { recursive: true });
	for (const [f, data] of Object.entries(files)) await writeFile(join(path, f), data);
	return path;
}

function relErr(got: number, want: number): number {
	return Math.abs(got - want) / Math.max(Math.abs(want), 1e-6);
}

beforeAll(async () => {
	ctx = await testContext();
	dir = await mkdtemp(join(tmpdir(), 'oasis-reward-'));
	base = await openModel(folderSource(TINY));
	trainer = await LlamaTrainer.create(ctx, base, { rank: MODE.rank, alpha: MODE.alpha, targets: ['q', 'v', 'down'], rewardHead: true, maxSeq: 128, seed: 3 });
	// A trained-looking vector: B no longer zero, so the LoRA moves the reward.
	params = new Float32Array(trainer.parameterCount);
	for (const p of trainer.parameters()) params.set(values(p.size, p.offset + 1, p.name === REWARD_HEAD ? 0.3 : 0.08), p.offset);
	trainer.writeParameters(params);
	const files = peftFiles(base.config, JOB, params);
	adapterDir = await writeFolder('reward', files);
}, 60_000);
afterAll(async () => {
	trainer?.dispose();
	ctx?.destroy();
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reward models outside training (PEFT SEQ_CLS → LlamaModel.score)', () => {
	it('the export lays the vector out in the trainer’s parameter order, head last', () => {
		const layout = peftLayout(base.config, MODE, 'reward');
		expect(layout.map((t) => t.name.replace(/^base_model\.model\./, ''))).toEqual(trainer.parameters().map((p) => p.name));
		expect(layout.map((t) => t.offset)).toEqual(trainer.parameters().map((p) => p.offset));
		expect(layout.at(-1)).toMatchObject({ name: 'base_model.model.score.weight', shape: [1, base.config.hiddenSize] });
	});

	it('rewardInput is exactly the reward side training tokenizes, cut to its last maxTokens', () => {
		const tok = base.tokenizer!;
		const example = { kind: 'reward' as const, treeId: 't', id: 'a>b', prefix: [GOOD[0]!], chosen: GOOD[1]!.content, rejected: BAD[1]!.content, chosenRank: 0, rejectedRank: 1 };
		for (const maxTokens of [2048, 24]) {
			const pair = tokenizePair(tok, example, maxTokens);
			expect(rewardInput(tok, GOOD, maxTokens)).toEqual(Array.from(pair.chosen.tokens));
			expect(rewardInput(tok, BAD, maxTokens)).toEqual(Array.from(pair.rejected.tokens));
		}
		const full = rewardInput(tok, GOOD);
		expect(full.length).toBeGreaterThan(24);
		expect(rewardInput(tok, GOOD, 24)).toEqual(full.slice(-24));
		// The reply's <|im_end|> and the template's newline end the sequence: the reward is read there.
		expect(full.at(-2)).toBe(tok.tokenToId('<|im_end|>'));
		expect(tok.decode(full.slice(-1))).toBe('\n');
		expect(() => rewardInput(tok, [GOOD[0]!])).toThrow(/the last message must be the assistant reply/);
		expect(() => rewardInput(tok, GOOD, 4)).toThrow(/at least 8 tokens/);
	});

	it('export → load → score equals the float64 reference and the trainer’s evaluateReward; generate is undisturbed', async () => {
		const tok = base.tokenizer!;
		const seqs = [rewardInput(tok, GOOD), rewardInput(tok, BAD)];
		const pairs: PreferenceBatch = { chosen: [Int32Array.from(seqs[0]!)], rejected: [Int32Array.from(seqs[1]!)] };
		const trained = (await trainer.evaluateReward(pairs)).scores;

		const w = new Map<string, Float64Array>();
		for (const [k, v] of await refWeights(base, 'none', false)) w.set(k, Float64Array.from(v));
		for (const p of trainer.parameters()) w.set(p.name, Float64Array.from(params.subarray(p.offset, p.offset + p.size)));
		const packed = packBatch(preferenceAsBatch(pairs, false), base.config.vocabSize, 128, { requireTargets: false });
		const ref = rewardModelRef(base.config, w, packed, { targets: ['q', 'v', 'down'], rank: MODE.rank, scale: MODE.alpha / MODE.rank }, 0).rewards;
		// Without the LoRA the reference scores differently: the adapter matters to the check.
		const plain = rewardModelRef(base.config, w, packed, null, 0).rewards;

		const files = await openModel(folderSource(TINY), null, { adapter: folderSource(adapterDir) });
		const model = await LlamaModel.load(ctx, files, { maxSeq: 128 });
		try {
			expect(model.canScore).toBe(true);
			const prompt = tok.encodeChat([GOOD[0]!]);
			const before = await model.generate(prompt, { maxTokens: 4, sampling: { temperature: 0 }, returnFirstLogits: true });
			const scores = [await model.score(seqs[0]!), await model.score(seqs[1]!)];
			const after = await model.generate(prompt, { maxTokens: 4, sampling: { temperature: 0 }, returnFirstLogits: true });
			expect(after.ids).toEqual(before.ids);
			expect(after.firstLogits).toEqual(before.firstLogits);
			// Scoring again gives the same number (nothing left over from generate either).
			expect(await model.score(seqs[0]!)).toBe(scores[0]);
			for (let i = 0; i < 2; i++) {
				expect(relErr(scores[i]!, ref[i]!), `reference, side ${i}: ${scores[i]} vs ${ref[i]}`).toBeLessThanOrEqual(1e-4);
				expect(relErr(scores[i]!, trained[i]!), `trainer, side ${i}: ${scores[i]} vs ${trained[i]}`).toBeLessThanOrEqual(1e-4);
				expect(relErr(plain[i]!, ref[i]!)).toBeGreaterThan(1e-2);
			}
			// The CLI renders and scores the same conversation.
			const cli = await runScore(parseScoreArgs(['--model', TINY, '--adapter', adapterDir, '--prompt', GOOD[0]!.content, '--reply', GOOD[1]!.content, '--json']), ctx);
			expect(cli).toEqual({ reward: scores[0], tokens: seqs[0]!.length });
			console.log(`reward: GPU ${scores.map((s) => s.toFixed(6))}, float64 ${Array.from(ref, (s) => s.toFixed(6))}, trainer ${Array.from(trained, (s) => s.toFixed(6))}`);
			await expect(model.score([base.config.vocabSize])).rejects.toThrow(/outside the vocabulary/);
		} finally {
			model.destroy();
		}
		const causal = await LlamaModel.load(ctx, base, { maxSeq: 32 });
		try {
			expect(causal.canScore).toBe(false);
			await expect(causal.score(seqs[0]!)).rejects.toThrow(/no reward head; load it with a sequence-classification \(SEQ_CLS\) adapter/);
		} finally {
			causal.destroy();
		}
	}, 120_000);

	it('score CLI: required options and a causal-LM adapter are refused in words', async () => {
		const args = ['--model', TINY, '--adapter', adapterDir, '--prompt', 'Hi', '--reply', 'Hello'];
		expect(parseScoreArgs([...args, '--max-tokens', '64'])).toMatchObject({ maxTokens: 64, json: false, quant: 'none' });
		expect(() => parseScoreArgs(args.slice(2))).toThrow(/--model PATH is required/);
		expect(() => parseScoreArgs(args.slice(0, 6))).toThrow(/--reply TEXT is required/);
		expect(() => parseScoreArgs([...args, '--max-tokens', '3'])).toThrow(/--max-tokens must be a whole number of at least 8/);
		const sft = peftFiles(base.config, { ...JOB, objective: 'sft' }, params.subarray(0, params.length - base.config.hiddenSize));
		const chat = await writeFolder('chat-adapter', sft);
		await expect(runScore(parseScoreArgs(['--model', TINY, '--adapter', chat, '--prompt', 'Hi', '--reply', 'Hello']), ctx)).rejects.toThrow(/is a causal-LM adapter \(no score head\); score needs a reward model's SEQ_CLS adapter/);
	});

	it('a wrong SEQ_CLS adapter fails naming the tensor and what was expected, before any GPU work', async () => {
		const reward = peftFiles(base.config, JOB, params);
		const sft = peftFiles(base.config, { ...JOB, objective: 'sft' }, params.subarray(0, params.length - base.config.hiddenSize));
		const config = (over: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(new TextDecoder().decode(reward['adapter_config.json'])), ...over });
		expect(JSON.parse(new TextDecoder().decode(reward['adapter_config.json']))).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['score'], peft_type: 'LORA', r: 4, lora_alpha: 8 });

		const ok = await readAdapter(base, folderSource(adapterDir));
		expect(ok.taskType).toBe('SEQ_CLS');
		expect(ok.scoreHead).toEqual(params.subarray(params.length - base.config.hiddenSize));

		const noHead = await writeFolder('no-head', { 'adapter_model.safetensors': sft['adapter_model.safetensors'], 'adapter_config.json': config({}) });
		await expect(readAdapter(base, folderSource(noHead))).rejects.toThrow(/adapter_model\.safetensors: base_model\.model\.score\.weight is missing; adapter_config\.json says task_type "SEQ_CLS"/);

		const causal = await writeFolder('causal-with-head', { 'adapter_model.safetensors': reward['adapter_model.safetensors'], 'adapter_config.json': config({ task_type: 'CAUSAL_LM', modules_to_save: null }) });
		await expect(readAdapter(base, folderSource(causal))).rejects.toThrow(/tensor base_model\.model\.score\.weight is a sequence-classification head, but adapter_config\.json has task_type "CAUSAL_LM"/);

		const D = base.config.hiddenSize;
		const q = (x: string) => `base_model.model.model.layers.0.self_attn.q_proj.lora_${x}.weight`;
		const f32 = (n: number) => new Uint8Array(values(n, 9, 0.1).buffer);
		const short = writeSafetensors([
			{ name: q('A'), dtype: 'F32', shape: [4, D], data: f32(4 * D) },
			{ name: q('B'), dtype: 'F32', shape: [D, 4], data: f32(4 * D) },
			{ name: 'base_model.model.score.weight', dtype: 'F32', shape: [1, D / 2], data: f32(D / 2) }
		]);
		const wrong = await writeFolder('short-head', { 'adapter_model.safetensors': short, 'adapter_config.json': config({ target_modules: ['q_proj'] }) });
		await expect(openModel(folderSource(TINY), null, { adapter: folderSource(wrong) })).rejects.toThrow(
			new RegExp(`adapter_model\\.safetensors: tensor base_model\\.model\\.score\\.weight has shape \\[1,${D / 2}\\], expected \\[1,${D}\\]`)
		);
	});
});
