/**
 * Builds a decoder-only Llama as an ONNX graph in the layout Transformers.js's
 * `AutoModelForCausalLM` (and Hugging Face Optimum's exports) use for `model_type: llama`:
 *
 *   inputs   input_ids int64 [batch_size, sequence_length]
 *            attention_mask int64 [batch_size, total_sequence_length]
 *            position_ids int64 [batch_size, sequence_length]
 *            past_key_values.{i}.key|value float [batch_size, Hkv, past_sequence_length, Dh]
 *   outputs  logits float [batch_size, sequence_length, V]
 *            present.{i}.key|value float [batch_size, Hkv, total_sequence_length, Dh]
 *
 * The math is kernels/models/llama.ref.ts's: RMSNorm, rotary embeddings ('half' layout) at
 * `position_ids`, grouped-query attention over past + new keys with a causal mask (query i of S
 * sees keys j ≤ past + i) and the attention mask, SwiGLU MLP, tied or separate LM head.
 * Only standard ONNX ops (opset 17), plus `com.microsoft.MatMulNBits` for the 4-bit linear layers:
 * both the WebGPU and the WASM (CPU) execution providers of onnxruntime-web run them.
 */
import { ropeAttentionScale, ropeFrequencies, type ModelConfig } from '../config.js';
import type { RefWeights } from '../llama.ref.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from '../weights.js';
import { DataType, rawBytes, type AttributeValue, type ModelSpec, type NodeSpec, type TensorValue, type ValueInfo } from './proto.js';
import { dequantizeQ4, quantizeQ4 } from './q4.js';

/** fp32: MatMul on f32 weights; q4: MatMulNBits (4-bit blocks of 32, f32 scales). */
export type OnnxWeightFormat = 'fp32' | 'q4';

/**
 * ops: attention in standard ONNX ops (the files we ship); gqa: one
 * `com.microsoft.GroupQueryAttention` per layer (rotary, causal mask and KV concat fused, as
 * onnxruntime-genai exports). Both give the reference's logits on the CPU, but onnxruntime's WebGPU
 * GQA took over a minute per step on a software adapter (Dawn on lavapipe) where ops takes < 0.3 s.
 */
export type OnnxAttention = 'gqa' | 'ops';

export interface LlamaOnnx {
	model: ModelSpec;
	/** The weights the graph computes with (q4: dequantized), for the float64 reference. */
	effective: RefWeights;
}

const Q4_BLOCK = 32;

class GraphBuilder {
	readonly nodes: NodeSpec[] = [];
	readonly initializers: TensorValue[] = [];
	private count = 0;

	node(op: string, inputs: string[], attributes?: Record<string, AttributeValue>, domain?: string): string {
		const out = `/${op.toLowerCase()}_${this.count++}`;
		this.nodes.push({ op, inputs, outputs: [out], name: `${op}_${this.count}`, attributes, domain });
		return out;
	}

	/** A node whose outputs are given names (graph outputs). */
	named(op: string, inputs: string[], outputs: string[], attributes?: Record<string, AttributeValue>): void {
		this.nodes.push({ op, inputs, outputs, name: `${op}_${this.count++}`, attributes });
	}

	f32(name: string, dims: number[], data: Float32Array): string {
		this.initializers.push({ name, dataType: DataType.FLOAT, dims, raw: rawBytes(data) });
		return name;
	}

	i64(name: string, values: number[], dims = [values.length]): string {
		this.initializers.push({ name, dataType: DataType.INT64, dims, raw: rawBytes(BigInt64Array.from(values.map(BigInt))) });
		return name;
	}

	u8(name: string, dims: number[], data: Uint8Array): string {
		this.initializers.push({ name, dataType: DataType.UINT8, dims, raw: rawBytes(data) });
		return name;
	}
}

/** Row-major [rows, cols] → [cols, rows]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
	const out = new Float32Array(w.length);
	for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
	return out;
}

/** The ONNX model for a Llama config and its f32 weights (canonical HF names, [out, in]). */
export function buildLlamaOnnx(c: ModelConfig, weights: RefWeights, format: OnnxWeightFormat, producerVersion: string, attention: OnnxAttention = 'ops'): LlamaOnnx {
	if (c.architecture !== 'llama' || c.qkvBias || c.oBias || c.qkNorm) throw new Error('buildLlamaOnnx: only plain Llama (no biases, no q/k norms) is supported');
	if (c.ropeLayout !== 'half' || c.rotaryDim !== c.headDim) throw new Error('buildLlamaOnnx: only full-head rotary embeddings in the HF (half) layout are supported');
	const { hiddenSize: D, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, intermediateSize: I, vocabSize: V, rmsNormEps: eps } = c;
	const g = new GraphBuilder();
	const effective: RefWeights = new Map();
	const get = (name: string) => {
		const w = weights.get(name);
		if (!w) throw new Error(`buildLlamaOnnx: weight ${name} missing`);
		return w;
	};

	// Shared constants.
	const epsT = g.f32('const.eps', [], Float32Array.of(eps));
	const scaleT = g.f32('const.attn_scale', [], Float32Array.of(1 / Math.sqrt(Dh)));
	const negT = g.f32('const.neg', [], Float32Array.of(-3.4028234663852886e38));
	const invFreq = g.f32('rope.inv_freq', [Dh / 2], Float32Array.from(ropeFrequencies(c)));
	// YaRN's attention factor multiplies cos and sin (1 for every other rope scaling).
	const ropeScale = ropeAttentionScale(c);
	const ropeScaleT = ropeScale === 1 ? '' : g.f32('const.rope_scale', [], Float32Array.of(ropeScale));
	const scaled = (t: string) => (ropeScale === 1 ? t : g.node('Mul', [t, ropeScaleT]));
	const shapeQ = g.i64('const.shape_q', [0, 0, Hq, Dh]);
	const shapeKv = g.i64('const.shape_kv', [0, 0, Hkv, Dh]);
	const shapeRep = g.i64('const.shape_rep', [0, Hq, -1, Dh]);
	const shapeD = g.i64('const.shape_d', [0, 0, Hq * Dh]);
	const half = g.i64('const.split_half', [Dh / 2, Dh / 2]);
	const i0 = g.i64('const.i0', [0], []);
	const i1 = g.i64('const.i1', [1], []);
	const idx1 = g.i64('const.idx1', [1]);

	/** y = x · Wᵀ for an HF [out, in] weight. */
	const linear = (x: string, name: string, out: number, inp: number): string => {
		const w = get(name);
		if (format === 'q4') {
			const q = quantizeQ4(w, out, inp, Q4_BLOCK);
			effective.set(name, dequantizeQ4(q));
			const b = g.u8(`${name}.q4`, [out, inp / Q4_BLOCK, Q4_BLOCK / 2], q.packed);
			const s = g.f32(`${name}.scales`, [out, inp / Q4_BLOCK], q.scales);
			return g.node('MatMulNBits', [x, b, s], { K: inp, N: out, bits: 4, block_size: Q4_BLOCK }, 'com.microsoft');
		}
		effective.set(name, w);
		return g.node('MatMul', [x, g.f32(`${name}.T`, [inp, out], transpose(w, out, inp))]);
	};

	const rmsnorm = (x: string, name: string): string => {
		const w = get(name);
		effective.set(name, w);
		const ms = g.node('ReduceMean', [g.node('Mul', [x, x])], { axes: [-1], keepdims: 1 });
		const r = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [ms, epsT])])]);
		return g.node('Mul', [g.node('Mul', [x, r]), g.f32(name, [D], w)]);
	};

	// Embedding (kept f32 in both formats: a lookup, not a matmul).
	const embed = get(EMBED);
	effective.set(EMBED, embed);
	let x = g.node('Gather', [g.f32(EMBED, [V, D], embed), 'input_ids'], { axis: 0 });

	// Rotary tables for these positions: [B, S, 1, Dh/2], broadcast over heads.
	const angles = attention === 'gqa' ? '' : g.node('Mul', [g.node('Unsqueeze', [g.node('Cast', ['position_ids'], { to: DataType.FLOAT }), g.i64('const.axis_last', [-1])]), invFreq]);
	const heads = g.i64('const.axis_heads', [2]);
	const cos = attention === 'gqa' ? '' : g.node('Unsqueeze', [scaled(g.node('Cos', [angles])), heads]);
	const sin = attention === 'gqa' ? '' : g.node('Unsqueeze', [scaled(g.node('Sin', [angles])), heads]);
	const rope = (t: string): string => {
		const [a, b] = [`${t}/a`, `${t}/b`];
		g.named('Split', [t, half], [a, b], { axis: -1 });
		const lo = g.node('Sub', [g.node('Mul', [a, cos]), g.node('Mul', [b, sin])]);
		const hi = g.node('Add', [g.node('Mul', [b, cos]), g.node('Mul', [a, sin])]);
		return g.node('Concat', [lo, hi], { axis: -1 });
	};

	// ops: causal + padding mask [B, 1, S, T]: key j is visible to query i iff j ≤ past + i and attention_mask[b, j].
	// gqa: the lengths GroupQueryAttention wants (int32): seqlens_k = keys per row − 1, and T.
	let visible = '';
	let seqlensK = '';
	let totalI32 = '';
	let cosCache = '';
	let sinCache = '';
	const total = g.node('Gather', [g.node('Shape', ['attention_mask']), i1], { axis: 0 });
	if (attention === 'ops') {
		const seq = g.node('Gather', [g.node('Shape', ['input_ids']), i1], { axis: 0 });
		const past = g.node('Sub', [total, seq]);
		const keyPos = g.node('Unsqueeze', [g.node('Range', [i0, total, i1]), g.i64('const.axis0', [0])]);
		const queryPos = g.node('Unsqueeze', [g.node('Add', [g.node('Range', [i0, seq, i1]), past]), idx1]);
		const causal = g.node('LessOrEqual', [keyPos, queryPos]);
		const padding = g.node('Unsqueeze', [g.node('Cast', ['attention_mask'], { to: DataType.BOOL }), g.i64('const.axes_mask', [1, 2])]);
		visible = g.node('And', [causal, padding]);
	} else {
		const keys = g.node('ReduceSum', ['attention_mask', idx1], { keepdims: 0 });
		seqlensK = g.node('Cast', [g.node('Sub', [keys, g.i64('const.one', [1], [])])], { to: DataType.INT32 });
		totalI32 = g.node('Cast', [total], { to: DataType.INT32 });
		// Rotary tables for every position, in float64 then rounded, as the reference computes them.
		const inv = ropeFrequencies(c);
		const P = c.maxPositions;
		const cosT = new Float32Array(P * (Dh / 2));
		const sinT = new Float32Array(P * (Dh / 2));
		for (let p = 0; p < P; p++) {
			for (let i = 0; i < Dh / 2; i++) {
				cosT[p * (Dh / 2) + i] = ropeScale * Math.cos(p * inv[i]);
				sinT[p * (Dh / 2) + i] = ropeScale * Math.sin(p * inv[i]);
			}
		}
		cosCache = g.f32('rope.cos_cache', [P, Dh / 2], cosT);
		sinCache = g.f32('rope.sin_cache', [P, Dh / 2], sinT);
	}

	const inputs: ValueInfo[] = [
		{ name: 'input_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] },
		{ name: 'attention_mask', elemType: DataType.INT64, shape: ['batch_size', 'total_sequence_length'] },
		{ name: 'position_ids', elemType: DataType.INT64, shape: ['batch_size', 'sequence_length'] }
	];
	const outputs: ValueInfo[] = [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch_size', 'sequence_length', V] }];

	for (let l = 0; l < c.numLayers; l++) {
		const n = layerNames(l);
		const h = rmsnorm(x, n.inputNorm);
		const [pastK, pastV, presK, presV] = [`past_key_values.${l}.key`, `past_key_values.${l}.value`, `present.${l}.key`, `present.${l}.value`];
		for (const name of [pastK, pastV]) inputs.push({ name, elemType: DataType.FLOAT, shape: ['batch_size', Hkv, 'past_sequence_length', Dh] });
		for (const name of [presK, presV]) outputs.push({ name, elemType: DataType.FLOAT, shape: ['batch_size', Hkv, 'total_sequence_length', Dh] });
		let att: string;
		if (attention === 'gqa') {
			att = `/attn_${l}`;
			g.nodes.push({
				op: 'GroupQueryAttention',
				domain: 'com.microsoft',
				name: `GroupQueryAttention_${l}`,
				inputs: [linear(h, n.q, Hq * Dh, D), linear(h, n.k, Hkv * Dh, D), linear(h, n.v, Hkv * Dh, D), pastK, pastV, seqlensK, totalI32, cosCache, sinCache],
				outputs: [att, presK, presV],
				attributes: { num_heads: Hq, kv_num_heads: Hkv, do_rotary: 1, rotary_interleaved: 0, scale: { float: 1 / Math.sqrt(Dh) } }
			});
		} else {
			const q = g.node('Transpose', [rope(g.node('Reshape', [linear(h, n.q, Hq * Dh, D), shapeQ]))], { perm: [0, 2, 1, 3] });
			const k = g.node('Transpose', [rope(g.node('Reshape', [linear(h, n.k, Hkv * Dh, D), shapeKv]))], { perm: [0, 2, 1, 3] });
			const v = g.node('Transpose', [g.node('Reshape', [linear(h, n.v, Hkv * Dh, D), shapeKv])], { perm: [0, 2, 1, 3] });
			g.named('Concat', [pastK, k], [presK], { axis: 2 });
			g.named('Concat', [pastV, v], [presV], { axis: 2 });
			// Grouped-query attention: query head hh reads kv head floor(hh / (Hq / Hkv)).
			const repeat = (t: string): string => {
				if (Hq === Hkv) return t;
				const u = g.node('Unsqueeze', [t, g.i64(`const.axis2_${t}`, [2])]);
				return g.node('Reshape', [g.node('Concat', Array<string>(Hq / Hkv).fill(u), { axis: 2 }), shapeRep]);
			};
			const kr = repeat(presK);
			const vr = repeat(presV);
			const scores = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [kr], { perm: [0, 1, 3, 2] })]), scaleT]);
			const probs = g.node('Softmax', [g.node('Where', [visible, scores, negT])], { axis: -1 });
			att = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, vr])], { perm: [0, 2, 1, 3] }), shapeD]);
		}
		x = g.node('Add', [x, linear(att, n.o, D, Hq * Dh)]);
		const h2 = rmsnorm(x, n.postNorm);
		const gate = linear(h2, n.gate, I, D);
		const act = g.node('Mul', [g.node('Mul', [gate, g.node('Sigmoid', [gate])]), linear(h2, n.up, I, D)]);
		x = g.node('Add', [x, linear(act, n.down, D, I)]);
	}
	const final = rmsnorm(x, FINAL_NORM);
	if (c.tieEmbeddings) {
		// The LM head is the embedding: f32 MatMul on its transpose (folded once when the session
		// loads), or its own 4-bit copy.
		if (format === 'q4') {
			const q = quantizeQ4(embed, V, D, Q4_BLOCK);
			effective.set(LM_HEAD, dequantizeQ4(q));
			const b = g.u8(`${LM_HEAD}.q4`, [V, D / Q4_BLOCK, Q4_BLOCK / 2], q.packed);
			const s = g.f32(`${LM_HEAD}.scales`, [V, D / Q4_BLOCK], q.scales);
			g.nodes.push({ op: 'MatMulNBits', inputs: [final, b, s], outputs: ['logits'], name: 'lm_head', domain: 'com.microsoft', attributes: { K: D, N: V, bits: 4, block_size: Q4_BLOCK } });
		} else {
			effective.set(LM_HEAD, embed);
			g.named('MatMul', [final, g.node('Transpose', [EMBED], { perm: [1, 0] })], ['logits']);
		}
	} else {
		const logits = linear(final, LM_HEAD, V, D);
		g.named('Identity', [logits], ['logits']);
	}

	const used = new Set(g.nodes.flatMap((n) => n.inputs));
	const model: ModelSpec = {
		irVersion: 8,
		opsets: [
			{ domain: '', version: 17 },
			{ domain: 'com.microsoft', version: 1 }
		],
		producer: 'oasis kernels/models/onnx',
		producerVersion,
		graphName: 'llama',
		nodes: g.nodes,
		// Constants only one attention variant reads are left out of the other.
		initializers: g.initializers.filter((t) => used.has(t.name)),
		inputs,
		outputs
	};
	return { model, effective };
}
