/**
 * The Llama-family decoder on WebGPU (Llama 2/3, SmolLM2, Mistral, Qwen2, Qwen3) built from the ops in
 * kernels/ops. Semantics: llama.ref.ts (float64 reference).
 *
 *   T = tokens in a step (prompt length for prefill, 1 for decode), D = hidden size,
 *   Hq/Hkv = query/kv heads, Dh = head dim, I = MLP size, V = vocabulary, S = KV capacity
 *
 * One step (prefill or decode) is recorded into one Batch — one command encoder, one compute
 * pass — and submitted once, including the GPU sampler and the copy of the chosen id into a
 * mapped staging buffer: one submit and one 8-byte readback per token. Bind groups are cached
 * by the Batch machinery and params go in one writeBuffer per step, so a decode step creates
 * no GPU object.
 *
 * Fused at load time: q/k/v rows are concatenated into one matrix (with one concatenated
 * bias), gate/up rows are interleaved in (gate, up) pairs. A decode layer is then 5 dispatches
 * (7 on CPU adapters, where the two RMSNorms stay separate dispatches: LoadOptions.fuseNorm):
 *   qkv     fusedMatvec: RMSNorm(x) prologue, bias          -> qkv
 *   attn    attentionDecode: q/k norm (Qwen3), RoPE, the new K/V into the cache, attention
 *           over the cache (+1 combine dispatch when the keys are split on GPUs) -> att
 *   o       fusedMatvec, epilogue x += o(att) (+ bias)
 *   mlp-in  fusedMatvec: RMSNorm(x) prologue, SwiGLU epilogue -> act
 *   down    fusedMatvec, epilogue x += down(act)
 * and the lm_head is a fusedMatvec with the final norm as prologue (reading the last row). Prefill (T > 1) runs the
 * same graph with RMSNorm dispatches, the matmul kernel (add / swiglu epilogues) and
 * qkvPost + attention (a token's keys come from other tokens' workgroups). Matrices
 * whose formats differ (mixed GGUF files) stay separate: side-by-side outputs, siluMul.
 *
 * A model opened with a sequence-classification adapter (adapter.ts: a reward model's head
 * `score.weight` [1, D]) can also `score` a sequence: the same prefill, with the lm_head's
 * fusedMatvec replaced by the head's (one row, final norm as prologue, the last position) and one
 * float read back.
 */
import { Batch } from '../gpu/batch.js';
import { writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { emptyTensor, tensorFrom, uploadWeight, destroyWeight, weightRowBytes, type DeviceTensor, type Weight } from '../gpu/tensor.js';
import { attention, createKvCache, type KvCache } from '../ops/attention/attention.js';
import { attentionDecode } from '../ops/attention/attention-decode.js';
import { qkvPost } from '../ops/attention/qkv-post.js';
import { embedding } from '../ops/embedding/embedding.js';
import { matmul } from '../ops/matmul/matmul.js';
import { fusedMatvec } from '../ops/matvec/fused-matvec.js';
import { defaultMatvecVariant } from '../ops/matvec/matvec.js';
import { rmsnorm } from '../ops/rmsnorm/rmsnorm.js';
import { createRopeTable, type RopeTable } from '../ops/rope/rope.js';
import { siluMul } from '../ops/silu-mul/silu-mul.js';
import { checkSamplingParams, sample, type SamplingParams } from '../ops/sampling/sampling.js';
import { seededRandom } from './random.js';
import { ropeAttentionScale, ropeFrequencies, type ModelConfig } from './config.js';
import type { LoadedAdapter } from './adapter.js';
import { GpuError } from '../gpu/errors.js';
import { ModelError } from './errors.js';
import { readWeight, type ModelFiles } from './model-files.js';
import type { QuantCache } from './quant-cache.js';
import { readF32 } from './tensors.js';
import { EMBED, FINAL_NORM, joinRows, LM_HEAD, layerNames, planTensors, type HostMatrix, type QuantMode } from './weights.js';

const MAP_READ = 0x01;
const COPY_DST = 0x08;

/** One projection of a fused group: its rows land at `offset` of the group's output row. */
interface Segment {
	w: Weight;
	bias?: DeviceTensor;
	offset: number;
}

interface LayerWeights {
	inputNorm: DeviceTensor;
	postNorm: DeviceTensor;
	/** q, k, v: one concatenated segment, or three when their formats differ. */
	qkv: Segment[];
	o: Weight;
	oBias?: DeviceTensor;
	qNorm?: DeviceTensor;
	kNorm?: DeviceTensor;
	/** gate/up rows interleaved in pairs (SwiGLU epilogue), or null when kept apart. */
	gateUp: Weight | null;
	gate: Weight | null;
	up: Weight | null;
	down: Weight;
}

/** Per-T activations, reused across steps with the same T. */
interface Scratch {
	T: number;
	ids: DeviceTensor;
	/** The residual stream [T, D]. */
	x: DeviceTensor;
	/** RMSNorm output [T, D] (prefill only: decode fuses the norm into the matvecs). */
	h: DeviceTensor;
	/** [T, (Hq + 2·Hkv)·Dh] projections. */
	qkv: DeviceTensor;
	/** [T, Hq, Dh] rotated queries. */
	q: DeviceTensor;
	att: DeviceTensor;
	/** [T, I] SwiGLU output, and gate/up [T, I] where they are not fused. */
	act: DeviceTensor;
	gate: DeviceTensor | null;
	up: DeviceTensor | null;
}

export interface LoadOptions {
	/** Default 'none': the file's precision. */
	quant?: QuantMode;
	/** Where `--quant q8|q4` results are kept for the next load (none: quantize every time). */
	cache?: QuantCache | null;
	/** KV cache capacity in positions (default min(max_position_embeddings, 4096)). */
	maxSeq?: number;
	/** Progress: tensors done of total. */
	onProgress?: (done: number, total: number, name: string) => void;
	/**
	 * Fuse the RMSNorms into the decode matvecs (default: where the matvec splits K over a
	 * workgroup, i.e. GPUs; on CPU adapters a separate RMSNorm dispatch is faster: the `rows`
	 * matvec would recompute Σx² per row).
	 */
	fuseNorm?: boolean;
}

/** What `load` did, for logs and tests. */
export interface LoadStats {
	tensors: number;
	/** Matrices quantized on load (float weights to q8/q4, GGUF block types requantized into q8). */
	quantized: number;
	cacheHits: number;
	weightBytes: number;
	formats: Record<string, number>;
}

export interface GenerateOptions {
	maxTokens: number;
	sampling?: SamplingParams;
	/** Seed of the host RNG that draws each step's uniform u. */
	seed?: number;
	/** Stop at these ids (default: the model's EOS ids). The EOS id is kept in the output. */
	stopIds?: number[];
	/** Called with each new id as soon as it is read back. */
	onToken?: (id: number, index: number) => void;
	/** Also read back the raw logits of every step (tests) — slower. */
	onLogits?: (logits: Float32Array, step: number) => void;
	/** Return the raw logits at the last prompt position (before any sampling processing). */
	returnFirstLogits?: boolean;
	signal?: AbortSignal;
}

export interface GenerateResult {
	ids: number[];
	finishReason: 'stop' | 'length' | 'abort';
	firstLogits: Float32Array | null;
	promptTokens: number;
	prefillMs: number;
	decodeMs: number;
	dispatches: number;
	submits: number;
}

function view(t: DeviceTensor, shape: number[]): DeviceTensor {
	return { buffer: t.buffer, dtype: t.dtype, shape };
}

function layerMatrices(L: LayerWeights): Weight[] {
	const out = [...L.qkv.map((g) => g.w), L.o, L.down];
	for (const m of [L.gateUp, L.gate, L.up]) if (m) out.push(m);
	return out;
}

function layerVectors(L: LayerWeights): (DeviceTensor | undefined)[] {
	return [L.inputNorm, L.postNorm, ...L.qkv.map((g) => g.bias), L.oBias, L.qNorm, L.kNorm];
}

/** A loaded decoder: weights on the device, a KV cache, per-step scratch. */
export class LlamaModel {
	private scratch = new Map<number, Scratch>();
	private readonly staging: GPUBuffer;
	private readonly outIds: DeviceTensor;
	private readonly context: DeviceTensor;
	private readonly logits: DeviceTensor;
	private readonly samplerScratch: DeviceTensor;
	/** The reward head's output (one float), with `scoreHead`. */
	private readonly scoreOut: DeviceTensor | null;
	private busy = false;

	private constructor(
		readonly ctx: GpuContext,
		readonly config: ModelConfig,
		private readonly embed: Weight,
		private readonly lmHead: Weight,
		private readonly norm: DeviceTensor,
		private readonly layers: LayerWeights[],
		private readonly kv: KvCache[],
		private readonly ropeTable: RopeTable,
		readonly maxSeq: number,
		readonly stats: LoadStats,
		private readonly fuseNorm: boolean,
		/** A SEQ_CLS adapter's head [1, D] (f32), or null: what `score` needs. */
		private readonly scoreHead: Weight | null = null
	) {
		const c = config;
		this.staging = ctx.device.createBuffer({ size: 8, usage: MAP_READ | COPY_DST });
		this.outIds = emptyTensor(ctx, [2], 'u32', 'sampled');
		this.context = emptyTensor(ctx, [maxSeq], 'u32', 'context-ids');
		this.logits = emptyTensor(ctx, [1, c.vocabSize], 'f32', 'logits');
		this.samplerScratch = emptyTensor(ctx, [c.vocabSize]);
		this.scoreOut = scoreHead ? emptyTensor(ctx, [1], 'f32', 'reward') : null;
	}

	/** Whether the model has a reward head (opened with a SEQ_CLS adapter), so `score` works. */
	get canScore(): boolean {
		return this.scoreHead !== null;
	}

	/**
	 * Validates every tensor against the config and the adapter's limits (before touching the
	 * GPU), then reads them one at a time and uploads them in their planned formats.
	 */
	static async load(ctx: GpuContext, files: ModelFiles, o: LoadOptions = {}): Promise<LlamaModel> {
		const c = files.config;
		const quant = o.quant ?? 'none';
		const plan = planTensors(c, files.index, { quant, hasF16: ctx.features.f16, limits: ctx.limits, label: files.source.label });
		const maxSeq = Math.min(o.maxSeq ?? 4096, c.maxPositions);
		const kvBytes = maxSeq * c.numKvHeads * c.headDim * 4;
		if (kvBytes > ctx.limits.maxStorageBufferBindingSize) {
			throw new ModelError('too-large', `${files.source.label}: a KV cache of ${maxSeq} positions (${kvBytes} bytes per layer) exceeds maxStorageBufferBindingSize; use a smaller maxSeq`);
		}
		const stats: LoadStats = { tensors: 0, quantized: 0, cacheHits: 0, weightBytes: 0, formats: {} };
		const mats = new Map<string, Weight>();
		const vecs = new Map<string, DeviceTensor>();
		const uploaded: Weight[] = [];
		const layers: LayerWeights[] = [];
		// Tensors of a fused group wait on the host until the group is complete.
		const held = new Map<string, HostMatrix>();
		const heldVecs = new Map<string, Float32Array>();
		const grouped = new Map<string, number>();
		const names = Array.from({ length: c.numLayers }, (_, i) => layerNames(i));
		names.forEach((n, i) => {
			for (const k of [n.q, n.k, n.v, n.gate, n.up]) grouped.set(k, i);
			if (c.qkvBias) for (const k of [n.qBias, n.kBias, n.vBias]) grouped.set(k, i);
		});
		const limit = ctx.limits.maxStorageBufferBindingSize;
		const upload = (m: HostMatrix, label: string, rowMultiple = 1): Weight => {
			const w = uploadWeight(ctx, m.format, m.data, m.rows, m.cols, { label, rowMultiple });
			uploaded.push(w);
			return w;
		};
		const uploadVec = (data: Float32Array, label: string): DeviceTensor => {
			const t = tensorFrom(ctx, data, [data.length], 'f32', label);
			vecs.set(label, t);
			return t;
		};
		const qkvSegments: Segment[][] = [];
		const gateUps: (Pick<LayerWeights, 'gateUp' | 'gate' | 'up'> | undefined)[] = [];
		/** Uploads layer i's q/k/v and gate/up groups once all their tensors are read. */
		const flush = (i: number) => {
			const n = names[i];
			const biasNames = [n.qBias, n.kBias, n.vBias];
			if (!qkvSegments[i] && [n.q, n.k, n.v].every((k) => held.has(k)) && (!c.qkvBias || biasNames.every((k) => heldVecs.has(k)))) {
				const ms = [n.q, n.k, n.v].map((k) => held.get(k)!);
				const bs = c.qkvBias ? biasNames.map((k) => heldVecs.get(k)!) : null;
				if (ms.every((m) => m.format === ms[0].format)) {
					let bias: DeviceTensor | undefined;
					if (bs) {
						const joined = new Float32Array(bs.reduce((t, v) => t + v.length, 0));
						let o = 0;
						for (const v of bs) {
							joined.set(v, o);
							o += v.length;
						}
						bias = uploadVec(joined, `model.layers.${i}.self_attn.qkv_proj.bias`);
					}
					qkvSegments[i] = [{ w: upload(joinRows(ms, 'concat'), `model.layers.${i}.self_attn.qkv_proj.weight`), bias, offset: 0 }];
				} else {
					let offset = 0;
					qkvSegments[i] = ms.map((m, j) => {
						const seg: Segment = { w: upload(m, [n.q, n.k, n.v][j]), bias: bs ? uploadVec(bs[j], biasNames[j]) : undefined, offset };
						offset += m.rows;
						return seg;
					});
				}
				for (const k of [n.q, n.k, n.v, ...biasNames]) {
					held.delete(k);
					heldVecs.delete(k);
				}
			}
			if (!gateUps[i] && held.has(n.gate) && held.has(n.up)) {
				const g = held.get(n.gate)!;
				const u = held.get(n.up)!;
				const pair = g.format === u.format && 2 * weightRowBytes(g.format, g.cols) <= limit;
				gateUps[i] = pair
					? { gateUp: upload(joinRows([g, u], 'interleave'), `model.layers.${i}.mlp.gate_up_proj.weight`, 2), gate: null, up: null }
					: { gateUp: null, gate: upload(g, n.gate), up: upload(u, n.up) };
				held.delete(n.gate);
				held.delete(n.up);
			}
		};
		try {
			for (const t of plan) {
				const layer = grouped.get(t.name);
				if (t.kind === 'vector') {
					const data = await readF32(files.source, t.stored);
					if (layer !== undefined) heldVecs.set(t.name, data);
					else vecs.set(t.name, tensorFrom(ctx, data, t.shape, 'f32', t.name));
					stats.weightBytes += data.byteLength;
				} else {
					const r = await readWeight(files, t, o.cache ?? null);
					const host: HostMatrix = { format: r.format, data: r.data, rows: t.shape[0], cols: t.shape[1] };
					if (layer !== undefined) held.set(t.name, host);
					else mats.set(t.name, upload(host, t.name));
					stats.weightBytes += r.data.byteLength;
					if (r.quantized) stats.quantized++;
					if (r.cached) stats.cacheHits++;
					stats.formats[r.format] = (stats.formats[r.format] ?? 0) + 1;
				}
				if (layer !== undefined) flush(layer);
				stats.tensors++;
				o.onProgress?.(stats.tensors, plan.length, t.name);
			}
			ctx.throwIfErrors();
		} catch (e) {
			for (const w of uploaded) destroyWeight(w);
			for (const v of vecs.values()) v.buffer.destroy();
			throw e;
		}
		for (let i = 0; i < c.numLayers; i++) {
			const n = names[i];
			layers.push({
				inputNorm: vecs.get(n.inputNorm)!,
				postNorm: vecs.get(n.postNorm)!,
				qkv: qkvSegments[i],
				o: mats.get(n.o)!,
				oBias: vecs.get(n.oBias),
				qNorm: vecs.get(n.qNorm),
				kNorm: vecs.get(n.kNorm),
				...gateUps[i]!,
				down: mats.get(n.down)!
			});
		}
		const kv = layers.map(() => createKvCache(ctx, maxSeq, c.numKvHeads, c.headDim));
		const table = createRopeTable(ctx, { rotaryDim: c.rotaryDim, theta: c.ropeTheta, maxPositions: maxSeq, invFreq: ropeFrequencies(c), scale: ropeAttentionScale(c) });
		const embed = mats.get(EMBED)!;
		const head = c.tieEmbeddings ? embed : mats.get(LM_HEAD)!;
		const fuseNorm = o.fuseNorm ?? defaultMatvecVariant(ctx) !== 'rows';
		const scoreData = (files as ModelFiles & { adapter?: LoadedAdapter }).adapter?.scoreHead ?? null;
		const scoreHead = scoreData ? uploadWeight(ctx, 'f32', scoreData, 1, c.hiddenSize, { label: 'score.weight' }) : null;
		return new LlamaModel(ctx, c, embed, head, vecs.get(FINAL_NORM)!, layers, kv, table, maxSeq, stats, fuseNorm, scoreHead);
	}

	private scratchFor(T: number): Scratch {
		let s = this.scratch.get(T);
		if (s) return s;
		const c = this.config;
		const ctx = this.ctx;
		const e = (shape: number[]) => emptyTensor(ctx, shape);
		const split = this.layers.some((L) => !L.gateUp);
		s = {
			T,
			ids: emptyTensor(ctx, [T], 'u32'),
			x: e([T, c.hiddenSize]),
			h: e([T, c.hiddenSize]),
			qkv: e([T, (c.numHeads + 2 * c.numKvHeads) * c.headDim]),
			q: e([T, c.numHeads, c.headDim]),
			att: e([T, c.numHeads, c.headDim]),
			act: e([T, c.intermediateSize]),
			gate: split ? e([T, c.intermediateSize]) : null,
			up: split ? e([T, c.intermediateSize]) : null
		};
		// Decode scratch lives as long as the model; prefill scratch is freed after use.
		if (T === 1) this.scratch.set(T, s);
		return s;
	}

	private destroyScratch(s: Scratch): void {
		if (this.scratch.get(s.T) === s) return;
		for (const t of [s.ids, s.x, s.h, s.qkv, s.q, s.att, s.act, s.gate, s.up]) t?.buffer.destroy();
	}

	/**
	 * Records the forward pass of `T` tokens at positions pos0.. and the logits of the last one
	 * (the dispatch plan is in the file header) — or, with `top`, that matrix (the reward head)
	 * applied to the last one's final-normed hidden state instead of the lm_head.
	 */
	private recordForward(b: Batch, s: Scratch, pos0: number, top?: { w: Weight; out: DeviceTensor }): void {
		const { ctx, config: c } = this;
		const T = s.T;
		const eps = c.rmsNormEps;
		const decode = T === 1;
		const att = view(s.att, [T, c.numHeads * c.headDim]);
		// The input of a normed projection: x with the norm fused into the decode matvec, or
		// h = RMSNorm(x) from its own dispatch (prefill, or fuseNorm off).
		const normed = (weight: DeviceTensor, matvecAnyT = false) => {
			if (this.fuseNorm && (decode || matvecAnyT)) return { x: s.x, norm: { weight, eps } };
			rmsnorm(ctx, { x: s.x, weight, out: s.h, eps }, b);
			return { x: s.h, norm: undefined };
		};
		embedding(ctx, { ids: s.ids, table: this.embed, out: s.x }, b);
		this.layers.forEach((L, i) => {
			// x -> qkv (RMSNorm fused into the decode matvec; a separate dispatch in prefill).
			let src = normed(L.inputNorm);
			for (const g of L.qkv) {
				if (decode) fusedMatvec(ctx, { ...src, w: g.w, bias: g.bias, out: s.qkv, outOffset: g.offset }, b);
				else matmul(ctx, { x: s.h, w: g.w, bias: g.bias, out: s.qkv, outOffset: g.offset }, b);
			}
			// q/k norm, RoPE, K/V into the cache, attention (one dispatch in decode).
			const qkNorm = L.qNorm && L.kNorm ? { q: L.qNorm, k: L.kNorm, eps } : undefined;
			const post = { qkv: s.qkv, heads: c.numHeads, qkNorm, table: this.ropeTable, layout: c.ropeLayout, pos0, cache: this.kv[i] };
			if (decode) attentionDecode(ctx, { ...post, out: s.att }, b);
			else {
				qkvPost(ctx, { ...post, q: s.q }, b);
				attention(ctx, { q: s.q, cache: this.kv[i], pos0, out: s.att }, b);
			}
			// x += o(att)
			if (decode) fusedMatvec(ctx, { x: att, w: L.o, bias: L.oBias, out: s.x, epilogue: 'add' }, b);
			else matmul(ctx, { x: att, w: L.o, bias: L.oBias, out: s.x, epilogue: 'add' }, b);
			// act = silu(gate(norm(x))) · up(norm(x))
			src = normed(L.postNorm);
			if (L.gateUp) {
				if (decode) fusedMatvec(ctx, { ...src, w: L.gateUp, out: s.act, epilogue: 'swiglu' }, b);
				else matmul(ctx, { x: s.h, w: L.gateUp, out: s.act, epilogue: 'swiglu' }, b);
			} else if (L.gate && L.up && s.gate && s.up) {
				for (const [w, out] of [[L.gate, s.gate], [L.up, s.up]] as const) {
					if (decode) fusedMatvec(ctx, { ...src, w, out }, b);
					else matmul(ctx, { x: s.h, w, out }, b);
				}
				siluMul(ctx, { gate: s.gate, up: s.up, out: s.act }, b);
			}
			// x += down(act)
			if (decode) fusedMatvec(ctx, { x: s.act, w: L.down, out: s.x, epilogue: 'add' }, b);
			else matmul(ctx, { x: s.act, w: L.down, out: s.x, epilogue: 'add' }, b);
		});
		fusedMatvec(ctx, { ...normed(this.norm, true), xRow: T - 1, w: top?.w ?? this.lmHead, out: top?.out ?? this.logits }, b);
	}

	/**
	 * Runs `ids` (T >= 1 tokens) at positions pos0.., samples the next token on the GPU and
	 * reads back only its id (and the logits when asked).
	 */
	private async step(
		ids: number[],
		pos0: number,
		params: SamplingParams,
		u: number,
		wantLogits: boolean
	): Promise<{ id: number; logits: Float32Array | null }> {
		const ctx = this.ctx;
		const s = this.scratchFor(ids.length);
		try {
			writeBuffer(ctx, s.ids.buffer, Uint32Array.from(ids));
			writeBuffer(ctx, this.context.buffer, Uint32Array.from(ids), pos0 * 4);
			const b = new Batch(ctx);
			this.recordForward(b, s, pos0);
			sample(
				ctx,
				{
					logits: view(this.logits, [this.config.vocabSize]),
					prevIds: this.context,
					prevCount: pos0 + ids.length,
					params,
					u,
					out: this.outIds,
					scratch: this.samplerScratch
				},
				b
			);
			b.copy(this.outIds.buffer, 0, this.staging, 0, 8);
			let logitsStaging: GPUBuffer | null = null;
			const V = this.config.vocabSize;
			if (wantLogits) {
				logitsStaging = ctx.device.createBuffer({ size: V * 4, usage: MAP_READ | COPY_DST });
				b.copy(this.logits.buffer, 0, logitsStaging, 0, V * 4);
			}
			b.submit();
			await this.staging.mapAsync(MAP_READ);
			const id = new Uint32Array(this.staging.getMappedRange().slice(0))[0];
			this.staging.unmap();
			let logits: Float32Array | null = null;
			if (logitsStaging) {
				await logitsStaging.mapAsync(MAP_READ);
				logits = new Float32Array(logitsStaging.getMappedRange().slice(0));
				logitsStaging.destroy();
			}
			ctx.throwIfErrors();
			return { id, logits };
		} finally {
			this.destroyScratch(s);
		}
	}

	/**
	 * Generates up to `maxTokens` ids after `prompt` (fed exactly as given: add BOS yourself).
	 * Each call starts from an empty KV cache. Greedy when `sampling.temperature` is 0.
	 */
	async generate(prompt: number[], o: GenerateOptions): Promise<GenerateResult> {
		const c = this.config;
		if (prompt.length === 0) throw new ModelError('bad-config', 'generate: the prompt has no tokens');
		const bad = prompt.find((id) => !Number.isInteger(id) || id < 0 || id >= c.vocabSize);
		if (bad !== undefined) throw new ModelError('bad-config', `generate: token id ${bad} is outside the vocabulary [0, ${c.vocabSize})`);
		const params = o.sampling ?? {};
		checkSamplingParams(params);
		const maxTokens = Math.min(o.maxTokens, this.maxSeq - prompt.length);
		if (maxTokens < 1) throw new ModelError('too-large', `generate: a prompt of ${prompt.length} tokens leaves no room in the KV cache (${this.maxSeq} positions)`);
		if (this.busy) throw new ModelError('bad-config', 'generate: this model is already generating; await or abort the other call');
		this.busy = true;
		const stop = new Set(o.stopIds ?? c.eosTokenIds);
		const rand = seededRandom(o.seed ?? 0);
		const d0 = this.ctx.stats.dispatches;
		const s0 = this.ctx.stats.submits;
		const ids: number[] = [];
		let firstLogits: Float32Array | null = null;
		let finishReason: GenerateResult['finishReason'] = 'length';
		let prefillMs = 0;
		const t0 = performance.now();
		try {
			let pos = 0;
			let feed = prompt;
			for (let i = 0; i < maxTokens; i++) {
				if (o.signal?.aborted) {
					finishReason = 'abort';
					break;
				}
				const wantLogits = !!o.onLogits || (i === 0 && !!o.returnFirstLogits);
				const r = await this.step(feed, pos, params, rand(), wantLogits);
				if (i === 0) prefillMs = performance.now() - t0;
				if (r.logits) {
					if (i === 0 && o.returnFirstLogits) firstLogits = r.logits;
					o.onLogits?.(r.logits, i);
				}
				pos += feed.length;
				ids.push(r.id);
				o.onToken?.(r.id, i);
				if (stop.has(r.id)) {
					finishReason = 'stop';
					break;
				}
				feed = [r.id];
			}
		} finally {
			this.busy = false;
		}
		return {
			ids,
			finishReason,
			firstLogits,
			promptTokens: prompt.length,
			prefillMs,
			decodeMs: performance.now() - t0 - prefillMs,
			dispatches: this.ctx.stats.dispatches - d0,
			submits: this.ctx.stats.submits - s0
		};
	}

	/**
	 * Feeds `ids` one at a time from an empty cache (the decode path) and hands over the logits
	 * after each: next-token distributions over a text, for perplexity or quantization checks.
	 */
	async teacherForce(ids: number[], onLogits: (logits: Float32Array, index: number) => void): Promise<void> {
		if (ids.length > this.maxSeq) throw new ModelError('too-large', `teacherForce: ${ids.length} tokens exceed the KV cache (${this.maxSeq})`);
		for (let i = 0; i < ids.length; i++) {
			const r = await this.step([ids[i]], i, { temperature: 0 }, 0, true);
			onLogits(r.logits!, i);
		}
	}

	/**
	 * The reward of `ids` (a sequence `rewardInput` rendered, reward.ts): the prefill forward
	 * through the final RMSNorm and the head `score.weight` · the last position's hidden state, on
	 * the GPU, one float read back. Needs a model loaded with a SEQ_CLS adapter (`canScore`).
	 * Scoring writes the KV cache at positions 0 … ids.length − 1 like a prefill; `generate` and
	 * `teacherForce` always start from an empty cache (position 0), so a later call is unaffected.
	 * @throws GpuError invalid-input without a head, for ids outside the vocabulary or beyond the
	 *   KV cache, or while the model is generating
	 */
	async score(ids: number[]): Promise<number> {
		const head = this.scoreHead;
		const out = this.scoreOut;
		if (!head || !out) throw new GpuError('invalid-input', 'score: this model has no reward head; load it with a sequence-classification (SEQ_CLS) adapter, e.g. a reward job\'s export');
		const c = this.config;
		if (ids.length === 0) throw new GpuError('invalid-input', 'score: the sequence has no tokens');
		const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= c.vocabSize);
		if (bad !== undefined) throw new GpuError('invalid-input', `score: token id ${bad} is outside the vocabulary [0, ${c.vocabSize})`);
		if (ids.length > this.maxSeq) throw new GpuError('invalid-input', `score: ${ids.length} tokens exceed the KV cache (${this.maxSeq} positions); cut the conversation (rewardInput's maxTokens) or load with a larger maxSeq`);
		if (this.busy) throw new GpuError('invalid-input', 'score: this model is generating; await or abort that call first');
		this.busy = true;
		const ctx = this.ctx;
		const s = this.scratchFor(ids.length);
		try {
			writeBuffer(ctx, s.ids.buffer, Uint32Array.from(ids));
			const b = new Batch(ctx);
			this.recordForward(b, s, 0, { w: head, out });
			b.copy(out.buffer, 0, this.staging, 0, 4);
			b.submit();
			await this.staging.mapAsync(MAP_READ);
			const reward = new Float32Array(this.staging.getMappedRange().slice(0, 4))[0]!;
			this.staging.unmap();
			ctx.throwIfErrors();
			return reward;
		} finally {
			this.destroyScratch(s);
			this.busy = false;
		}
	}

	/** Bytes of the KV cache on the device (all layers, K and V). */
	get kvCacheBytes(): number {
		return this.kv.reduce((n, c) => n + c.k.buffer.size + c.v.buffer.size, 0);
	}

	/**
	 * Device bytes one decode step must read at context length `keys` (the bandwidth-roofline
	 * numerator): every layer matrix and vector, the final norm, the lm_head (the embedding
	 * table when tied; otherwise only one embedding row), and `keys` rows of K and V per layer.
	 */
	decodeReadBytes(keys: number): number {
		const c = this.config;
		const w = (x: Weight) => x.parts.reduce((n, p) => n + p.buffer.size, 0);
		const t = (x?: DeviceTensor) => (x ? x.buffer.size : 0);
		let n = w(this.lmHead) + t(this.norm);
		if (this.embed !== this.lmHead) n += w(this.embed) / this.embed.rows;
		for (const L of this.layers) {
			for (const m of layerMatrices(L)) n += w(m);
			for (const v of layerVectors(L)) n += t(v);
		}
		const kvRow = (this.kv[0]?.k.buffer.size ?? 0) / this.maxSeq;
		return n + 2 * c.numLayers * keys * kvRow;
	}

	/** Records one decode step's forward pass at `pos` into `b` without submitting (host-cost benchmarks). */
	recordDecodeStep(b: Batch, pos: number): void {
		this.recordForward(b, this.scratchFor(1), pos);
	}

	/** Frees every device buffer of the model (the context stays). */
	destroy(): void {
		const seen = new Set<Weight>();
		const w = (x: Weight) => {
			if (!seen.has(x)) destroyWeight(x);
			seen.add(x);
		};
		w(this.embed);
		w(this.lmHead);
		this.norm.buffer.destroy();
		for (const L of this.layers) {
			for (const m of layerMatrices(L)) w(m);
			for (const t of layerVectors(L)) t?.buffer.destroy();
		}
		for (const k of this.kv) {
			k.k.buffer.destroy();
			k.v.buffer.destroy();
		}
		this.ropeTable.buffer.destroy();
		for (const s of this.scratch.values()) {
			this.scratch.delete(s.T);
			this.destroyScratch(s);
		}
		for (const t of [this.outIds, this.context, this.logits, this.samplerScratch]) t.buffer.destroy();
		if (this.scoreHead) destroyWeight(this.scoreHead);
		this.scoreOut?.buffer.destroy();
		this.staging.destroy();
	}
}
