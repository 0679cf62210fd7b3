/**
 * Float64 CPU reference of the Llama-family decoder: the readable spec of llama.ts.
 *
 *   D = hidden size, Hq/Hkv = query/kv heads, Dh = head dim, R = rotary dim, I = MLP size,
 *   V = vocabulary; weights are [out, in] (HF Linear), row-major f32 as the GPU sees them
 *
 *   x = embed[id]
 *   per layer: h = rmsnorm(x)·w_in; q = h·Wqᵀ (+bq), k, v likewise; (Qwen3: q, k ← per-head
 *     rmsnorm); rope(q, k) at the token's position ('half' or 'pairs' layout, first R dims);
 *     attention over all cached positions <= p (query head h reads kv head h / (Hq/Hkv)),
 *     scale 1/sqrt(Dh); x += att·Woᵀ (+bo); h = rmsnorm(x)·w_post; x += down(silu(gate(h))·up(h))
 *   logits = rmsnorm(x)·w_final · Eᵀ (E = lm_head, or the embedding when tied)
 */
import { ropeAttentionScale, ropeFrequencies, type ModelConfig } from './config.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from './weights.js';

/** Canonical name → f32 values (matrices row-major [rows, cols]). */
export type RefWeights = Map<string, Float32Array>;

function rmsnorm(x: Float64Array, w: Float32Array, eps: number, off = 0, n = x.length): void {
	let ss = 0;
	for (let i = 0; i < n; i++) ss += x[off + i] * x[off + i];
	const r = 1 / Math.sqrt(ss / n + eps);
	for (let i = 0; i < n; i++) x[off + i] = x[off + i] * r * w[i];
}

/** y = W x (+ b), W [rows, cols]. */
function matvec(w: Float32Array, x: Float64Array, rows: number, bias?: Float32Array): Float64Array {
	const cols = x.length;
	const y = new Float64Array(rows);
	for (let r = 0; r < rows; r++) {
		let s = bias ? bias[r] : 0;
		const o = r * cols;
		for (let c = 0; c < cols; c++) s += w[o + c] * x[c];
		y[r] = s;
	}
	return y;
}

/** A reference decoder with its own KV cache; feed tokens one call at a time. */
export class LlamaRef {
	private readonly kCache: Float64Array[][] = [];
	private readonly vCache: Float64Array[][] = [];
	private readonly invFreq: Float64Array;
	private readonly ropeScale: number;
	private pos = 0;

	constructor(
		readonly config: ModelConfig,
		private readonly w: RefWeights
	) {
		this.invFreq = ropeFrequencies(config);
		this.ropeScale = ropeAttentionScale(config);
		for (let i = 0; i < config.numLayers; i++) {
			this.kCache.push([]);
			this.vCache.push([]);
		}
	}

	private get(name: string): Float32Array {
		const t = this.w.get(name);
		if (!t) throw new Error(`LlamaRef: weight ${name} missing`);
		return t;
	}

	private rope(x: Float64Array, heads: number, p: number): void {
		const { headDim: Dh, rotaryDim: R, ropeLayout } = this.config;
		const half = R / 2;
		for (let h = 0; h < heads; h++) {
			for (let i = 0; i < half; i++) {
				const a = p * this.invFreq[i];
				const [c, s] = [this.ropeScale * Math.cos(a), this.ropeScale * Math.sin(a)];
				const [iu, iv] = ropeLayout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];
				const u = x[h * Dh + iu];
				const v = x[h * Dh + iv];
				x[h * Dh + iu] = u * c - v * s;
				x[h * Dh + iv] = v * c + u * s;
			}
		}
	}

	/** Feeds one token at the next position; returns the logits for the token after it. */
	forwardOne(id: number): Float64Array {
		const c = this.config;
		const { hiddenSize: D, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, intermediateSize: I, rmsNormEps: eps } = c;
		const p = this.pos++;
		const E = this.get(EMBED);
		const x = Float64Array.from(E.subarray(id * D, (id + 1) * D));
		for (let l = 0; l < c.numLayers; l++) {
			const n = layerNames(l);
			const h = Float64Array.from(x);
			rmsnorm(h, this.get(n.inputNorm), eps);
			const q = matvec(this.get(n.q), h, Hq * Dh, this.w.get(n.qBias));
			const k = matvec(this.get(n.k), h, Hkv * Dh, this.w.get(n.kBias));
			const v = matvec(this.get(n.v), h, Hkv * Dh, this.w.get(n.vBias));
			if (c.qkNorm) {
				for (let hh = 0; hh < Hq; hh++) rmsnorm(q, this.get(n.qNorm), eps, hh * Dh, Dh);
				for (let hh = 0; hh < Hkv; hh++) rmsnorm(k, this.get(n.kNorm), eps, hh * Dh, Dh);
			}
			this.rope(q, Hq, p);
			this.rope(k, Hkv, p);
			this.kCache[l].push(k);
			this.vCache[l].push(v);
			const att = new Float64Array(Hq * Dh);
			const group = Hq / Hkv;
			const scale = 1 / Math.sqrt(Dh);
			for (let hh = 0; hh < Hq; hh++) {
				const kvh = Math.floor(hh / group);
				const scores = this.kCache[l].map((kj) => {
					let s = 0;
					for (let d = 0; d < Dh; d++) s += q[hh * Dh + d] * kj[kvh * Dh + d];
					return s * scale;
				});
				const m = Math.max(...scores);
				const e = scores.map((s) => Math.exp(s - m));
				const sum = e.reduce((a, b) => a + b, 0);
				this.vCache[l].forEach((vj, j) => {
					for (let d = 0; d < Dh; d++) att[hh * Dh + d] += (e[j] / sum) * vj[kvh * Dh + d];
				});
			}
			const o = matvec(this.get(n.o), att, D, this.w.get(n.oBias));
			for (let i = 0; i < D; i++) x[i] += o[i];
			const h2 = Float64Array.from(x);
			rmsnorm(h2, this.get(n.postNorm), eps);
			const g = matvec(this.get(n.gate), h2, I);
			const u = matvec(this.get(n.up), h2, I);
			for (let i = 0; i < I; i++) g[i] = (g[i] / (1 + Math.exp(-g[i]))) * u[i];
			const dn = matvec(this.get(n.down), g, D);
			for (let i = 0; i < D; i++) x[i] += dn[i];
		}
		rmsnorm(x, this.get(FINAL_NORM), eps);
		return matvec(c.tieEmbeddings ? E : this.get(LM_HEAD), x, c.vocabSize);
	}

	/** Feeds several tokens; returns the logits after the last. */
	forward(ids: number[]): Float64Array {
		let out: Float64Array = new Float64Array(0);
		for (const id of ids) out = this.forwardOne(id);
		return out;
	}
}

/** Index of the largest value (first on ties) and the gap to the runner-up. */
export function top2(logits: ArrayLike<number>): { best: number; gap: number } {
	let best = 0;
	for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
	let second = -Infinity;
	for (let i = 0; i < logits.length; i++) if (i !== best) second = Math.max(second, logits[i]);
	return { best, gap: logits[best] - second };
}

/** Greedy generation with the reference: ids after `prompt`. */
export function refGreedy(ref: LlamaRef, prompt: number[], steps: number): { ids: number[]; logits: Float64Array[] } {
	const ids: number[] = [];
	const logits: Float64Array[] = [];
	let l = ref.forward(prompt);
	for (let i = 0; i < steps; i++) {
		logits.push(l);
		const { best } = top2(l);
		ids.push(best);
		if (i + 1 < steps) l = ref.forwardOne(best);
	}
	return { ids, logits };
}
