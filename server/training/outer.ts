/**
 * DiLoCo's outer optimizer and the robustness statistics the server applies to each delta.
 * Pure functions on flat f32 vectors.
 *
 * A worker starts from the round's parameters θ, takes H inner steps and sends `delta = θ_local − θ`.
 * The server averages the accepted deltas; the outer gradient is `g = −mean(delta)` and the step is
 * SGD with Nesterov momentum, exactly as PyTorch's `SGD(nesterov=True)` that DiLoCo uses:
 * ```
 * v ← μ·v + g
 * θ ← θ − η·(g + μ·v)
 * ```
 * With η = 1 and μ = 0 this is plain averaging of the workers' models (FedAvg).
 */

/** Element-wise mean of equally long vectors. */
export function meanOf(vectors: readonly Float32Array[]): Float32Array {
	if (vectors.length === 0) throw new RangeError('the mean of no vectors is undefined');
	const n = vectors[0]!.length;
	const sum = new Float64Array(n);
	for (const v of vectors) {
		if (v.length !== n) throw new RangeError(`vectors differ in length (${v.length} vs ${n})`);
		for (let i = 0; i < n; i++) sum[i]! += v[i]!;
	}
	const out = new Float32Array(n);
	for (let i = 0; i < n; i++) out[i] = sum[i]! / vectors.length;
	return out;
}

/**
 * One outer Nesterov step, in place on `params` and `momentum` (both updated), from the mean
 * accepted delta.
 */
export function outerNesterovStep(params: Float32Array, momentum: Float32Array, meanDelta: Float32Array, lr: number, mu: number): void {
	if (params.length !== momentum.length || params.length !== meanDelta.length) throw new RangeError('parameters, momentum and delta must have the same length');
	for (let i = 0; i < params.length; i++) {
		const g = -meanDelta[i]!;
		const v = mu * momentum[i]! + g;
		momentum[i] = v;
		params[i] = params[i]! - lr * (g + mu * v);
	}
}

/** Euclidean norm (accumulated in f64). */
export function l2norm(v: Float32Array): number {
	let s = 0;
	for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
	return Math.sqrt(s);
}

/** Whether every element is finite. */
export function allFinite(v: Float32Array): boolean {
	for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return false;
	return true;
}

/** Median of numbers (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
	if (values.length === 0) throw new RangeError('the median of nothing is undefined');
	const s = [...values].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The norm rule: with at least `warmup` accepted norms in this job, a delta whose norm exceeds
 * `k ×` their median is an outlier. Before that there is no honest reference, and the
 * validation-loss rule is the guard (a blown-up delta raises the held-out loss).
 * Returns the limit that applies, or null during warm-up.
 */
export function normLimit(acceptedNorms: readonly number[], k: number, warmup: number): number | null {
	if (acceptedNorms.length < Math.max(1, warmup)) return null;
	return k * median(acceptedNorms);
}

/** `base + delta`, as a new vector. */
export function applied(base: Float32Array, delta: Float32Array): Float32Array {
	if (base.length !== delta.length) throw new RangeError('parameters and delta must have the same length');
	const out = new Float32Array(base.length);
	for (let i = 0; i < base.length; i++) out[i] = base[i]! + delta[i]!;
	return out;
}
