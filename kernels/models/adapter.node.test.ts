/**
 * PEFT LoRA adapters merged at load (adapter.ts), through the CLI's path (`generate --adapter`):
 * the logits equal the float64 reference (llama.ref.ts) run on the base weights plus
 * (alpha / r)·B·A computed here in float64, within llama.node.test.ts's tolerance for f32 weights
 * (1e-3 · max|logit|); a zero adapter (B = 0) leaves the logits bit for bit; q8 quantizes the
 * merged weights; adapters that do not fit the model fail naming the file and tensor.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGenerateArgs, runGenerate } from '../../server/cli/commands/generate.js';
import type { GpuContext } from '../gpu/context.js';
import { quantizeQ8 } from '../quant/q8.js';
import { testContext } from '../testing/context.js';
import { applyAdapter } from './adapter.js';
import { LlamaRef } from './llama.ref.js';
import { openModel, readWeight } from './model-files.js';
import { writeSafetensors } from './safetensors.js';
import { folderSource } from './source-node.js';
import { randomModel, writeHfFolder, type Fixture, type FixtureSpec } from './testing/fixtures.js';
import { refWeights } from './testing/ref-weights.js';
import { planTensors } from './weights.js';

const SPEC: FixtureSpec = { arch: 'llama', vocab: 211, hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, tie: false, seed: 11 };
const PROMPT = [5, 17, 42, 100, 7, 150, 3, 99];
const STEPS = 12;
const R = 4;
const ALPHA = 8;
const MODULES = { q_proj: 'self_attn', k_proj: 'self_attn', v_proj: 'self_attn', o_proj: 'self_attn', gate_proj: 'mlp', up_proj: 'mlp', down_proj: 'mlp' } as const;

let ctx: GpuContext;
let dir: string;
let base: Fixture;
const modelDir = () => join(dir, 'model');

beforeAll(async () => {
	ctx = await testContext();
	dir = await mkdtemp(join(tmpdir(), 'oasis-adapter-'));
	base = randomModel(SPEC);
	await writeHfFolder(modelDir(), base);
});
afterAll(async () => {
	ctx?.destroy();
	await rm(dir, { recursive: true, force: true });
});

/** A deterministic pseudo-random vector in [-scale, scale). */
function values(n: number, seed: number, scale: number): Float32Array {
	let s = seed >>> 0;
	return Float32Array.from({ length: n }, () => {
		s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
		return ((s / 2 ** 32) * 2 - 1) * scale;
	});
}

interface Lora {
	base: string;
	a: Float32Array;
	b: Float32Array;
	shape: [number, number];
}

/** Writes a PEFT adapter folder for `modules` of every layer; `zeroB` makes B zero. */
async function writeAdapter(name: string, modules: (keyof typeof MODULES)[], o: { zeroB?: boolean; reshape?: Record<string, number[]>; config?: Record<string, unknown> } = {}): Promise<{ path: string; loras: Lora[] }> {
	const path = join(dir, name);
	await mkdir(path, { recursive: true });
	const loras: Lora[] = [];
	const tensors: Parameters<typeof writeSafetensors>[0] = [];
	let seed = 1;
	for (let i = 0; i < SPEC.layers; i++) {
		for (const m of modules) {
			const baseName = `model.layers.${i}.${MODULES[m]}.${m}.weight`;
			const [out, inp] = base.weights.get(baseName)!.shape as [number, number];
			const a = values(R * inp, seed++, 1 / Math.sqrt(inp));
			const b = o.zeroB ? new Float32Array(out * R) : values(out * R, seed++, 0.2);
			loras.push({ base: baseName, a, b, shape: [out, inp] });
			const stem = `base_model.model.model.layers.${i}.${MODULES[m]}.${m}`;
			const bytes = (x: Float32Array) => new Uint8Array(x.buffer.slice(0));
			// A reshaped tensor (a wrong adapter) gets data of its own shape.
			const put = (n: string, shape: number[], x: Float32Array) => {
				const s = o.reshape?.[n] ?? shape;
				tensors.push({ name: n, dtype: 'F32', shape: s, data: bytes(o.reshape?.[n] ? values(s[0]! * s[1]!, seed++, 0.1) : x) });
			};
			put(`${stem}.lora_A.weight`, [R, inp], a);
			put(`${stem}.lora_B.weight`, [out, R], b);
		}
	}
	await writeFile(join(path, 'adapter_model.safetensors'), writeSafetensors(tensors));
	const config = { peft_type: 'LORA', task_type: 'CAUSAL_LM', r: R, lora_alpha: ALPHA, lora_dropout: 0, bias: 'none', fan_in_fan_out: false, inference_mode: true, target_modules: modules, ...o.config };
	await writeFile(join(path, 'adapter_config.json'), JSON.stringify(config));
	return { path, loras };
}

/** W + (alpha / r)·B·A in float64, rounded to f32 once (as the GPU sees f32 weights). */
function mergedRef(w: Float32Array, l: Lora): Float32Array {
	const [out, inp] = l.shape;
	const s = ALPHA / R;
	const m = new Float32Array(out * inp);
	for (let o = 0; o < out; o++) {
		for (let i = 0; i < inp; i++) {
			let d = 0;
			for (let k = 0; k < R; k++) d += l.b[o * R + k]! * l.a[k * inp + i]!;
			m[o * inp + i] = w[o * inp + i]! + s * d;
		}
	}
	return m;
}

const cli = (adapter?: string) =>
	runGenerate(parseGenerateArgs(['--model', modelDir(), ...(adapter ? ['--adapter', adapter] : []), '--ids', PROMPT.join(','), '--max-tokens', String(STEPS), '--temperature', '0', '--json', '--logits']), ctx);

describe('PEFT LoRA adapters merged at load', () => {
	it('generate --adapter: logits equal the float64 reference on base + (alpha/r)·B·A', async () => {
		const { path, loras } = await writeAdapter('all', ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
		const files = await openModel(folderSource(modelDir()));
		const weights = await refWeights(files, 'none', ctx.features.f16);
		for (const l of loras) weights.set(l.base, mergedRef(weights.get(l.base)!, l));
		const want = new LlamaRef(files.config, weights).forward(PROMPT);
		const plain = new LlamaRef(files.config, await refWeights(files, 'none', ctx.features.f16)).forward(PROMPT);

		const json = await cli(path);
		let maxRef = 0;
		let maxErr = 0;
		let moved = 0;
		for (let j = 0; j < want.length; j++) {
			maxRef = Math.max(maxRef, Math.abs(want[j]!));
			maxErr = Math.max(maxErr, Math.abs(json.logits![j]! - want[j]!));
			moved = Math.max(moved, Math.abs(want[j]! - plain[j]!));
		}
		expect(maxErr / maxRef).toBeLessThanOrEqual(1e-3);
		// The adapter changes the model far beyond that tolerance, so the check has teeth.
		expect(moved / maxRef).toBeGreaterThan(0.05);
		console.log(`adapter merge: worst logit error ${(maxErr / maxRef).toExponential(2)} of max|logit|; the adapter moves logits by ${(moved / maxRef).toFixed(3)}`);
	});

	it('a zero adapter (B = 0) leaves the logits exactly as the base model’s', async () => {
		const { path } = await writeAdapter('zero', ['q_proj', 'v_proj', 'down_proj'], { zeroB: true });
		const plain = await cli();
		const zero = await cli(path);
		expect(zero.ids).toEqual(plain.ids);
		expect(zero.logits).toEqual(plain.logits);
	});

	it('q8 quantizes the merged weights (and untouched tensors read as before)', async () => {
		const { path, loras } = await writeAdapter('q8', ['v_proj']);
		const files = await openModel(folderSource(modelDir()), null, { adapter: folderSource(path) });
		const plan = planTensors(files.config, files.index, { quant: 'q8', hasF16: false, limits: ctx.limits, label: 'test' });
		const l = loras[0]!;
		const v = plan.find((t) => t.name === l.base)!;
		const got = await readWeight(files, v, null);
		expect(got.format).toBe('q8');
		expect(got.data).toEqual(quantizeQ8(mergedRef(base.weights.get(l.base)!.data, l), l.shape[0], l.shape[1]));
		const q = plan.find((t) => t.name === 'model.layers.0.self_attn.q_proj.weight')!;
		expect((await readWeight(files, q, null)).data).toEqual(quantizeQ8(base.weights.get(q.name)!.data, q.shape[0]!, q.shape[1]!));
	});

	it('an adapter that does not fit fails naming the file, the tensor and what was expected', async () => {
		const src = folderSource(modelDir());
		const files = await openModel(src);
		const wrong = await writeAdapter('wrong-shape', ['q_proj', 'k_proj'], { reshape: { 'base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight': [SPEC.hidden, R] } });
		await expect(applyAdapter(files, folderSource(wrong.path))).rejects.toThrow(
			/adapter_model\.safetensors: tensor base_model\.model\.model\.layers\.1\.self_attn\.k_proj\.lora_B\.weight has shape \[64,4\], expected \[32,4\].*is the adapter for this base model\?/
		);
		const badRank = await writeAdapter('bad-rank', ['q_proj'], { config: { r: 8 } });
		await expect(openModel(src, null, { adapter: folderSource(badRank.path) })).rejects.toThrow(/lora_A\.weight has shape \[4,64\], expected \[8,64\] \(r = 8/);
		const dora = await writeAdapter('dora', ['q_proj'], { config: { use_dora: true } });
		await expect(openModel(src, null, { adapter: folderSource(dora.path) })).rejects.toThrow(/adapter_config\.json: use_dora: DoRA adapters/);
		const unlisted = await writeAdapter('unlisted', ['q_proj', 'v_proj'], { config: { target_modules: ['q_proj'] } });
		await expect(openModel(src, null, { adapter: folderSource(unlisted.path) })).rejects.toThrow(/adapts v_proj, which adapter_config\.json's target_modules \(q_proj\) does not list/);
		await expect(openModel(src, null, { adapter: folderSource(join(dir, 'nowhere')) })).rejects.toThrow(/adapter_config\.json not found/);
		// Through the CLI too: the error reaches the user as it is.
		await expect(cli(wrong.path)).rejects.toThrow(/k_proj\.lora_B\.weight has shape \[64,4\], expected \[32,4\]/);
	});
});
