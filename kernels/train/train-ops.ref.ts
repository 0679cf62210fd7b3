/**
 * Float64 CPU references of the training ops: the backward pass of every op the Llama forward
 * uses, the masked cross-entropy, LoRA, and AdamW with global-norm clipping. They are the
 * readable spec of train-ops.ts and are themselves proven by finite differences
 * (train-ops.gradcheck.test.ts).
 *
 * Conventions: row-major arrays; weights [out, in] (HF Linear); a "batch" of sequences is
 * flattened into T tokens, and `pos[t]` is token t's position inside its own sequence, so the
 * sequence of t starts at t − pos[t] (attention is causal inside each sequence only).
 *
 * The residual add y = a + b has the identity backward (dy flows to both inputs unchanged): the
 * trainer realises it by accumulating into the residual gradient (the `accumulate` flags).
 */
import type { RopeLayout } from '../ops/rope/rope.ref.js';

type Arr = ArrayLike<number>;

/** y = x · wᵀ (+ b): x [M, K], w [N, K] → y [M, N]. */
export function linearFwdRef(x: Arr, w: Arr, M: number, K: number, N: number, b?: Arr): Float64Array {
	const y = new Float64Array(M * N);
	for (let m = 0; m < M; m++) {
		for (let n = 0; n < N; n++) {
			let s = b ? b[n] : 0;
			for (let k = 0; k < K; k++) s += x[m * K + k] * w[n * K + k];
			y[m * N + n] = s;
		}
	}
	return y;
}

/** Backward of y = x · wᵀ: dx = dy · w [M, K], dw = dyᵀ · x [N, K]. */
export function linearBackwardRef(dy: Arr, x: Arr, w: Arr, M: number, K: number, N: number): { dx: Float64Array; dw: Float64Array } {
	const dx = new Float64Array(M * K);
	const dw = new Float64Array(N * K);
	for (let m = 0; m < M; m++) {
		for (let n = 0; n < N; n++) {
			const g = dy[m * N + n];
			for (let k = 0; k < K; k++) {
				dx[m * K + k] += g * w[n * K + k];
				dw[n * K + k] += g * x[m * K + k];
			}
		}
	}
	return { dx, dw };
}

/** Column sums of dy [M, N]: the gradient of a bias. */
export function biasBackwardRef(dy: Arr, M: number, N: number): Float64Array {
	const db = new Float64Array(N);
	for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) db[n] += dy[m * N + n];
	return db;
}

/** Gradient of the table [V, D] of out[t] = table[ids[t]]: rows scatter-added. */
export function embeddingBackwardRef(ids: ArrayLike<number>, dy: Arr, V: number, D: number): Float64Array {
	const g = new Float64Array(V * D);
	for (let t = 0; t < ids.length; t++) for (let c = 0; c < D; c++) g[ids[t] * D + c] += dy[t * D + c];
	return g;
}

/** y = x / sqrt(mean(x²) + eps) · w over rows of x [R, D]. */
export function rmsnormFwdRef(x: Arr, w: Arr, R: number, D: number, eps: number): Float64Array {
	const y = new Float64Array(R * D);
	for (let r = 0; r < R; r++) {
		let ss = 0;
		for (let i = 0; i < D; i++) ss += x[r * D + i] ** 2;
		const inv = 1 / Math.sqrt(ss / D + eps);
		for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i] * inv * w[i];
	}
	return y;
}

/**
 * RMSNorm backward. With ρ = 1/sqrt(mean(x²) + eps):
 *   dx_i = ρ·w_i·dy_i − x_i·ρ³/D · Σ_j dy_j·w_j·x_j,   dw_i = Σ_rows dy_i·x_i·ρ
 */
export function rmsnormBackwardRef(x: Arr, w: Arr, dy: Arr, R: number, D: number, eps: number): { dx: Float64Array; dw: Float64Array } {
	const dx = new Float64Array(R * D);
	const dw = new Float64Array(D);
	for (let r = 0; r < R; r++) {
		const o = r * D;
		let ss = 0;
		let dot = 0;
		for (let i = 0; i < D; i++) {
			ss += x[o + i] ** 2;
			dot += dy[o + i] * w[i] * x[o + i];
		}
		const rho = 1 / Math.sqrt(ss / D + eps);
		for (let i = 0; i < D; i++) {
			dx[o + i] = rho * w[i] * dy[o + i] - (x[o + i] * rho ** 3 * dot) / D;
			dw[i] += dy[o + i] * x[o + i] * rho;
		}
	}
	return { dx, dw };
}

/**
 * RoPE with per-token positions, x [T, H, Dh], the first R features of each head rotated.
 * `sign` −1 rotates by −angle: the transpose of the rotation, i.e. RoPE's backward. `scale`
 * multiplies cos and sin (YaRN's attention factor).
 */
export function ropeTrainRef(
	x: Arr,
	pos: ArrayLike<number>,
	H: number,
	Dh: number,
	R: number,
	layout: RopeLayout,
	invFreq: Arr,
	sign: 1 | -1 = 1,
	scale = 1
): Float64Array {
	const y = Float64Array.from(x);
	const half = R / 2;
	for (let t = 0; t < pos.length; t++) {
		for (let h = 0; h < H; h++) {
			const base = (t * H + h) * Dh;
			for (let i = 0; i < half; i++) {
				const a = pos[t] * invFreq[i];
				const c = scale * Math.cos(a);
				const s = scale * sign * Math.sin(a);
				const [iu, iv] = layout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];
				const u = x[base + iu];
				const v = x[base + iv];
				y[base + iu] = u * c - v * s;
				y[base + iv] = v * c + u * s;
			}
		}
	}
	return y;
}

/** silu(g)·u and its backward: dg = dh·u·σ(g)·(1 + g·(1 − σ(g))), du = dh·silu(g). */
export function siluMulFwdRef(g: Arr, u: Arr): Float64Array {
	return Float64Array.from({ length: g.length }, (_, i) => (g[i] / (1 + Math.exp(-g[i]))) * u[i]);
}

export function siluMulBackwardRef(g: Arr, u: Arr, dh: Arr): { dg: Float64Array; du: Float64Array } {
	const dg = new Float64Array(g.length);
	const du = new Float64Array(g.length);
	for (let i = 0; i < g.length; i++) {
		const sg = 1 / (1 + Math.exp(-g[i]));
		dg[i] = dh[i] * u[i] * sg * (1 + g[i] * (1 - sg));
		du[i] = dh[i] * g[i] * sg;
	}
	return { dg, du };
}

/** Row softmax of x [R, N]. */
export function softmaxFwdRef(x: Arr, R: number, N: number): Float64Array {
	const y = new Float64Array(R * N);
	for (let r = 0; r < R; r++) {
		let m = -Infinity;
		for (let i = 0; i < N; i++) m = Math.max(m, x[r * N + i]);
		let s = 0;
		for (let i = 0; i < N; i++) s += y[r * N + i] = Math.exp(x[r * N + i] - m);
		for (let i = 0; i < N; i++) y[r * N + i] /= s;
	}
	return y;
}

/** Softmax backward from its output y: dx = y ⊙ (dy − Σ dy⊙y), per row. */
export function softmaxBackwardRef(y: Arr, dy: Arr, R: number, N: number): Float64Array {
	const dx = new Float64Array(R * N);
	for (let r = 0; r < R; r++) {
		let dot = 0;
		for (let i = 0; i < N; i++) dot += dy[r * N + i] * y[r * N + i];
		for (let i = 0; i < N; i++) dx[r * N + i] = y[r * N + i] * (dy[r * N + i] - dot);
	}
	return dx;
}

/** Shapes of the training attention: T flattened tokens, pos[t] = position in its sequence. */
export interface AttentionShape {
	pos: ArrayLike<number>;
	Hq: number;
	Hkv: number;
	Dh: number;
}

/**
 * Causal GQA attention without a cache: q [T, Hq, Dh], k, v [T, Hkv, Dh]; token t attends to
 * tokens t − pos[t] .. t of its own sequence. Also returns lse [T, Hq], the log-sum-exp of each
 * score row (what the backward keeps instead of the probabilities).
 */
export function attentionTrainRef(q: Arr, k: Arr, v: Arr, s: AttentionShape): { out: Float64Array; lse: Float64Array } {
	const { pos, Hq, Hkv, Dh } = s;
	const T = pos.length;
	const group = Hq / Hkv;
	const scale = 1 / Math.sqrt(Dh);
	const out = new Float64Array(T * Hq * Dh);
	const lse = new Float64Array(T * Hq);
	for (let t = 0; t < T; t++) {
		const j0 = t - pos[t];
		for (let h = 0; h < Hq; h++) {
			const kvh = Math.floor(h / group);
			const sc: number[] = [];
			for (let j = j0; j <= t; j++) {
				let d = 0;
				for (let e = 0; e < Dh; e++) d += q[(t * Hq + h) * Dh + e] * k[(j * Hkv + kvh) * Dh + e];
				sc.push(d * scale);
			}
			const m = Math.max(...sc);
			const sum = sc.reduce((a, x) => a + Math.exp(x - m), 0);
			lse[t * Hq + h] = m + Math.log(sum);
			for (let j = j0; j <= t; j++) {
				const p = Math.exp(sc[j - j0] - lse[t * Hq + h]);
				for (let e = 0; e < Dh; e++) out[(t * Hq + h) * Dh + e] += p * v[(j * Hkv + kvh) * Dh + e];
			}
		}
	}
	return { out, lse };
}

/**
 * Backward of {@link attentionTrainRef}. With P = softmax(S), S = q·kᵀ/sqrt(Dh):
 *   dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(dO ⊙ O)), dq = dS·k/sqrt(Dh), dk = dSᵀ·q/sqrt(Dh),
 *   dv = Pᵀ·dO; query heads that share a kv head add into its dk and dv.
 */
export function attentionBackwardRef(
	q: Arr,
	k: Arr,
	v: Arr,
	dout: Arr,
	s: AttentionShape
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
	const { pos, Hq, Hkv, Dh } = s;
	const T = pos.length;
	const group = Hq / Hkv;
	const scale = 1 / Math.sqrt(Dh);
	const { out, lse } = attentionTrainRef(q, k, v, s);
	const dq = new Float64Array(T * Hq * Dh);
	const dk = new Float64Array(T * Hkv * Dh);
	const dv = new Float64Array(T * Hkv * Dh);
	for (let t = 0; t < T; t++) {
		const j0 = t - pos[t];
		for (let h = 0; h < Hq; h++) {
			const kvh = Math.floor(h / group);
			const qo = (t * Hq + h) * Dh;
			let delta = 0;
			for (let e = 0; e < Dh; e++) delta += dout[qo + e] * out[qo + e];
			for (let j = j0; j <= t; j++) {
				const ko = (j * Hkv + kvh) * Dh;
				let sc = 0;
				let dp = 0;
				for (let e = 0; e < Dh; e++) {
					sc += q[qo + e] * k[ko + e];
					dp += dout[qo + e] * v[ko + e];
				}
				const p = Math.exp(sc * scale - lse[t * Hq + h]);
				const ds = p * (dp - delta);
				for (let e = 0; e < Dh; e++) {
					dq[qo + e] += ds * k[ko + e] * scale;
					dk[ko + e] += ds * q[qo + e] * scale;
					dv[ko + e] += p * dout[qo + e];
				}
			}
		}
	}
	return { dq, dk, dv };
}

/**
 * Masked cross-entropy over logits [T, V]: row t has target targets[t] and weight weights[t]
 * (1/count on trained rows, 0 elsewhere), so loss = Σ_t w_t·(lse_t − logit[t, target]) is the
 * mean over trained rows; dlogits[t] = w_t·(softmax(logits[t]) − onehot(target)).
 */
export function crossEntropyRef(
	logits: Arr,
	targets: ArrayLike<number>,
	weights: Arr,
	T: number,
	V: number
): { loss: number; dlogits: Float64Array } {
	const dl = new Float64Array(T * V);
	let loss = 0;
	for (let t = 0; t < T; t++) {
		const w = weights[t];
		if (w === 0) continue;
		let m = -Infinity;
		for (let i = 0; i < V; i++) m = Math.max(m, logits[t * V + i]);
		let s = 0;
		for (let i = 0; i < V; i++) s += Math.exp(logits[t * V + i] - m);
		const lse = m + Math.log(s);
		loss += w * (lse - logits[t * V + targets[t]]);
		for (let i = 0; i < V; i++) dl[t * V + i] = w * (Math.exp(logits[t * V + i] - lse) - (i === targets[t] ? 1 : 0));
	}
	return { loss, dlogits: dl };
}

/** LoRA linear: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, x [M, K], W [N, K], A [r, K], B [N, r]. */
export function loraFwdRef(x: Arr, W: Arr, A: Arr, B: Arr, M: number, K: number, N: number, r: number, s: number): Float64Array {
	const y = linearFwdRef(x, W, M, K, N);
	const ax = linearFwdRef(x, A, M, K, r);
	const bax = linearFwdRef(ax, B, M, r, N);
	for (let i = 0; i < y.length; i++) y[i] += s * bax[i];
	return y;
}

/** LoRA backward (W frozen): dB = s·dyᵀ·(x·Aᵀ), dA = (s·dy·B)ᵀ·x, dx = dy·W + (s·dy·B)·A. */
export function loraBackwardRef(
	x: Arr,
	W: Arr,
	A: Arr,
	B: Arr,
	dy: Arr,
	M: number,
	K: number,
	N: number,
	r: number,
	s: number
): { dx: Float64Array; dA: Float64Array; dB: Float64Array } {
	const ax = linearFwdRef(x, A, M, K, r);
	const sdy = Float64Array.from(dy, (g) => g * s);
	const b = linearBackwardRef(sdy, ax, B, M, r, N);
	const a = linearBackwardRef(b.dx, x, A, M, K, r);
	const dx = linearBackwardRef(dy, x, W, M, K, N).dx;
	for (let i = 0; i < dx.length; i++) dx[i] += a.dx[i];
	return { dx, dA: a.dw, dB: b.dw };
}

/** AdamW hyperparameters. */
export interface AdamWOptions {
	lr: number;
	beta1: number;
	beta2: number;
	eps: number;
	weightDecay: number;
	/** Global gradient-norm clip (0: none). */
	clip: number;
}

/** The global L2 norm of several gradients. */
export function gradNormRef(grads: readonly Arr[]): number {
	let s = 0;
	for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i] * g[i];
	return Math.sqrt(s);
}

/** The factor gradients are scaled by before the update: min(1, clip / (norm + 1e-6)). */
export function clipScale(norm: number, clip: number): number {
	return clip > 0 ? Math.min(1, clip / (norm + 1e-6)) : 1;
}

/**
 * One AdamW update at step `step` (1-based), in place: g ← g·clipScale;
 * m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·(m̂/(sqrt(v̂) + eps) + wd·p).
 */
export function adamwRef(p: Float64Array, g: Arr, m: Float64Array, v: Float64Array, step: number, o: AdamWOptions, scale: number): void {
	const bc1 = 1 - o.beta1 ** step;
	const bc2 = 1 - o.beta2 ** step;
	for (let i = 0; i < p.length; i++) {
		const gi = g[i] * scale;
		m[i] = o.beta1 * m[i] + (1 - o.beta1) * gi;
		v[i] = o.beta2 * v[i] + (1 - o.beta2) * gi * gi;
		p[i] -= o.lr * (m[i] / bc1 / (Math.sqrt(v[i] / bc2) + o.eps) + o.weightDecay * p[i]);
	}
}
