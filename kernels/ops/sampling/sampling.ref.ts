/**
 * CPU reference of token sampling: the readable spec of the GPU sampler, in float64.
 *
 *   V = vocabulary size, logits [V], prev = ids already in the context (any length, repeats ok)
 *
 * Order and semantics follow Hugging Face transformers' logits processors/warpers
 * (min_tokens_to_keep = 1), each filter setting removed tokens to -inf:
 *   1. repetition penalty r (≠ 1): for each distinct id in prev, s < 0 ? s·r : s / r
 *   2. temperature 0: greedy — return the first index of the maximum (after the penalty)
 *   3. temperature T (≠ 1): s / T
 *   4. top-k (0 < k < V): remove s < (k-th largest s)
 *   5. top-p (< 1): sort ascending, cumulative softmax; remove where cum <= 1 - p (keep the max)
 *   6. min-p (> 0): remove where prob < min_p · max prob
 *   7. typical-p (< 1): HF TypicalLogitsWarper — entropy H of softmax(s); order tokens by
 *      |−log p − H| ascending; cumulative probs in that order; keep tokens whose shifted score
 *      is <= the one at index (number of cumulative values < mass)
 *   8. draw: with a host-seeded uniform u in [0, 1), the first id (in id order) whose running
 *      sum of exp(s - max) exceeds u · sum(exp(s - max)); rounding fall-through takes the last
 *      kept id. (Inverse-CDF instead of torch.multinomial: reproducible across devices.)
 */

/** Sampling settings; the defaults disable each step. */
export interface SamplingParams {
	/** 0 = greedy. Default 1. */
	temperature?: number;
	/** 0 = off. */
	topK?: number;
	/** 1 = off. */
	topP?: number;
	/** 0 = off. */
	minP?: number;
	/** 1 = off. */
	typicalP?: number;
	/** 1 = off. */
	repetitionPenalty?: number;
}

/** Steps 1 and 3-7: the processed scores (-Infinity for removed tokens). Not for greedy. */
export function processLogitsRef(logits: ArrayLike<number>, prev: ArrayLike<number>, p: SamplingParams): Float64Array {
	const V = logits.length;
	const s = Float64Array.from(logits);
	applyPenalty(s, logits, prev, p.repetitionPenalty ?? 1);
	const T = p.temperature ?? 1;
	if (T !== 1) for (let i = 0; i < V; i++) s[i] /= T;
	const k = p.topK ?? 0;
	if (k > 0 && k < V) {
		const kth = [...s].sort((a, b) => b - a)[k - 1];
		for (let i = 0; i < V; i++) if (s[i] < kth) s[i] = -Infinity;
	}
	const topP = p.topP ?? 1;
	if (topP < 1) {
		const order = argsort(s, (a, b) => a - b);
		const probs = softmax(order.map((i) => s[i]));
		let cum = 0;
		order.forEach((i, j) => {
			cum += probs[j];
			if (cum <= 1 - topP && j < V - 1) s[i] = -Infinity;
		});
	}
	const minP = p.minP ?? 0;
	if (minP > 0) {
		const probs = softmax([...s]);
		const top = Math.max(...probs);
		const best = argmax(s);
		for (let i = 0; i < V; i++) if (probs[i] < minP * top && i !== best) s[i] = -Infinity;
	}
	const mass = p.typicalP ?? 1;
	if (mass < 1) {
		const probs = softmax([...s]);
		const logp = probs.map((q) => Math.log(q));
		let ent = 0;
		for (let i = 0; i < V; i++) if (probs[i] > 0) ent -= probs[i] * logp[i];
		const shifted = logp.map((l) => Math.abs(-l - ent));
		const order = argsort(shifted, (a, b) => a - b);
		let cum = 0;
		let lastInd = 0;
		for (const i of order) {
			cum += probs[i];
			if (cum < mass) lastInd++;
		}
		const cut = shifted[order[Math.min(lastInd, V - 1)]];
		order.forEach((i, j) => {
			if (shifted[i] > cut && j > 0) s[i] = -Infinity;
		});
	}
	return s;
}

/** The sampled token id for uniform `u` in [0, 1). */
export function sampleRef(logits: ArrayLike<number>, prev: ArrayLike<number>, p: SamplingParams, u: number): number {
	if ((p.temperature ?? 1) === 0) {
		const s = Float64Array.from(logits);
		applyPenalty(s, logits, prev, p.repetitionPenalty ?? 1);
		return argmax(s);
	}
	const s = processLogitsRef(logits, prev, p);
	const m = Math.max(...s);
	const e = s.map((x) => Math.exp(x - m));
	const total = e.reduce((a, b) => a + b, 0);
	let cum = 0;
	let last = 0;
	for (let i = 0; i < e.length; i++) {
		if (e[i] > 0) last = i;
		cum += e[i];
		if (cum > u * total) return i;
	}
	return last;
}

function applyPenalty(s: Float64Array, logits: ArrayLike<number>, prev: ArrayLike<number>, r: number): void {
	if (r === 1) return;
	for (let j = 0; j < prev.length; j++) {
		const id = prev[j];
		if (id < s.length) s[id] = logits[id] < 0 ? logits[id] * r : logits[id] / r;
	}
}

function argmax(s: ArrayLike<number>): number {
	let best = 0;
	for (let i = 1; i < s.length; i++) if (s[i] > s[best]) best = i;
	return best;
}

function argsort(s: ArrayLike<number>, cmp: (a: number, b: number) => number): number[] {
	return Array.from({ length: s.length }, (_, i) => i).sort((a, b) => cmp(s[a], s[b]) || a - b);
}

function softmax(x: number[]): number[] {
	const m = Math.max(...x);
	const e = x.map((v) => Math.exp(v - m));
	const z = e.reduce((a, b) => a + b, 0);
	return e.map((v) => v / z);
}
