/**
 * Float64 CPU reference of one training step's loss and gradients for the Llama-family decoder
 * (the semantics of llama-train.ts): the forward of kernels/models/llama.ref.ts over a packed
 * batch (no KV cache; causal inside each sequence), the masked cross-entropy, and the full
 * backward composed from the op references, for every base tensor and LoRA adapter.
 */
import { ropeAttentionScale, ropeFrequencies, type ModelConfig } from '../models/config.js';
import { EMBED, FINAL_NORM, LM_HEAD, layerNames } from '../models/weights.js';
import { dpoLossRef, rewardLossRef } from './preference.ref.js';
import type { PackedBatch } from './train-batch.js';
import {
	attentionBackwardRef,
	attentionTrainRef,
	biasBackwardRef,
	crossEntropyRef,
	embeddingBackwardRef,
	linearBackwardRef,
	linearFwdRef,
	rmsnormBackwardRef,
	rmsnormFwdRef,
	ropeTrainRef,
	siluMulBackwardRef,
	siluMulFwdRef
} from './train-ops.ref.js';

/** The projections LoRA can adapt. */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** Names of the A [r, in] and B [out, r] adapters of a base weight (PEFT's naming). */
export function loraNames(base: string): { a: string; b: string } {
	const stem = base.replace(/\.weight$/, '');
	return { a: `${stem}.lora_A.weight`, b: `${stem}.lora_B.weight` };
}

/** LoRA settings of the reference. */
export interface RefLora {
	targets: readonly LoraTarget[];
	rank: number;
	/** alpha / rank. */
	scale: number;
}

type Arr = ArrayLike<number>;

/**
 * Loss and gradients of every tensor in `w` (base tensors by canonical name, adapters by
 * {@link loraNames}) for `batch`.
 */
export function llamaTrainRef(
	c: ModelConfig,
	w: ReadonlyMap<string, Arr>,
	batch: PackedBatch,
	lora: RefLora | null
): { loss: number; grads: Map<string, Float64Array> } {
	return modelRef(c, w, batch, lora, (hF, get, addGrad) => {
		const { hiddenSize: D, vocabSize: V } = c;
		const T = batch.ids.length;
		const head = c.tieEmbeddings ? EMBED : LM_HEAD;
		const logits = linearFwdRef(hF, get(head), T, D, V);
		const ce = crossEntropyRef(logits, batch.targets, batch.weights, T, V);
		const gh = linearBackwardRef(ce.dlogits, hF, get(head), T, D, V);
		addGrad(head, gh.dw);
		return { loss: ce.loss, dhF: gh.dx };
	});
}

/** The top of the network: from the final hidden states hF [T, D] to a loss and d(loss)/dhF. */
export type RefTop = (
	hF: Float64Array,
	get: (name: string) => Arr,
	addGrad: (name: string, g: Float64Array) => void
) => { loss: number; dhF: Float64Array };

/** The decoder up to the final norm, any loss on top, and the backward through all of it. */
export function modelRef(
	c: ModelConfig,
	w: ReadonlyMap<string, Arr>,
	batch: PackedBatch,
	lora: RefLora | null,
	top: RefTop
): { loss: number; grads: Map<string, Float64Array> } {
	const { hiddenSize: D, numHeads: Hq, numKvHeads: Hkv, headDim: Dh, intermediateSize: I, vocabSize: V, rmsNormEps: eps } = c;
	const T = batch.ids.length;
	const inv = ropeFrequencies(c);
	const rs = ropeAttentionScale(c);
	const shape = { pos: batch.pos, Hq, Hkv, Dh };
	const get = (n: string): Arr => {
		const t = w.get(n);
		if (!t) throw new Error(`llamaTrainRef: tensor ${n} missing`);
		return t;
	};
	const grads = new Map<string, Float64Array>();
	const addGrad = (n: string, g: Float64Array) => {
		const cur = grads.get(n);
		if (!cur) grads.set(n, g);
		else for (let i = 0; i < g.length; i++) cur[i] += g[i];
	};
	const targets = new Set(lora?.targets ?? []);
	const proj = (name: string, target: LoraTarget, x: Arr, K: number, N: number, bias?: string) => {
		const y = linearFwdRef(x, get(name), T, K, N, bias ? w.get(bias) : undefined);
		let ax: Float64Array | null = null;
		if (lora && targets.has(target)) {
			const n = loraNames(name);
			ax = linearFwdRef(x, get(n.a), T, K, lora.rank);
			const bax = linearFwdRef(ax, get(n.b), T, lora.rank, N);
			for (let i = 0; i < y.length; i++) y[i] += lora.scale * bax[i];
		}
		return { y, back: (dy: Float64Array): Float64Array => {
			const g = linearBackwardRef(dy, x, get(name), T, K, N);
			addGrad(name, g.dw);
			if (bias && w.has(bias)) addGrad(bias, biasBackwardRef(dy, T, N));
			if (ax && lora) {
				const n = loraNames(name);
				const sdy = dy.map((v) => v * lora.scale);
				const gb = linearBackwardRef(sdy, ax, get(n.b), T, lora.rank, N);
				addGrad(n.b, gb.dw);
				const ga = linearBackwardRef(gb.dx, x, get(n.a), T, K, lora.rank);
				addGrad(n.a, ga.dw);
				for (let i = 0; i < g.dx.length; i++) g.dx[i] += ga.dx[i];
			}
			return g.dx;
		} };
	};

	// Forward, keeping each layer's backward closures.
	const E = get(EMBED);
	let x = Float64Array.from({ length: T * D }, (_, i) => E[batch.ids[Math.floor(i / D)] * D + (i % D)]);
	const backs: ((dx: Float64Array) => Float64Array)[] = [];
	for (let l = 0; l < c.numLayers; l++) {
		const n = layerNames(l);
		const xIn = x;
		const h1 = rmsnormFwdRef(xIn, get(n.inputNorm), T, D, eps);
		const pq = proj(n.q, 'q', h1, D, Hq * Dh, n.qBias);
		const pk = proj(n.k, 'k', h1, D, Hkv * Dh, n.kBias);
		const pv = proj(n.v, 'v', h1, D, Hkv * Dh, n.vBias);
		// Qwen3: per-head RMSNorm of q and k before RoPE.
		const qn = c.qkNorm ? rmsnormFwdRef(pq.y, get(n.qNorm), T * Hq, Dh, eps) : pq.y;
		const kn = c.qkNorm ? rmsnormFwdRef(pk.y, get(n.kNorm), T * Hkv, Dh, eps) : pk.y;
		const q = ropeTrainRef(qn, batch.pos, Hq, Dh, c.rotaryDim, c.ropeLayout, inv, 1, rs);
		const k = ropeTrainRef(kn, batch.pos, Hkv, Dh, c.rotaryDim, c.ropeLayout, inv, 1, rs);
		const att = attentionTrainRef(q, k, pv.y, shape).out;
		const po = proj(n.o, 'o', att, Hq * Dh, D, n.oBias);
		const xMid = xIn.map((v, i) => v + po.y[i]);
		const h2 = rmsnormFwdRef(xMid, get(n.postNorm), T, D, eps);
		const pg = proj(n.gate, 'gate', h2, D, I);
		const pu = proj(n.up, 'up', h2, D, I);
		const act = siluMulFwdRef(pg.y, pu.y);
		const pd = proj(n.down, 'down', act, I, D);
		x = xMid.map((v, i) => v + pd.y[i]);
		backs.push((dx) => {
			const sm = siluMulBackwardRef(pg.y, pu.y, pd.back(dx));
			const dh2 = pg.back(sm.dg);
			const du = pu.back(sm.du);
			for (let i = 0; i < dh2.length; i++) dh2[i] += du[i];
			const r2 = rmsnormBackwardRef(xMid, get(n.postNorm), dh2, T, D, eps);
			addGrad(n.postNorm, r2.dw);
			const dMid = dx.map((v, i) => v + r2.dx[i]);
			const ga = attentionBackwardRef(q, k, pv.y, po.back(dMid), shape);
			let dq = ropeTrainRef(ga.dq, batch.pos, Hq, Dh, c.rotaryDim, c.ropeLayout, inv, -1, rs);
			let dk = ropeTrainRef(ga.dk, batch.pos, Hkv, Dh, c.rotaryDim, c.ropeLayout, inv, -1, rs);
			if (c.qkNorm) {
				const rq = rmsnormBackwardRef(pq.y, get(n.qNorm), dq, T * Hq, Dh, eps);
				const rk = rmsnormBackwardRef(pk.y, get(n.kNorm), dk, T * Hkv, Dh, eps);
				addGrad(n.qNorm, rq.dw);
				addGrad(n.kNorm, rk.dw);
				dq = rq.dx;
				dk = rk.dx;
			}
			const dh1 = pq.back(dq);
			const dhk = pk.back(dk);
			const dhv = pv.back(ga.dv);
			for (let i = 0; i < dh1.length; i++) dh1[i] += dhk[i] + dhv[i];
			const r1 = rmsnormBackwardRef(xIn, get(n.inputNorm), dh1, T, D, eps);
			addGrad(n.inputNorm, r1.dw);
			return dMid.map((v, i) => v + r1.dx[i]);
		});
	}
	const hF = rmsnormFwdRef(x, get(FINAL_NORM), T, D, eps);
	const { loss, dhF } = top(hF, get, addGrad);

	// Backward.
	const rf = rmsnormBackwardRef(x, get(FINAL_NORM), dhF, T, D, eps);
	addGrad(FINAL_NORM, rf.dw);
	let dx = rf.dx;
	for (let l = c.numLayers - 1; l >= 0; l--) dx = backs[l](dx);
	addGrad(EMBED, embeddingBackwardRef(batch.ids, dx, V, D));
	return { loss, grads };
}

/** Name of the reward head [1, D] (HF LlamaForSequenceClassification's `score`). */
export const REWARD_HEAD = 'score.weight';

/** Rows of each sequence's last token. */
function lastRows(batch: PackedBatch): number[] {
	return Array.from(batch.seqEnds, (e) => e - 1);
}

/**
 * Pairwise reward-model loss (preference.ref.ts) with the reward = `score.weight` · the final
 * hidden state of each sequence's last token; `batch` holds the P chosen then the P rejected
 * sequences. Returns the rewards too.
 */
export function rewardModelRef(
	c: ModelConfig,
	w: ReadonlyMap<string, Arr>,
	batch: PackedBatch,
	lora: RefLora | null,
	l2: number
): { loss: number; grads: Map<string, Float64Array>; rewards: Float64Array } {
	const D = c.hiddenSize;
	const rows = lastRows(batch);
	const P = rows.length / 2;
	const rewards = new Float64Array(rows.length);
	const r = modelRef(c, w, batch, lora, (hF, get, addGrad) => {
		const score = get(REWARD_HEAD);
		rows.forEach((t, i) => {
			for (let d = 0; d < D; d++) rewards[i] += hF[t * D + d] * score[d];
		});
		const L = rewardLossRef(rewards.subarray(0, P), rewards.subarray(P), l2);
		const dhF = new Float64Array(hF.length);
		const gs = new Float64Array(D);
		rows.forEach((t, i) => {
			const dr = i < P ? L.dChosen[i] : L.dRejected[i - P];
			for (let d = 0; d < D; d++) {
				dhF[t * D + d] += dr * score[d];
				gs[d] += dr * hF[t * D + d];
			}
		});
		addGrad(REWARD_HEAD, gs);
		return { loss: L.loss, dhF };
	});
	return { ...r, rewards };
}

/**
 * DPO loss (preference.ref.ts): π = Σ of the masked token log-probs of each sequence under the
 * model; `batch` holds the P chosen then the P rejected sequences, packed with weights 'sum'.
 */
export function dpoModelRef(
	c: ModelConfig,
	w: ReadonlyMap<string, Arr>,
	batch: PackedBatch,
	lora: RefLora | null,
	ref: { chosen: ArrayLike<number>; rejected: ArrayLike<number> },
	beta: number
): { loss: number; grads: Map<string, Float64Array>; logps: Float64Array } {
	const { hiddenSize: D, vocabSize: V } = c;
	const T = batch.ids.length;
	const S = batch.seqEnds.length;
	const P = S / 2;
	const logps = new Float64Array(S);
	const r = modelRef(c, w, batch, lora, (hF, get, addGrad) => {
		const head = c.tieEmbeddings ? EMBED : LM_HEAD;
		const logits = linearFwdRef(hF, get(head), T, D, V);
		const per = Array.from({ length: S }, (_, s) => {
			const start = s === 0 ? 0 : batch.seqEnds[s - 1];
			const ws = batch.weights.map((v, t) => (t >= start && t < batch.seqEnds[s] ? v : 0));
			const ce = crossEntropyRef(logits, batch.targets, ws, T, V);
			logps[s] = -ce.loss;
			return ce.dlogits;
		});
		const L = dpoLossRef(logps.subarray(0, P), logps.subarray(P), ref.chosen, ref.rejected, beta);
		const dl = new Float64Array(T * V);
		per.forEach((g, s) => {
			const dpi = s < P ? L.dChosen[s] : L.dRejected[s - P];
			for (let i = 0; i < dl.length; i++) dl[i] -= dpi * g[i];
		});
		const gh = linearBackwardRef(dl, hF, get(head), T, D, V);
		addGrad(head, gh.dw);
		return { loss: L.loss, dhF: gh.dx };
	});
	return { ...r, logps };
}
