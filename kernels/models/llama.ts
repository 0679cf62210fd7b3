/**
 * The Llama-family decoder on WebGPU (Llama 2/3, SmolLM2, Qwen2, Qwen3) built from the ops in
 * kernels/ops. Semantics: llama.ref.ts (float64 reference).
 *
 *   T = tokens in a step (prompt length for prefill, 1 for decode), D = hidden size,
 *   Hq/Hkv = query/kv heads, Dh = head dim, I = MLP size, V = vocabulary, S = KV capacity
 *
 * One step (prefill or decode) is recorded into one Batch and submitted once, including the
 * GPU sampler and the copy of the chosen id into a mapped staging buffer: one submit and one
 * 8-byte readback per token. Prefill uses the matmul kernels (T > 1), decode the matvec ones.
 */
import { Batch } from '../gpu/batch.js';
import { writeBuffer } from '../gpu/buffers.js';
import type { GpuContext } from '../gpu/context.js';
import { emptyTensor, tensorFrom, uploadWeight, destroyWeight, type DeviceTensor, type Weight } from '../gpu/tensor.js';
import { attention, createKvCache, writeKv, type KvCache } from '../ops/attention/attention.js';
import { add } from '../ops/add/add.js';
import { embedding } from '../ops/embedding/embedding.js';
import { linear } from '../ops/matmul/matmul.js';
import { createMlpScratch, mlp, type MlpScratch } from '../ops/mlp/mlp.js';
import { rmsnorm } from '../ops/rmsnorm/rmsnorm.js';
import { createRopeTable, rope, type RopeTable } from '../ops/rope/rope.js';
import { checkSamplingParams, sample, type SamplingParams } from '../ops/sampling/sampling.js';
import { seededRandom } from './random.js';
import { ropeFrequencies, type ModelConfig } from './config.js';
import { ModelError } from './errors.js';
import { readWeight, type ModelFiles } from './model-files.js';
import type { QuantCache } from './quant-cache.js';
import { readF32 } from './tensors.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames, planTensors, type QuantMode } from './weights.js';

const MAP_READ = 0x01;
const COPY_DST = 0x08;

interface LayerWeights {
	inputNorm: DeviceTensor;
	postNorm: DeviceTensor;
	q: Weight;
	k: Weight;
	v: Weight;
	o: Weight;
	qBias?: DeviceTensor;
	kBias?: DeviceTensor;
	vBias?: DeviceTensor;
	oBias?: DeviceTensor;
	qNorm?: DeviceTensor;
	kNorm?: DeviceTensor;
	mlp: { gate: Weight; up: Weight; down: Weight };
}

/** Per-T activations, reused across steps with the same T. */
interface Scratch {
	T: number;
	ids: DeviceTensor;
	x: DeviceTensor;
	h: DeviceTensor;
	q: DeviceTensor;
	k: DeviceTensor;
	v: DeviceTensor;
	qn: DeviceTensor | null;
	kn: DeviceTensor | null;
	att: DeviceTensor;
	o: DeviceTensor;
	mlp: MlpScratch;
	m: DeviceTensor;
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
}

/** What `load` did, for logs and tests. */
export interface LoadStats {
	tensors: number;
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

/** A loaded decoder: weights on the device, a KV cache, per-step scratch. */
export class LlamaModel {
	private scratch = new Map<number, Scratch>();
	private readonly staging: GPUBuffer;
	private readonly outIds: DeviceTensor;
	private readonly context: DeviceTensor;
	private readonly last: DeviceTensor;
	private readonly lastNorm: DeviceTensor;
	private readonly logits: DeviceTensor;
	private readonly samplerScratch: DeviceTensor;
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
		readonly stats: LoadStats
	) {
		const c = config;
		this.staging = ctx.device.createBuffer({ size: 8, usage: MAP_READ | COPY_DST });
		this.outIds = emptyTensor(ctx, [2], 'u32', 'sampled');
		this.context = emptyTensor(ctx, [maxSeq], 'u32', 'context-ids');
		this.last = emptyTensor(ctx, [1, c.hiddenSize]);
		this.lastNorm = emptyTensor(ctx, [1, c.hiddenSize]);
		this.logits = emptyTensor(ctx, [1, c.vocabSize], 'f32', 'logits');
		this.samplerScratch = emptyTensor(ctx, [c.vocabSize]);
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
		try {
			for (const t of plan) {
				if (t.kind === 'vector') {
					const data = await readF32(files.source, t.stored);
					vecs.set(t.name, tensorFrom(ctx, data, t.shape, 'f32', t.name));
					stats.weightBytes += data.byteLength;
				} else {
					const r = await readWeight(files, t, o.cache ?? null);
					const w = uploadWeight(ctx, r.format, r.data, t.shape[0], t.shape[1], { label: t.name });
					uploaded.push(w);
					mats.set(t.name, w);
					stats.weightBytes += r.data.byteLength;
					if ((r.format === 'q8' || r.format === 'q4') && !t.stored.dtype.startsWith('q')) stats.quantized++;
					if (r.cached) stats.cacheHits++;
					stats.formats[r.format] = (stats.formats[r.format] ?? 0) + 1;
				}
				stats.tensors++;
				o.onProgress?.(stats.tensors, plan.length, t.name);
			}
			ctx.throwIfErrors();
		} catch (e) {
			for (const w of uploaded) destroyWeight(w);
			for (const v of vecs.values()) v.buffer.destroy();
			throw e;
		}
		const layers: LayerWeights[] = [];
		for (let i = 0; i < c.numLayers; i++) {
			const n = layerNames(i);
			const m = (k: string) => mats.get(k)!;
			layers.push({
				inputNorm: vecs.get(n.inputNorm)!,
				postNorm: vecs.get(n.postNorm)!,
				q: m(n.q),
				k: m(n.k),
				v: m(n.v),
				o: m(n.o),
				qBias: vecs.get(n.qBias),
				kBias: vecs.get(n.kBias),
				vBias: vecs.get(n.vBias),
				oBias: vecs.get(n.oBias),
				qNorm: vecs.get(n.qNorm),
				kNorm: vecs.get(n.kNorm),
				mlp: { gate: m(n.gate), up: m(n.up), down: m(n.down) }
			});
		}
		const kv = layers.map(() => createKvCache(ctx, maxSeq, c.numKvHeads, c.headDim));
		const table = createRopeTable(ctx, { rotaryDim: c.rotaryDim, theta: c.ropeTheta, maxPositions: maxSeq, invFreq: ropeFrequencies(c) });
		const embed = mats.get(EMBED)!;
		const head = c.tieEmbeddings ? embed : mats.get(LM_HEAD)!;
		return new LlamaModel(ctx, c, embed, head, vecs.get(FINAL_NORM)!, layers, kv, table, maxSeq, stats);
	}

	private scratchFor(T: number): Scratch {
		let s = this.scratch.get(T);
		if (s) return s;
		const c = this.config;
		const ctx = this.ctx;
		const e = (shape: number[]) => emptyTensor(ctx, shape);
		s = {
			T,
			ids: emptyTensor(ctx, [T], 'u32'),
			x: e([T, c.hiddenSize]),
			h: e([T, c.hiddenSize]),
			q: e([T, c.numHeads * c.headDim]),
			k: e([T, c.numKvHeads * c.headDim]),
			v: e([T, c.numKvHeads * c.headDim]),
			qn: c.qkNorm ? e([T * c.numHeads, c.headDim]) : null,
			kn: c.qkNorm ? e([T * c.numKvHeads, c.headDim]) : null,
			att: e([T, c.numHeads, c.headDim]),
			o: e([T, c.hiddenSize]),
			mlp: createMlpScratch(ctx, T, c.intermediateSize),
			m: e([T, c.hiddenSize])
		};
		// Decode scratch lives as long as the model; prefill scratch is freed after use.
		if (T === 1) this.scratch.set(T, s);
		return s;
	}

	private destroyScratch(s: Scratch): void {
		if (this.scratch.get(s.T) === s) return;
		for (const t of [s.ids, s.x, s.h, s.q, s.k, s.v, s.qn, s.kn, s.att, s.o, s.m, s.mlp.gate, s.mlp.up, s.mlp.act]) t?.buffer.destroy();
	}

	/** Records the forward pass of `T` tokens at positions pos0.. and the logits of the last one. */
	private recordForward(b: Batch, s: Scratch, pos0: number): void {
		const { ctx, config: c } = this;
		const T = s.T;
		const eps = c.rmsNormEps;
		embedding(ctx, { ids: s.ids, table: this.embed, out: s.x }, b);
		this.layers.forEach((L, i) => {
			rmsnorm(ctx, { x: s.x, weight: L.inputNorm, out: s.h, eps }, b);
			linear(ctx, { x: s.h, w: L.q, bias: L.qBias, out: s.q }, b);
			linear(ctx, { x: s.h, w: L.k, bias: L.kBias, out: s.k }, b);
			linear(ctx, { x: s.h, w: L.v, bias: L.vBias, out: s.v }, b);
			let q = view(s.q, [T, c.numHeads, c.headDim]);
			let k = view(s.k, [T, c.numKvHeads, c.headDim]);
			if (L.qNorm && L.kNorm && s.qn && s.kn) {
				rmsnorm(ctx, { x: view(s.q, [T * c.numHeads, c.headDim]), weight: L.qNorm, out: s.qn, eps }, b);
				rmsnorm(ctx, { x: view(s.k, [T * c.numKvHeads, c.headDim]), weight: L.kNorm, out: s.kn, eps }, b);
				q = view(s.qn, [T, c.numHeads, c.headDim]);
				k = view(s.kn, [T, c.numKvHeads, c.headDim]);
			}
			rope(ctx, { x: q, table: this.ropeTable, pos0, layout: c.ropeLayout }, b);
			rope(ctx, { x: k, table: this.ropeTable, pos0, layout: c.ropeLayout }, b);
			writeKv(ctx, { cache: this.kv[i], k, v: view(s.v, [T, c.numKvHeads, c.headDim]), pos0 }, b);
			attention(ctx, { q, cache: this.kv[i], pos0, out: s.att }, b);
			linear(ctx, { x: view(s.att, [T, c.numHeads * c.headDim]), w: L.o, bias: L.oBias, out: s.o }, b);
			add(ctx, { a: s.x, b: s.o }, b);
			rmsnorm(ctx, { x: s.x, weight: L.postNorm, out: s.h, eps }, b);
			mlp(ctx, { x: s.h, w: L.mlp, out: s.m, scratch: s.mlp }, b);
			add(ctx, { a: s.x, b: s.m }, b);
		});
		const row = c.hiddenSize * 4;
		b.copy(s.x.buffer, (T - 1) * row, this.last.buffer, 0, row);
		rmsnorm(ctx, { x: this.last, weight: this.norm, out: this.lastNorm, eps }, b);
		linear(ctx, { x: this.lastNorm, w: this.lmHead, out: this.logits }, b);
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
			for (const m of [L.q, L.k, L.v, L.o, L.mlp.gate, L.mlp.up, L.mlp.down]) n += w(m);
			for (const v of [L.inputNorm, L.postNorm, L.qBias, L.kBias, L.vBias, L.oBias, L.qNorm, L.kNorm]) n += t(v);
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
			for (const m of [L.q, L.k, L.v, L.o, L.mlp.gate, L.mlp.up, L.mlp.down]) w(m);
			for (const t of [L.inputNorm, L.postNorm, L.qBias, L.kBias, L.vBias, L.oBias, L.qNorm, L.kNorm]) t?.buffer.destroy();
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
		for (const t of [this.outIds, this.context, this.last, this.lastNorm, this.logits, this.samplerScratch]) t.buffer.destroy();
		this.staging.destroy();
	}
}
