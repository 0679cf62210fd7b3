/**
 * WGSL of the training kernels (train-ops.ts). Elementwise and tiled kernels use one
 * invocation per output element or 4x4 tile (linear id = gid.x + gid.y·nwg.x·WG, see `grid`);
 * row kernels (RMSNorm, softmax, cross-entropy, norm reductions) one workgroup per row.
 * No float atomics anywhere: every output element has exactly one writer, which loops over what
 * it sums (tokens for weight gradients, heads of a group for dK/dV).
 */
import type { WeightFormat } from '../gpu/tensor.js';
import { elementwise, GID_ARGS as GID, kernelHeader, LINEAR_ID as LIN, rowKernel } from '../ops/common/kernel.wgsl.js';
import { WG_REDUCE } from '../ops/common/reduce.wgsl.js';
import { weightAccess, weightEnables } from '../quant/weight-access.wgsl.js';

/** Y[i] = value. */
export const FILL_WGSL = `${kernelHeader('n: u32, value: f32, _a: u32, _b: u32', ['read_write Y: array<f32>'])}
@compute @workgroup_size(WG)
fn main(${GID}) { ${LIN} if (i < params.n) { Y[i] = params.value; } }
`;

/** Y[i] += alpha · X[i]. */
export const AXPY_WGSL = `${kernelHeader('n: u32, alpha: f32, _a: u32, _b: u32', ['read X: array<f32>', 'read_write Y: array<f32>'])}
@compute @workgroup_size(WG)
fn main(${GID}) { ${LIN} if (i < params.n) { Y[i] += params.alpha * X[i]; } }
`;

const R4 = [0, 1, 2, 3];

/**
 * `store` and `main` of a tiled gradient: one invocation per 4x4 tile of OUT [params[rows], K]
 * (rows r0..r3 = rBase + 0..3 and columns k0..k3 = kBase + 0..3, clamped in range; the k
 * clamps only with `kClamps`), four vec4 accumulators filled by `loop`, then
 * OUT (+)= scale · acc (params.acc != 0: add).
 */
function tiledGrad(out: string, rows: string, r: string, kClamps: boolean, loop: string): string {
	return `fn store(${r}: u32, k: u32, v: f32) {
  if (${r} < params.${rows} && k < params.K) {
    let o = ${r} * params.K + k;
    if (params.acc != 0u) { ${out}[o] += params.scale * v; } else { ${out}[o] = params.scale * v; }
  }
}
@compute @workgroup_size(WG)
fn main(${GID}) {
  let t = gid.x + gid.y * nwg.x * WG;
  let tilesK = (params.K + 3u) / 4u;
  let tiles${rows} = (params.${rows} + 3u) / 4u;
  if (t >= tilesK * tiles${rows}) { return; }
  let kBase = (t % tilesK) * 4u;
  let ${r}Base = (t / tilesK) * 4u;
${R4.map((i) => `  let ${r}${i} = min(${r}Base + ${i}u, params.${rows} - 1u);`).join('\n')}
${kClamps ? R4.map((j) => `  let k${j} = min(kBase + ${j}u, params.K - 1u);`).join('\n') : ''}
${R4.map((i) => `  var acc${i} = vec4<f32>(0.0);`).join('\n')}
${loop}
${R4.map((i) => R4.map((j) => `  store(${r}Base + ${i}u, kBase + ${j}u, acc${i}[${j}]);`).join('\n')).join('\n')}
}
`;
}

/**
 * Weight gradient G[N, K] (+)= scale · DYᵀ[N, M] · X[M, K]: one invocation per 4x4 tile of G,
 * looping over the M tokens (f32 in, f32 accumulate, f32 out).
 */
export const GRAD_W_WGSL = `${kernelHeader('M: u32, N: u32, K: u32, acc: u32, scale: f32, _a: u32, _b: u32, _c: u32', [
	'read DY: array<f32>',
	'read X: array<f32>',
	'read_write G: array<f32>',
])}
${tiledGrad(
	'G',
	'N',
	'n',
	true,
	`  for (var m = 0u; m < params.M; m++) {
    let xo = m * params.K;
    let xv = vec4<f32>(X[xo + k0], X[xo + k1], X[xo + k2], X[xo + k3]);
    let yo = m * params.N;
${R4.map((i) => `    acc${i} += DY[yo + n${i}] * xv;`).join('\n')}
  }`,
)}`;

/**
 * Input gradient through a (possibly f16 or quantized) weight part: Y[M, K] (+)= scale ·
 * DY[M, rowStart .. rowStart + rows) · W_part[rows, K]: the transposed, dequantizing matmul.
 * One invocation per 4x4 tile of Y, looping over the part's rows; f32 accumulate.
 */
export function renderGradX(format: WeightFormat, vec4: boolean): string {
	const load = vec4 ? `let wv = w4(n, kBase);` : `let wv = vec4<f32>(${R4.map((j) => `w1(n, k${j})`).join(', ')});`;
	const header = kernelHeader(
		'M: u32, K: u32, rows: u32, rowStart: u32, N: u32, acc: u32, scale: f32, _a: u32',
		['read DY: array<f32>', (b) => weightAccess(format, vec4, b), 'read_write Y: array<f32>'],
		weightEnables(format),
	);
	const loop = `  for (var n = 0u; n < params.rows; n++) {
    ${load}
    let col = params.rowStart + n;
${R4.map((i) => `    acc${i} += DY[m${i} * params.N + col] * wv;`).join('\n')}
  }`;
	return `${header}\n${tiledGrad('Y', 'M', 'm', !vec4, loop)}`;
}

/**
 * Embedding gradient without atomics: IDX holds, from the host's sort of the ids, U unique
 * rows, then U+1 offsets, then the T token indices grouped by row. One invocation per
 * (unique row, column) sums its tokens' gradients: G[row, c] += Σ DY[t, c].
 */
export const EMBED_GRAD_WGSL = elementwise(
	'U: u32, D: u32, _a: u32, _b: u32',
	['read DY: array<f32>', 'read IDX: array<u32>', 'read_write G: array<f32>'],
	`  if (i >= params.U * params.D) { return; }
  let u = i / params.D;
  let c = i % params.D;
  let row = IDX[u];
  let start = IDX[params.U + u];
  let end = IDX[params.U + u + 1u];
  var s = 0.0;
  for (var j = start; j < end; j++) { s += DY[IDX[2u * params.U + 1u + j] * params.D + c]; }
  G[row * params.D + c] += s;
`,
);

/** RMSNorm backward, dx part: one workgroup per row; also writes the row's 1/rms. */
export const RMSNORM_GRAD_X_WGSL = rowKernel(
	'R: u32, D: u32, eps: f32, acc: u32',
	[
		'read X: array<f32>',
		'read Wt: array<f32>',
		'read DY: array<f32>',
		'read_write DX: array<f32>',
		'read_write RSTD: array<f32>',
	],
	'R',
	`  let o = row * params.D;
  var ss = 0.0;
  var dot = 0.0;
  for (var i = lid; i < params.D; i += WG) { let x = X[o + i]; ss += x * x; dot += DY[o + i] * Wt[i] * x; }
  let rho = inverseSqrt(wg_sum(ss, lid) / f32(params.D) + params.eps);
  let c = wg_sum(dot, lid) * rho * rho * rho / f32(params.D);
  for (var i = lid; i < params.D; i += WG) {
    let g = rho * Wt[i] * DY[o + i] - X[o + i] * c;
    if (params.acc != 0u) { DX[o + i] += g; } else { DX[o + i] = g; }
  }
  if (lid == 0u) { RSTD[row] = rho; }
`,
);

/** RMSNorm backward, weight part: G[i] += Σ_rows DY[r, i]·X[r, i]·RSTD[r]. */
export const RMSNORM_GRAD_W_WGSL = elementwise(
	'R: u32, D: u32, _a: u32, _b: u32',
	['read X: array<f32>', 'read DY: array<f32>', 'read RSTD: array<f32>', 'read_write G: array<f32>'],
	`  if (i >= params.D) { return; }
  var s = 0.0;
  for (var r = 0u; r < params.R; r++) { s += DY[r * params.D + i] * X[r * params.D + i] * RSTD[r]; }
  G[i] += s;
`,
);

/**
 * RoPE in place with per-token positions POS[t] (training: many sequences flattened), by
 * +angle (forward) or −angle (backward: the rotation's transpose).
 */
export const ROPE_TRAIN_WGSL = elementwise(
	'T: u32, H: u32, D: u32, R: u32, pairs: u32, sign: f32, maxPos: u32, _a: u32',
	['read_write X: array<f32>', 'read TAB: array<vec2<f32>>', 'read POS: array<u32>'],
	`  let half = params.R / 2u;
  if (i >= params.T * params.H * half) { return; }
  let f = i % half;
  let th = i / half;
  let t = th / params.H;
  let base = th * params.D;
  let cs = TAB[min(POS[t], params.maxPos - 1u) * half + f];
  let c = cs.x;
  let s = params.sign * cs.y;
  var iu = f;
  var iv = f + half;
  if (params.pairs != 0u) { iu = 2u * f; iv = 2u * f + 1u; }
  let u = X[base + iu];
  let v = X[base + iv];
  X[base + iu] = u * c - v * s;
  X[base + iv] = v * c + u * s;
`,
);

/** SiLU-mul backward: DG = DH·U·σ(G)(1 + G(1 − σ(G))), DU = DH·silu(G). */
export const SILU_MUL_GRAD_WGSL = elementwise(
	'n: u32, _a: u32, _b: u32, _c: u32',
	[
		'read Gt: array<f32>',
		'read U: array<f32>',
		'read DH: array<f32>',
		'read_write DG: array<f32>',
		'read_write DU: array<f32>',
	],
	`  if (i >= params.n) { return; }
  let g = Gt[i];
  let sg = 1.0 / (1.0 + exp(-g));
  let dh = DH[i];
  DG[i] = dh * U[i] * sg * (1.0 + g * (1.0 - sg));
  DU[i] = dh * g * sg;
`,
);

/** Softmax backward from its output: DX = Y ⊙ (DY − Σ DY⊙Y), one workgroup per row. */
export const SOFTMAX_GRAD_WGSL = rowKernel(
	'R: u32, N: u32, _a: u32, _b: u32',
	['read Y: array<f32>', 'read DY: array<f32>', 'read_write DX: array<f32>'],
	'R',
	`  let o = row * params.N;
  var d = 0.0;
  for (var i = lid; i < params.N; i += WG) { d += DY[o + i] * Y[o + i]; }
  let dot = wg_sum(d, lid);
  for (var i = lid; i < params.N; i += WG) { DX[o + i] = Y[o + i] * (DY[o + i] - dot); }
`,
);

/**
 * Masked cross-entropy, one workgroup per row of L [T, V] (the logits, overwritten with their
 * gradient): LOSS[t] = w·(lse − L[t, target]), L[t] ← w·(softmax − onehot). Rows with w = 0
 * get a zero gradient.
 */
export const CROSS_ENTROPY_WGSL = rowKernel(
	'T: u32, V: u32, _a: u32, _b: u32',
	['read_write L: array<f32>', 'read TGT: array<u32>', 'read WT: array<f32>', 'read_write LOSS: array<f32>'],
	'T',
	`  let o = row * params.V;
  let w = WT[row];
  if (w == 0.0) {
    for (var i = lid; i < params.V; i += WG) { L[o + i] = 0.0; }
    if (lid == 0u) { LOSS[row] = 0.0; }
    return;
  }
  var m = -3.0e38;
  for (var i = lid; i < params.V; i += WG) { m = max(m, L[o + i]); }
  m = wg_max(m, lid);
  var s = 0.0;
  for (var i = lid; i < params.V; i += WG) { s += exp(L[o + i] - m); }
  let lse = m + log(wg_sum(s, lid));
  let tgt = TGT[row];
  // Every invocation reads the target logit before any overwrites it.
  let lt = L[o + tgt];
  workgroupBarrier();
  for (var i = lid; i < params.V; i += WG) {
    var g = exp(L[o + i] - lse);
    if (i == tgt) { g -= 1.0; }
    L[o + i] = w * g;
  }
  if (lid == 0u) { LOSS[row] = w * (lse - lt); }
`,
);

/**
 * Index of the score kernels, one invocation per (h, t, jj) of [Hq, T, W]: key j = t − p + jj of
 * the query's sequence (p = POS[t]; `masked` runs for jj > p, the keys after the query), its kv
 * head kvh, and the offsets qo of Q[t, h] and ko of K/V[j, kvh].
 */
function scoreIndex(masked: string): string {
	return `  let jj = i % params.W;
  let t = (i / params.W) % params.T;
  let h = i / (params.W * params.T);
  let p = POS[t];
  if (jj > p) { ${masked} return; }
  let j = t - p + jj;
  let kvh = h / (params.Hq / params.Hkv);
  let qo = (t * params.Hq + h) * params.D;
  let ko = (j * params.Hkv + kvh) * params.D;`;
}

/** Index of the per-feature attention kernels, one invocation per (t, h, d) of [T, Hq, D]. */
const FEATURE_INDEX = `  if (i >= params.T * params.Hq * params.D) { return; }
  let d = i % params.D;
  let h = (i / params.D) % params.Hq;
  let t = i / (params.D * params.Hq);
  let p = POS[t];
  let kvh = h / (params.Hq / params.Hkv);`;

/** Attention scores S[h, t, jj] = Q[t, h]·K[t − pos[t] + jj, kvh]·scale (jj <= pos[t]). */
export const ATT_SCORES_WGSL = elementwise(
	'T: u32, Hq: u32, Hkv: u32, D: u32, W: u32, scale: f32, _a: u32, _b: u32',
	['read Q: array<f32>', 'read K: array<f32>', 'read POS: array<u32>', 'read_write S: array<f32>'],
	`  if (i >= params.Hq * params.T * params.W) { return; }
${scoreIndex('S[i] = 0.0;')}
  var d = 0.0;
  for (var e = 0u; e < params.D; e++) { d += Q[qo + e] * K[ko + e]; }
  S[i] = d * params.scale;
`,
);

/** Row softmax of the scores in place (P), one invocation per (h, t); LSE[t, h] kept. */
export const ATT_SOFTMAX_WGSL = elementwise(
	'T: u32, Hq: u32, W: u32, _a: u32',
	['read POS: array<u32>', 'read_write S: array<f32>', 'read_write LSE: array<f32>'],
	`  if (i >= params.Hq * params.T) { return; }
  let t = i % params.T;
  let h = i / params.T;
  let n = POS[t] + 1u;
  let o = i * params.W;
  var m = -3.0e38;
  for (var j = 0u; j < n; j++) { m = max(m, S[o + j]); }
  var s = 0.0;
  for (var j = 0u; j < n; j++) { s += exp(S[o + j] - m); }
  let lse = m + log(s);
  for (var j = 0u; j < n; j++) { S[o + j] = exp(S[o + j] - lse); }
  LSE[t * params.Hq + h] = lse;
`,
);

/** O[t, h, d] = Σ_jj P[h, t, jj]·V[t − pos[t] + jj, kvh, d]. */
export const ATT_OUT_WGSL = elementwise(
	'T: u32, Hq: u32, Hkv: u32, D: u32, W: u32, _a: u32, _b: u32, _c: u32',
	['read P: array<f32>', 'read V: array<f32>', 'read POS: array<u32>', 'read_write O: array<f32>'],
	`${FEATURE_INDEX}
  let po = (h * params.T + t) * params.W;
  var s = 0.0;
  for (var jj = 0u; jj <= p; jj++) { s += P[po + jj] * V[((t - p + jj) * params.Hkv + kvh) * params.D + d]; }
  O[i] = s;
`,
);

/** DELTA[t, h] = Σ_d dO·O (stored after the LSE: LD = [LSE (T·Hq), DELTA (T·Hq)]). */
export const ATT_DELTA_WGSL = elementwise(
	'T: u32, Hq: u32, D: u32, _a: u32',
	['read DO: array<f32>', 'read O: array<f32>', 'read_write LD: array<f32>'],
	`  let n = params.T * params.Hq;
  if (i >= n) { return; }
  var s = 0.0;
  for (var e = 0u; e < params.D; e++) { s += DO[i * params.D + e] * O[i * params.D + e]; }
  LD[n + i] = s;
`,
);

/**
 * Recomputes P from the kept LSE and forms dS = P ⊙ (dO·vᵀ − DELTA), per (h, t, jj):
 * PD = [P (Hq·T·W), dS (Hq·T·W)].
 */
export const ATT_DS_WGSL = elementwise(
	'T: u32, Hq: u32, Hkv: u32, D: u32, W: u32, scale: f32, _a: u32, _b: u32',
	[
		'read Q: array<f32>',
		'read K: array<f32>',
		'read V: array<f32>',
		'read DO: array<f32>',
		'read POS: array<u32>',
		'read LD: array<f32>',
		'read_write PD: array<f32>',
	],
	`  let n = params.Hq * params.T * params.W;
  if (i >= n) { return; }
${scoreIndex('PD[i] = 0.0; PD[n + i] = 0.0;')}
  var sc = 0.0;
  var dp = 0.0;
  for (var e = 0u; e < params.D; e++) { sc += Q[qo + e] * K[ko + e]; dp += DO[qo + e] * V[ko + e]; }
  let r = t * params.Hq + h;
  let pr = exp(sc * params.scale - LD[r]);
  PD[i] = pr;
  PD[n + i] = pr * (dp - LD[params.T * params.Hq + r]);
`,
);

/** dQ[t, h, d] = scale · Σ_jj dS[h, t, jj]·K[t − pos[t] + jj, kvh, d]. */
export const ATT_DQ_WGSL = elementwise(
	'T: u32, Hq: u32, Hkv: u32, D: u32, W: u32, scale: f32, _a: u32, _b: u32',
	['read PD: array<f32>', 'read K: array<f32>', 'read POS: array<u32>', 'read_write DQ: array<f32>'],
	`${FEATURE_INDEX}
  let so = params.Hq * params.T * params.W + (h * params.T + t) * params.W;
  var s = 0.0;
  for (var jj = 0u; jj <= p; jj++) { s += PD[so + jj] * K[((t - p + jj) * params.Hkv + kvh) * params.D + d]; }
  DQ[i] = s * params.scale;
`,
);

/**
 * dK[j, g, d] = scale · Σ_{h in group g} Σ_{t >= j, same sequence} dS[h, t, j − start]·Q[t, h, d]
 * and dV[j, g, d] = Σ P[h, t, j − start]·dO[t, h, d]: the heads of a group add up in one loop.
 */
export const ATT_DKV_WGSL = elementwise(
	'T: u32, Hq: u32, Hkv: u32, D: u32, W: u32, scale: f32, _a: u32, _b: u32',
	[
		'read PD: array<f32>',
		'read Q: array<f32>',
		'read DO: array<f32>',
		'read POS: array<u32>',
		'read_write DK: array<f32>',
		'read_write DV: array<f32>',
	],
	`  if (i >= params.T * params.Hkv * params.D) { return; }
  let d = i % params.D;
  let g = (i / params.D) % params.Hkv;
  let j = i / (params.D * params.Hkv);
  let start = j - POS[j];
  let group = params.Hq / params.Hkv;
  let n = params.Hq * params.T * params.W;
  var sk = 0.0;
  var sv = 0.0;
  for (var t = j; t < params.T; t++) {
    if (t - POS[t] != start) { break; }
    let jj = j - start;
    for (var hh = 0u; hh < group; hh++) {
      let h = g * group + hh;
      let o = (h * params.T + t) * params.W + jj;
      let qo = (t * params.Hq + h) * params.D + d;
      sk += PD[n + o] * Q[qo];
      sv += PD[o] * DO[qo];
    }
  }
  DK[i] = sk * params.scale;
  DV[i] = sv;
`,
);

/** Partial sums of squares: workgroup wg of this dispatch writes PART[slot + wg]. */
export const SUMSQ_WGSL = `${kernelHeader('n: u32, slot: u32, _a: u32, _b: u32', ['read G: array<f32>', 'read_write PART: array<f32>'])}
${WG_REDUCE}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  var s = 0.0;
  for (var i = wg.x * WG + lid; i < params.n; i += nwg.x * WG) { let g = G[i]; s += g * g; }
  let t = wg_sum(s, lid);
  if (lid == 0u) { PART[params.slot + wg.x] = t; }
}
`;

/** OUT[0] = Σ PART[0 .. n): one workgroup (the squared global gradient norm). */
export const SUM_WGSL = `${kernelHeader('n: u32, _a: u32, _b: u32, _c: u32', ['read PART: array<f32>', 'read_write OUT: array<f32>'])}
${WG_REDUCE}
@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < params.n; i += WG) { s += PART[i]; }
  let t = wg_sum(s, lid);
  if (lid == 0u) { OUT[0] = t; }
}
`;

/**
 * AdamW with the clip factor min(1, clip / (sqrt(NORM[0]) + 1e-6)) read on the GPU (clip 0:
 * none), so clipping needs no readback.
 */
export const ADAMW_WGSL = elementwise(
	'n: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, clip: f32, _a: u32, _b: u32, _c: u32',
	[
		'read G: array<f32>',
		'read NORM: array<f32>',
		'read_write P: array<f32>',
		'read_write M: array<f32>',
		'read_write V: array<f32>',
	],
	`  if (i >= params.n) { return; }
  var scale = 1.0;
  if (params.clip > 0.0) { scale = min(1.0, params.clip / (sqrt(NORM[0]) + 1e-6)); }
  let g = G[i] * scale;
  let m = params.b1 * M[i] + (1.0 - params.b1) * g;
  let v = params.b2 * V[i] + (1.0 - params.b2) * g * g;
  M[i] = m;
  V[i] = v;
  let p = P[i];
  P[i] = p - params.lr * ((m / params.bc1) / (sqrt(v / params.bc2) + params.eps) + params.wd * p);
`,
);

/** L[t, :] *= S[t] over rows of [T, V]. */
export const SCALE_ROWS_WGSL = elementwise(
	'T: u32, V: u32, _a: u32, _b: u32',
	['read S: array<f32>', 'read_write L: array<f32>'],
	`  if (i >= params.T * params.V) { return; }
  L[i] *= S[i / params.V];
`,
);
