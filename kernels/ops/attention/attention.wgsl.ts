/**
 * Causal GQA attention over the KV cache, one workgroup per (query token, query head) — and,
 * in the split variant, per range of keys too. Keys are visited in chunks of WG: each
 * invocation scores one key of the chunk, then the chunk's probabilities are folded into an
 * online softmax (running max m, running sum l, rescaled accumulators), so no [T, S] score
 * matrix is materialized and the cache length is unbounded by shared memory. Each invocation
 * owns up to 4 output features d = lid + a·WG, so head dims up to 4·WG are supported.
 *
 * Variants:
 *   full     one workgroup walks all keys of its query and writes the normalized output;
 *   partial  flash-decoding: workgroup (query, split) walks keys [split·L, split·L + L) and
 *            writes its unnormalized (m, l, acc) — decode has only Hq queries, too few
 *            workgroups to fill a GPU, so the keys are spread over many workgroups instead;
 *   combine  merges the splits: out = Σ acc_s e^(m_s - M) / Σ l_s e^(m_s - M).
 * The range, the online-softmax walk and the write are ./online-softmax.wgsl.ts, shared with
 * the fused decode attention.
 */
import { attentionRange, attentionWrite, NEG_BIG, onlineSoftmax, type AttentionMode } from './online-softmax.wgsl.js';

export type { AttentionMode } from './online-softmax.wgsl.js';

const HEADER = `
struct Params { T: u32, Hq: u32, Hkv: u32, D: u32, p0: u32, scale: f32, splits: u32, splitLen: u32 }
@group(0) @binding(0) var<uniform> params: Params;
override WG: u32 = 64u;
${NEG_BIG}
`;

/** Renders the attention kernel (full or partial) for an f32 or f16 KV cache. */
export function renderAttention(mode: AttentionMode, kv: 'f32' | 'f16' = 'f32'): string {
	const outputs =
		mode === 'full'
			? `@group(0) @binding(4) var<storage, read_write> O: array<f32>;    // [T, Hq, D]`
			: `@group(0) @binding(4) var<storage, read_write> PartAcc: array<f32>; // [T·Hq, splits, D]
@group(0) @binding(5) var<storage, read_write> PartML: array<vec2<f32>>; // [T·Hq, splits] (m, l)`;
	const walk = onlineSoftmax({
		score: `      let kb = j * kvStride + kvh * D;
      s = 0.0;
      for (var d = 0u; d < D; d++) { s += qs[d] * f32(Kc[kb + d]); }`,
		valueBase: '      let vb = (c0 + i) * kvStride + kvh * D;',
		value: 'f32(Vc[vb + d])',
	});
	return `${kv === 'f16' ? 'enable f16;' : ''}
${HEADER}
@group(0) @binding(1) var<storage, read> Q: array<f32>;      // [T, Hq, D]
@group(0) @binding(2) var<storage, read> Kc: array<${kv}>;     // [S, Hkv, D]
@group(0) @binding(3) var<storage, read> Vc: array<${kv}>;     // [S, Hkv, D]
${outputs}

var<workgroup> qs: array<f32, 4 * WG>;
var<workgroup> p: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let wid = wg.x + wg.y * nwg.x;
  let idx = wid / params.splits;   // query token t and head h
  let split = wid % params.splits;
  if (idx >= params.T * params.Hq) { return; } // uniform: per workgroup
  let t = idx / params.Hq;
  let h = idx % params.Hq;
  let kvh = h / (params.Hq / params.Hkv);
  let D = params.D;
  let qBase = idx * D;
  for (var d = lid; d < D; d += WG) { qs[d] = Q[qBase + d] * params.scale; }
  workgroupBarrier();

  let nKeys = params.p0 + t + 1u; // causal: positions 0 ..= p0 + t
${attentionRange(mode)}
  let kvStride = params.Hkv * D;
${walk}
${attentionWrite(mode, 'qBase', 'idx')}
}
`;
}

/** Merges the per-split partial results of `renderAttention('partial')`. */
export function renderAttentionCombine(): string {
	return COMBINE;
}

const COMBINE = `${HEADER}
@group(0) @binding(1) var<storage, read> PartAcc: array<f32>;
@group(0) @binding(2) var<storage, read> PartML: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = wg.x + wg.y * nwg.x;
  if (idx >= params.T * params.Hq) { return; }
  let base = idx * params.splits;
  var mx = NEG_BIG;
  for (var s = 0u; s < params.splits; s++) { mx = max(mx, PartML[base + s].x); }
  var l = 0.0;
  for (var s = 0u; s < params.splits; s++) { let ml = PartML[base + s]; l += ml.y * exp(ml.x - mx); }
  let inv = 1.0 / l;
  for (var d = lid; d < params.D; d += WG) {
    var o = 0.0;
    for (var s = 0u; s < params.splits; s++) {
      o += PartAcc[(base + s) * params.D + d] * exp(PartML[base + s].x - mx);
    }
    O[idx * params.D + d] = o * inv;
  }
}
`;
