/**
 * What a decoder needs from a model file: the expected tensors for a config, their validation
 * (present, right shape, readable dtype, within the adapter's limits) and the storage format
 * each one gets on the GPU (the precision rule). All of this runs before any GPU work.
 */
import type { GpuLimits } from '../gpu/context.js';
import { toF16Array } from '../gpu/f16.js';
import { QUANT_BLOCK, weightRowBytes, type WeightData, type WeightFormat } from '../gpu/tensor.js';
import type { ModelConfig } from './config.js';
import { ModelError } from './errors.js';
import { ggufBlockFormat, type StoredTensor, type TensorIndex } from './tensors.js';

/** `--quant`: none keeps the file's precision; f16 converts floats; q8/q4 quantize on load. */
export type QuantMode = 'none' | 'f16' | 'q8' | 'q4';

export interface ExpectedTensor {
	name: string;
	shape: number[];
	/** Matrices become `Weight`s (any format); vectors (norms, biases) stay f32. */
	kind: 'matrix' | 'vector';
}

/** Canonical names of one layer's tensors. */
export function layerNames(i: number) {
	const p = `model.layers.${i}.`;
	return {
		inputNorm: `${p}input_layernorm.weight`,
		postNorm: `${p}post_attention_layernorm.weight`,
		q: `${p}self_attn.q_proj.weight`,
		k: `${p}self_attn.k_proj.weight`,
		v: `${p}self_attn.v_proj.weight`,
		o: `${p}self_attn.o_proj.weight`,
		qBias: `${p}self_attn.q_proj.bias`,
		kBias: `${p}self_attn.k_proj.bias`,
		vBias: `${p}self_attn.v_proj.bias`,
		oBias: `${p}self_attn.o_proj.bias`,
		qNorm: `${p}self_attn.q_norm.weight`,
		kNorm: `${p}self_attn.k_norm.weight`,
		gate: `${p}mlp.gate_proj.weight`,
		up: `${p}mlp.up_proj.weight`,
		down: `${p}mlp.down_proj.weight`
	};
}

export const EMBED = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';

/** Every tensor the decoder reads for `c`, with its shape. */
export function expectedTensors(c: ModelConfig): ExpectedTensor[] {
	const D = c.hiddenSize;
	const qd = c.numHeads * c.headDim;
	const kvd = c.numKvHeads * c.headDim;
	const m = (name: string, rows: number, cols: number): ExpectedTensor => ({ name, shape: [rows, cols], kind: 'matrix' });
	const v = (name: string, n: number): ExpectedTensor => ({ name, shape: [n], kind: 'vector' });
	const out = [m(EMBED, c.vocabSize, D), v(FINAL_NORM, D)];
	if (!c.tieEmbeddings) out.push(m(LM_HEAD, c.vocabSize, D));
	for (let i = 0; i < c.numLayers; i++) {
		const n = layerNames(i);
		out.push(v(n.inputNorm, D), v(n.postNorm, D));
		out.push(m(n.q, qd, D), m(n.k, kvd, D), m(n.v, kvd, D), m(n.o, D, qd));
		if (c.qkvBias) out.push(v(n.qBias, qd), v(n.kBias, kvd), v(n.vBias, kvd));
		if (c.oBias) out.push(v(n.oBias, D));
		if (c.qkNorm) out.push(v(n.qNorm, c.headDim), v(n.kNorm, c.headDim));
		out.push(m(n.gate, c.intermediateSize, D), m(n.up, c.intermediateSize, D), m(n.down, D, c.intermediateSize));
	}
	return out;
}

/**
 * The GPU format of a matrix under the precision rule (vectors are always f32). GGUF block types
 * keep their nearest format whatever `quant` says: Q4_0/Q4_1/Q4_K → q4, every other block type
 * (Q8_0, Q5_*, Q6_K, Q3_K, Q2_K, IQ4_NL, IQ4_XS) → q8.
 */
export function weightFormat(t: StoredTensor, quant: QuantMode, hasF16: boolean): WeightFormat {
	const block = ggufBlockFormat(t.dtype);
	if (block) return block;
	const cols = t.shape[t.shape.length - 1];
	if ((quant === 'q8' || quant === 'q4') && cols % QUANT_BLOCK === 0) return quant;
	if (quant === 'f16' || ((quant === 'q8' || quant === 'q4') && t.dtype !== 'f32')) {
		return hasF16 ? 'f16' : 'f32';
	}
	if (t.dtype === 'f32') return 'f32';
	// f16/bf16 weights stay f16; without shader-f16 (SwiftShader) they are widened to f32.
	return hasF16 ? 'f16' : 'f32';
}

/** The load plan: each expected tensor, where it is stored, and its GPU format. */
export interface PlannedTensor extends ExpectedTensor {
	stored: StoredTensor;
	format: WeightFormat;
}

/**
 * Checks that every tensor is present with the expected shape and a readable dtype, and that it
 * fits the adapter's limits; returns the plan. Throws a {@link ModelError} naming the tensor.
 */
export function planTensors(
	c: ModelConfig,
	index: TensorIndex,
	o: { quant: QuantMode; hasF16: boolean; limits: Pick<GpuLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>; label: string }
): PlannedTensor[] {
	if (o.quant === 'f16' && !o.hasF16) {
		throw new ModelError('unsupported', "--quant f16 needs the WebGPU feature 'shader-f16', which this adapter lacks; use --quant none, q8 or q4");
	}
	const limit = o.limits.maxStorageBufferBindingSize;
	const plan: PlannedTensor[] = [];
	for (const e of expectedTensors(c)) {
		const stored = index.tensors.get(e.name);
		if (!stored) {
			const why = index.unsupported.get(e.name);
			if (why) throw new ModelError('bad-dtype', why);
			const file = [...index.tensors.values()][0]?.file ?? 'the model file';
			throw new ModelError('missing-tensor', `${o.label}: tensor ${e.name} is missing from ${file} (expected shape [${e.shape}])`);
		}
		const same = stored.shape.length === e.shape.length && stored.shape.every((d, i) => d === e.shape[i]);
		if (!same) {
			throw new ModelError('bad-shape', `${stored.file}: tensor ${stored.fileName} has shape [${stored.shape}], expected [${e.shape}] from the config`);
		}
		const format: WeightFormat = e.kind === 'vector' ? 'f32' : weightFormat(stored, o.quant, o.hasF16);
		const rowBytes = e.kind === 'vector' ? e.shape[0] * 4 : weightRowBytes(format, e.shape[1]);
		if (rowBytes > limit) {
			throw new ModelError(
				'too-large',
				`${stored.file}: one row of tensor ${stored.fileName} (${rowBytes} bytes as ${format}) exceeds this adapter's maxStorageBufferBindingSize (${limit} bytes)`
			);
		}
		plan.push({ ...e, stored, format });
	}
	// Activations and per-layer KV cache rows must fit a binding too.
	const vocabLogits = c.vocabSize * 4;
	if (vocabLogits > limit) {
		throw new ModelError('too-large', `${o.label}: logits of ${c.vocabSize} tokens (${vocabLogits} bytes) exceed maxStorageBufferBindingSize (${limit})`);
	}
	return plan;
}

/** Host data of one matrix in its GPU format (what `readWeight` returns). */
export interface HostMatrix {
	format: WeightFormat;
	data: WeightData;
	rows: number;
	cols: number;
}

function rowBytesOf(m: HostMatrix): Uint8Array {
	const d = m.format === 'f16' && m.data instanceof Float32Array ? toF16Array(m.data) : m.data;
	return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function typed(format: WeightFormat, bytes: Uint8Array): WeightData {
	if (format === 'f32') return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
	if (format === 'f16') return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
	return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

/**
 * Joins matrices of one format and column count along their rows, for fused projections:
 * `concat` stacks them (q, k, v → [Nq + Nk + Nv, K]); `interleave` alternates their rows
 * (gate, up → [g0, u0, g1, u1, …], equal row counts). Rows of every format (q8/q4 blocks
 * included) are self-contained, so this is a byte copy per row.
 */
export function joinRows(parts: HostMatrix[], mode: 'concat' | 'interleave'): HostMatrix {
	const { format, cols } = parts[0];
	for (const p of parts) {
		if (p.format !== format || p.cols !== cols) {
			throw new ModelError('bad-shape', `joinRows: cannot join a [${p.rows}, ${p.cols}] ${p.format} matrix with [·, ${cols}] ${format} ones`);
		}
	}
	if (mode === 'interleave' && parts.some((p) => p.rows !== parts[0].rows)) {
		throw new ModelError('bad-shape', 'joinRows: interleaved matrices need the same number of rows');
	}
	const rb = weightRowBytes(format, cols);
	const rows = parts.reduce((n, p) => n + p.rows, 0);
	const out = new Uint8Array(rows * rb);
	const srcs = parts.map(rowBytesOf);
	if (mode === 'concat') {
		let o = 0;
		for (const s of srcs) {
			out.set(s, o);
			o += s.byteLength;
		}
	} else {
		const n = parts.length;
		for (let r = 0; r < parts[0].rows; r++) {
			for (let j = 0; j < n; j++) out.set(srcs[j].subarray(r * rb, (r + 1) * rb), (r * n + j) * rb);
		}
	}
	return { format, data: typed(format, out), rows, cols };
}
