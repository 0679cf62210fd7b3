/**
 * The generated ONNX model (public/models/oasis-tiny-onnx) against the float64 reference
 * (llama.ref.ts) on the same weights as public/models/oasis-tiny:
 * - the generator is reproducible (a fresh run gives the committed bytes);
 * - in onnxruntime-node, prefill then one-token decode steps with the KV cache fed back give
 *   logits within 1e-4 · max|ref| of the reference, and the greedy tokens agree (fp32 against the
 *   f32 weights, q4 against the weights MatMulNBits dequantizes to);
 * - Transformers.js (its Node build, over onnxruntime-node) loads the folder as a `llama`
 *   AutoModelForCausalLM and its greedy `generate` gives the reference's tokens, so the inputs,
 *   outputs and file names are the ones it expects.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '../config.js';
import { LlamaRef, top2, type RefWeights } from '../llama.ref.js';
import { openModel, type ModelFiles } from '../model-files.js';
import { folderSource } from '../source-node.js';
import { refWeights } from '../testing/ref-weights.js';
import { LM_HEAD } from '../weights.js';
import { buildLlamaOnnx, type OnnxWeightFormat } from './llama-graph.js';
import { GRAPH_VERSION, ONNX_FILES, makeTinyOnnx } from './make-tiny-onnx.js';
import { encodeModel } from './proto.js';

const SOURCE = 'public/models/oasis-tiny';
const OUT = 'public/models/oasis-tiny-onnx';
const STEPS = 12;

type Ort = typeof import('onnxruntime-node');
let ort: Ort;
let files: ModelFiles;
let f32: RefWeights;
let dir: string;
let prompt: number[];

beforeAll(async () => {
	ort = await import('onnxruntime-node');
	files = await openModel(folderSource(SOURCE));
	f32 = await refWeights(files, 'none');
	prompt = files.tokenizer!.encodeChat([{ role: 'user', content: 'Hello! What can you do?' }]);
	dir = await mkdtemp(join(tmpdir(), 'oasis-onnx-'));
});
afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

async function listFiles(root: string, sub = ''): Promise<string[]> {
	const out: string[] = [];
	for (const e of await readdir(join(root, sub), { withFileTypes: true })) {
		const p = sub ? `${sub}/${e.name}` : e.name;
		if (e.isDirectory()) out.push(...(await listFiles(root, p)));
		else out.push(p);
	}
	return out.sort();
}

/** Runs the session: prefill `prompt`, then `steps` greedy single-token steps with the cache fed back. */
async function ortGreedy(session: import('onnxruntime-node').InferenceSession, ids: number[], steps: number): Promise<{ ids: number[]; logits: Float32Array[] }> {
	const { numLayers, numKvHeads, headDim, vocabSize } = files.config;
	const i64 = (v: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(v.map(BigInt)), dims);
	let past: Record<string, import('onnxruntime-node').Tensor> = {};
	for (let l = 0; l < numLayers; l++) {
		for (const kv of ['key', 'value']) past[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, numKvHeads, 0, headDim]);
	}
	const out: number[] = [];
	const logits: Float32Array[] = [];
	let input = ids;
	let pos = 0;
	for (let s = 0; s < steps; s++) {
		const r = await session.run({
			input_ids: i64(input, [1, input.length]),
			attention_mask: i64(Array<number>(pos + input.length).fill(1), [1, pos + input.length]),
			position_ids: i64(input.map((_, i) => pos + i), [1, input.length]),
			...past
		});
		expect(r.logits.dims).toEqual([1, input.length, vocabSize]);
		const last = (r.logits.data as Float32Array).slice((input.length - 1) * vocabSize, input.length * vocabSize);
		logits.push(last);
		out.push(top2(last).best);
		pos += input.length;
		past = {};
		for (let l = 0; l < numLayers; l++) {
			for (const kv of ['key', 'value']) {
				const t = r[`present.${l}.${kv}`];
				expect(t.dims).toEqual([1, numKvHeads, pos, headDim]);
				past[`past_key_values.${l}.${kv}`] = t;
			}
		}
		input = [out.at(-1)!];
	}
	return { ids: out, logits };
}

/** The reference on `weights`; the LM head is `lm_head.weight` when given (q4 quantizes its own copy of a tied embedding). */
function reference(weights: RefWeights, config: ModelConfig = files.config): LlamaRef {
	return new LlamaRef({ ...config, tieEmbeddings: !weights.has(LM_HEAD) }, weights);
}

/** Steps the reference along `ids` (the tokens the model chose) and compares each step's logits. */
function compare(weights: RefWeights, got: { ids: number[]; logits: Float32Array[] }, config?: ModelConfig) {
	const ref = reference(weights, config);
	let want = ref.forward(prompt);
	let worst = 0;
	let agree = 0;
	let decided = 0;
	for (let i = 0; i < got.ids.length; i++) {
		let maxRef = 0;
		let maxErr = 0;
		want.forEach((w, j) => {
			maxRef = Math.max(maxRef, Math.abs(w));
			maxErr = Math.max(maxErr, Math.abs(got.logits[i][j] - w));
		});
		worst = Math.max(worst, maxErr / maxRef);
		const { best, gap } = top2(want);
		if (gap >= 1e-3) {
			decided++;
			if (got.ids[i] === best) agree++;
		}
		want = ref.forwardOne(got.ids[i]);
	}
	return { worst, agree, decided };
}

describe('tiny ONNX model', () => {
	it('the generator writes the committed files byte for byte', async () => {
		await makeTinyOnnx(SOURCE, dir);
		const names = await listFiles(dir);
		expect(names).toEqual(await listFiles(OUT));
		expect(names).toContain(ONNX_FILES.fp32);
		expect(names).toContain(ONNX_FILES.q4);
		for (const n of names) expect(Buffer.compare(await readFile(join(dir, n)), await readFile(join(OUT, n))), n).toBe(0);
	});

	for (const format of ['fp32', 'q4'] as OnnxWeightFormat[]) {
		it(`${format}: onnxruntime-node matches the float64 reference with the KV cache`, async () => {
			const session = await ort.InferenceSession.create(join(OUT, ONNX_FILES[format]));
			const got = await ortGreedy(session, prompt, STEPS);
			await session.release();
			const { effective } = buildLlamaOnnx(files.config, f32, format, GRAPH_VERSION);
			const own = compare(effective, got);
			console.log(`${format}: max|onnx − ref| / max|ref| = ${own.worst.toExponential(2)}; greedy ${own.agree}/${own.decided}`);
			expect(own.worst).toBeLessThan(1e-4);
			expect(own.agree).toBe(own.decided);
			expect(own.decided).toBeGreaterThan(STEPS / 2);
			if (format === 'q4') {
				// Quantization error against the f32 weights: reported, loosely bounded.
				const vsF32 = compare(f32, got);
				console.log(`q4 vs f32 reference: max rel logit diff ${vsF32.worst.toExponential(2)}; greedy ${vsF32.agree}/${vsF32.decided}`);
				expect(vsF32.worst).toBeLessThan(0.5);
			}
		});
	}

	it('the fused variant (GroupQueryAttention) computes the same logits', async () => {
		const { model, effective } = buildLlamaOnnx(files.config, f32, 'fp32', GRAPH_VERSION, 'gqa');
		expect(model.nodes.filter((n) => n.op === 'GroupQueryAttention')).toHaveLength(files.config.numLayers);
		const session = await ort.InferenceSession.create(encodeModel(model));
		const got = await ortGreedy(session, prompt, 4);
		await session.release();
		const r = compare(effective, got);
		expect(r.worst).toBeLessThan(1e-4);
		expect(r.agree).toBe(r.decided);
	});

	it('YaRN rope scaling (frequencies and the cos/sin factor) in both attention variants', async () => {
		const config: ModelConfig = {
			...files.config,
			ropeScaling: { type: 'yarn', factor: 4, originalMaxPositions: 8, betaFast: 32, betaSlow: 1, attentionFactor: 1 + 0.1 * Math.log(4), truncate: true }
		};
		for (const attention of ['ops', 'gqa'] as const) {
			const { model, effective } = buildLlamaOnnx(config, f32, 'fp32', GRAPH_VERSION, attention);
			const session = await ort.InferenceSession.create(encodeModel(model));
			const got = await ortGreedy(session, prompt, 3);
			await session.release();
			const r = compare(effective, got, config);
			expect(r.worst, attention).toBeLessThan(1e-4);
			// The plain-RoPE reference disagrees: the scaling is really in the graph.
			expect(compare(effective, got).worst, attention).toBeGreaterThan(1e-3);
		}
	});

	it('Transformers.js loads the folder and generates the reference tokens greedily', async () => {
		const tf = await import('@huggingface/transformers');
		tf.env.allowRemoteModels = false;
		tf.env.allowLocalModels = true;
		tf.env.localModelPath = 'public/models/';
		tf.env.useFSCache = false;
		const tokenizer = await tf.AutoTokenizer.from_pretrained('oasis-tiny-onnx');
		const text = tokenizer.apply_chat_template([{ role: 'user', content: 'Hello! What can you do?' }], { tokenize: false, add_generation_prompt: true }) as string;
		const inputs = tokenizer(text, { add_special_tokens: false });
		expect(Array.from(inputs.input_ids.data as BigInt64Array, Number)).toEqual(prompt);
		for (const dtype of ['fp32', 'q4'] as const) {
			const model = await tf.AutoModelForCausalLM.from_pretrained('oasis-tiny-onnx', { dtype, device: 'cpu' });
			const out = (await model.generate({ ...inputs, max_new_tokens: STEPS, do_sample: false, eos_token_id: [] })) as import('@huggingface/transformers').Tensor;
			const ids = Array.from(out.data as BigInt64Array, Number).slice(prompt.length);
			await model.dispose();
			const { effective } = buildLlamaOnnx(files.config, f32, dtype, GRAPH_VERSION);
			const ref = reference(effective);
			let want = ref.forward(prompt);
			for (const id of ids) {
				const { best, gap } = top2(want);
				if (gap >= 1e-3) expect(id).toBe(best);
				want = ref.forwardOne(id);
			}
			expect(ids).toHaveLength(STEPS);
		}
	});
});
