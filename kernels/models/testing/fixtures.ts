/**
 * Test fixtures: tiny random Llama/Qwen2/Qwen3 models written as Hugging Face folders
 * (config.json + model.safetensors) or GGUF files, with the weights kept for the reference.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toF16Array } from '../../gpu/f16.js';
import { randomNormal, seededRandom } from '../random.js';
import { writeSafetensors } from '../safetensors.js';
import { writeGguf, type GgufWriteTensor, type GgufWriteValue } from '../gguf-write.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from '../weights.js';

export interface FixtureSpec {
	arch: 'llama' | 'qwen2' | 'qwen3';
	vocab: number;
	hidden: number;
	intermediate: number;
	layers: number;
	heads: number;
	kvHeads: number;
	headDim?: number;
	tie: boolean;
	seed: number;
	ropeTheta?: number;
	ropeScaling?: Record<string, unknown>;
	partialRotary?: number;
	/** Extra config.json fields (bad-input tests). */
	extraConfig?: Record<string, unknown>;
}

/** The model's weights by canonical name (row-major f32) and its config.json. */
export interface Fixture {
	config: Record<string, unknown>;
	weights: Map<string, { shape: number[]; data: Float32Array }>;
}

/** Random weights scaled so activations stay O(1) and logits are clearly peaked. */
export function randomModel(s: FixtureSpec): Fixture {
	const rand = seededRandom(s.seed);
	const Dh = s.headDim ?? s.hidden / s.heads;
	const D = s.hidden;
	const weights: Fixture['weights'] = new Map();
	const mat = (name: string, rows: number, cols: number, scale = 1 / Math.sqrt(cols)) =>
		weights.set(name, { shape: [rows, cols], data: randomNormal(rand, rows * cols, scale) });
	const vec = (name: string, n: number, mean: number, scale: number) => {
		const d = randomNormal(rand, n, scale).map((x) => x + mean);
		weights.set(name, { shape: [n], data: d });
	};
	mat(EMBED, s.vocab, D, 0.7);
	vec(FINAL_NORM, D, 1, 0.1);
	if (!s.tie) mat(LM_HEAD, s.vocab, D, 0.7);
	const qkvBias = s.arch === 'qwen2';
	for (let i = 0; i < s.layers; i++) {
		const n = layerNames(i);
		vec(n.inputNorm, D, 1, 0.1);
		vec(n.postNorm, D, 1, 0.1);
		mat(n.q, s.heads * Dh, D);
		mat(n.k, s.kvHeads * Dh, D);
		mat(n.v, s.kvHeads * Dh, D);
		mat(n.o, D, s.heads * Dh);
		if (qkvBias) {
			vec(n.qBias, s.heads * Dh, 0, 0.1);
			vec(n.kBias, s.kvHeads * Dh, 0, 0.1);
			vec(n.vBias, s.kvHeads * Dh, 0, 0.1);
		}
		if (s.arch === 'qwen3') {
			vec(n.qNorm, Dh, 1, 0.1);
			vec(n.kNorm, Dh, 1, 0.1);
		}
		mat(n.gate, s.intermediate, D);
		mat(n.up, s.intermediate, D);
		mat(n.down, D, s.intermediate);
	}
	const config: Record<string, unknown> = {
		architectures: [s.arch === 'llama' ? 'LlamaForCausalLM' : s.arch === 'qwen2' ? 'Qwen2ForCausalLM' : 'Qwen3ForCausalLM'],
		model_type: s.arch,
		vocab_size: s.vocab,
		hidden_size: D,
		intermediate_size: s.intermediate,
		num_hidden_layers: s.layers,
		num_attention_heads: s.heads,
		num_key_value_heads: s.kvHeads,
		head_dim: Dh,
		rms_norm_eps: 1e-6,
		rope_theta: s.ropeTheta ?? 10000,
		rope_scaling: s.ropeScaling ?? null,
		max_position_embeddings: 256,
		tie_word_embeddings: s.tie,
		hidden_act: 'silu',
		torch_dtype: 'float32',
		...(s.partialRotary ? { partial_rotary_factor: s.partialRotary } : {}),
		...s.extraConfig
	};
	return { config, weights };
}

/** Writes config.json + model.safetensors (F32, or F16/BF16) into `dir`. */
export async function writeHfFolder(
	dir: string,
	f: Fixture,
	o: { dtype?: 'F32' | 'F16' | 'BF16'; skip?: string[]; reshape?: Record<string, number[]> } = {}
): Promise<void> {
	await mkdir(dir, { recursive: true });
	await writeFile(join(dir, 'config.json'), JSON.stringify(f.config, null, 2));
	const dtype = o.dtype ?? 'F32';
	const tensors = [...f.weights]
		.filter(([name]) => !o.skip?.includes(name))
		.map(([name, t]) => {
			const isVec = t.shape.length === 1;
			const dt = isVec ? 'F32' : dtype;
			let data: Uint8Array;
			if (dt === 'F32') data = new Uint8Array(t.data.buffer.slice(0));
			else if (dt === 'F16') data = new Uint8Array(toF16Array(t.data).buffer);
			else data = new Uint8Array(Uint16Array.from(new Uint32Array(t.data.buffer.slice(0)), (u) => u >>> 16).buffer);
			return { name, dtype: dt, shape: o.reshape?.[name] ?? t.shape, data };
		});
	await writeFile(join(dir, 'model.safetensors'), writeSafetensors(tensors));
}

const GGUF_NAMES: [RegExp, string][] = [
	[/^model\.embed_tokens\.weight$/, 'token_embd.weight'],
	[/^model\.norm\.weight$/, 'output_norm.weight'],
	[/^lm_head\.weight$/, 'output.weight'],
	[/^model\.layers\.(\d+)\.input_layernorm\.weight$/, 'blk.$1.attn_norm.weight'],
	[/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, 'blk.$1.ffn_norm.weight'],
	[/^model\.layers\.(\d+)\.self_attn\.q_proj\.(weight|bias)$/, 'blk.$1.attn_q.$2'],
	[/^model\.layers\.(\d+)\.self_attn\.k_proj\.(weight|bias)$/, 'blk.$1.attn_k.$2'],
	[/^model\.layers\.(\d+)\.self_attn\.v_proj\.(weight|bias)$/, 'blk.$1.attn_v.$2'],
	[/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, 'blk.$1.attn_output.weight'],
	[/^model\.layers\.(\d+)\.self_attn\.q_norm\.weight$/, 'blk.$1.attn_q_norm.weight'],
	[/^model\.layers\.(\d+)\.self_attn\.k_norm\.weight$/, 'blk.$1.attn_k_norm.weight'],
	[/^model\.layers\.(\d+)\.mlp\.gate_proj\.weight$/, 'blk.$1.ffn_gate.weight'],
	[/^model\.layers\.(\d+)\.mlp\.up_proj\.weight$/, 'blk.$1.ffn_up.weight'],
	[/^model\.layers\.(\d+)\.mlp\.down_proj\.weight$/, 'blk.$1.ffn_down.weight']
];

/** HF → GGUF llama Q/K row order (convert_hf_to_gguf's permute): (h, s, i) → (h, i, s). */
export function permuteForPairs(w: Float32Array, heads: number, cols: number): Float32Array {
	const rows = w.length / cols;
	const Dh = rows / heads;
	const out = new Float32Array(w.length);
	for (let h = 0; h < heads; h++) {
		for (let s = 0; s < 2; s++) {
			for (let i = 0; i < Dh / 2; i++) {
				const src = h * Dh + s * (Dh / 2) + i;
				const dst = h * Dh + 2 * i + s;
				out.set(w.subarray(src * cols, (src + 1) * cols), dst * cols);
			}
		}
	}
	return out;
}

/** A GGUF file of the fixture: matrices F16 (or `matrixType`), vectors F32, llama Q/K permuted. */
export function fixtureGguf(
	f: Fixture,
	o: { matrixType?: number; encode?: (data: Float32Array) => Uint8Array; tokenizer?: Record<string, GgufWriteValue> } = {}
): Uint8Array {
	const c = f.config as { model_type: 'llama' | 'qwen2' | 'qwen3'; num_attention_heads: number; num_key_value_heads: number; hidden_size: number } & Record<string, number>;
	const arch = c.model_type;
	const md: Record<string, GgufWriteValue> = {
		'general.architecture': { type: 'string', value: arch },
		[`${arch}.block_count`]: { type: 'u32', value: c.num_hidden_layers },
		[`${arch}.context_length`]: { type: 'u32', value: c.max_position_embeddings },
		[`${arch}.embedding_length`]: { type: 'u32', value: c.hidden_size },
		[`${arch}.feed_forward_length`]: { type: 'u32', value: c.intermediate_size },
		[`${arch}.attention.head_count`]: { type: 'u32', value: c.num_attention_heads },
		[`${arch}.attention.head_count_kv`]: { type: 'u32', value: c.num_key_value_heads },
		[`${arch}.attention.key_length`]: { type: 'u32', value: c.head_dim },
		[`${arch}.attention.value_length`]: { type: 'u32', value: c.head_dim },
		[`${arch}.attention.layer_norm_rms_epsilon`]: { type: 'f32', value: c.rms_norm_eps },
		[`${arch}.rope.freq_base`]: { type: 'f32', value: c.rope_theta },
		[`${arch}.vocab_size`]: { type: 'u32', value: c.vocab_size },
		...o.tokenizer
	};
	const tensors: GgufWriteTensor[] = [];
	ggufRopeScaling(f.config, md, tensors);
	for (const [name, t] of f.weights) {
		const rule = GGUF_NAMES.find(([re]) => re.test(name));
		if (!rule) throw new Error(`no GGUF name for ${name}`);
		const gname = name.replace(rule[0], rule[1]);
		let data = t.data;
		if (arch === 'llama' && /self_attn\.[qk]_proj\.weight$/.test(name)) {
			data = permuteForPairs(data, name.includes('q_proj') ? c.num_attention_heads : c.num_key_value_heads, t.shape[1]);
		}
		if (t.shape.length === 1) tensors.push({ name: gname, shape: t.shape, type: 0, data: new Uint8Array(data.buffer.slice(0)) });
		else if (o.encode) tensors.push({ name: gname, shape: t.shape, type: o.matrixType!, data: o.encode(data) });
		else tensors.push({ name: gname, shape: t.shape, type: 1, data: new Uint8Array(toF16Array(data).buffer) });
	}
	return writeGguf(md, tensors);
}

/**
 * config.json's rope_scaling as llama.cpp's converter writes it: linear and YaRN as
 * `rope.scaling.*` keys, Llama 3's as a `rope_freqs.weight` tensor of per-frequency divisors.
 */
function ggufRopeScaling(c: Record<string, unknown>, md: Record<string, GgufWriteValue>, tensors: GgufWriteTensor[]): void {
	const s = c.rope_scaling as Record<string, number | string> | null | undefined;
	if (!s) return;
	const arch = c.model_type as string;
	const type = s.rope_type ?? s.type;
	const factor = s.factor as number;
	if (type === 'linear' || type === 'yarn') {
		md[`${arch}.rope.scaling.type`] = { type: 'string', value: type };
		md[`${arch}.rope.scaling.factor`] = { type: 'f32', value: factor };
		if (s.original_max_position_embeddings !== undefined) {
			md[`${arch}.rope.scaling.original_context_length`] = { type: 'u32', value: s.original_max_position_embeddings as number };
		}
		return;
	}
	if (type !== 'llama3') throw new Error(`fixtureGguf: rope_scaling type ${String(type)} has no GGUF form here`);
	const dim = (c.head_dim as number) * ((c.partial_rotary_factor as number | undefined) ?? 1);
	const theta = c.rope_theta as number;
	const orig = s.original_max_position_embeddings as number;
	const [lo, hi] = [s.low_freq_factor as number, s.high_freq_factor as number];
	const divisors = Float32Array.from({ length: dim / 2 }, (_, i) => {
		const wavelen = 2 * Math.PI * theta ** ((2 * i) / dim);
		if (wavelen < orig / hi) return 1;
		if (wavelen > orig / lo) return factor;
		const smooth = (orig / wavelen - lo) / (hi - lo);
		return 1 / ((1 - smooth) / factor + smooth);
	});
	tensors.push({ name: 'rope_freqs.weight', shape: [dim / 2], type: 0, data: new Uint8Array(divisors.buffer) });
}

/** GGUF Q8_0 bytes of row-major data (ggml's quantize_row_q8_0_ref: d = amax/127, f16). */
export function encodeQ8_0(x: Float32Array): Uint8Array {
	const out = new Uint8Array((x.length / 32) * 34);
	const dv = new DataView(out.buffer);
	for (let b = 0; b < x.length / 32; b++) {
		let amax = 0;
		for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]));
		const d = amax / 127;
		const id = d ? 1 / d : 0;
		dv.setUint16(b * 34, toF16Array([d])[0], true);
		for (let j = 0; j < 32; j++) dv.setInt8(b * 34 + 2 + j, Math.round(x[b * 32 + j] * id));
	}
	return out;
}

/** GGUF Q4_0 bytes (ggml's quantize_row_q4_0_ref: d = signed max / -8, q = x/d + 8.5 truncated). */
export function encodeQ4_0(x: Float32Array): Uint8Array {
	const out = new Uint8Array((x.length / 32) * 18);
	const dv = new DataView(out.buffer);
	for (let b = 0; b < x.length / 32; b++) {
		let max = 0;
		for (let j = 0; j < 32; j++) if (Math.abs(x[b * 32 + j]) > Math.abs(max)) max = x[b * 32 + j];
		const d = max / -8;
		const id = d ? 1 / d : 0;
		dv.setUint16(b * 18, toF16Array([d])[0], true);
		const q = (j: number) => Math.min(15, Math.trunc(x[b * 32 + j] * id + 8.5));
		for (let j = 0; j < 16; j++) out[b * 18 + 2 + j] = q(j) | (q(j + 16) << 4);
	}
	return out;
}
