/**
 * Sampling filters Transformers.js lacks (its TopPLogitsWarper is declared but not applied):
 * nucleus (top-p) and min-p, applied in place to each row of a logits batch after temperature.
 * Filtered logits become -Infinity, so the sampler never picks them.
 */

/**
 * Keeps the smallest set of most probable tokens whose probabilities add up to at least `topP`,
 * and drops tokens whose probability is below `minP` × the top one's. At least one token stays.
 */
export function filterLogits(row: Float32Array, topP: number, minP: number): void {
	if (!(topP < 1) && !(minP > 0)) return;
	let max = -Infinity;
	for (const v of row) if (v > max) max = v;
	const probs = new Float64Array(row.length);
	let sum = 0;
	for (let i = 0; i < row.length; i++) sum += probs[i] = Math.exp(row[i] - max);
	const order = Array.from(row.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
	const floor = minP > 0 ? (probs[order[0]] / sum) * minP : 0;
	let acc = 0;
	let keep = 0;
	for (const i of order) {
		const p = probs[i] / sum;
		if (keep > 0 && (acc >= topP || p < floor)) row[i] = -Infinity;
		else keep++;
		acc += p;
	}
}

/** Applies {@link filterLogits} to every row of a [batch, vocab] (or [batch, 1, vocab]) logits array. */
export function filterBatch(data: Float32Array, vocab: number, topP: number, minP: number): void {
	for (let o = 0; o + vocab <= data.length; o += vocab) filterLogits(data.subarray(o, o + vocab), topP, minP);
}
