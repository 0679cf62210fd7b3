/**
 * The whole sampler in one workgroup of WG invocations (one dispatch, 8 bytes read back).
 * Filters never sort. Each is a threshold on a quantity that is monotone in a 32-bit key, found
 * by binary search, one workgroup reduction per step — the smallest key K with
 * measure(K) > goal (or >= goal), where measure(K) sums a weight over the tokens whose key <= K:
 *   top-k      key = order-preserving bits of s, weight 1:        count(<= K) > V - k   keep key >= K
 *   top-p      key = order-preserving bits of s, weight e^(s-m):  mass(<= K) > (1-p)·Z  keep key >= K
 *   typical-p  key = bits of |−log p − H| (>= 0), weight e^(s-m): mass(<= K) >= mass·Z keep key <= K
 * min-p is a plain threshold: e^(s - m) < min_p. All filters run through one loop with a single
 * search, so the shader has few reduction sites: CPU adapters turn every barrier into a
 * coroutine split, and a sampler with one search per filter took ~30 s to compile on lavapipe.
 * Removed tokens get REMOVED (a finite -3e38: WGSL does not promise inf arithmetic).
 * Invocation lid owns elements lid, lid + WG, … in the elementwise passes, so those need no
 * storage barrier; the penalty scatter and the final prefix walk do.
 */
import { WG_REDUCE } from '../common/reduce.wgsl.js';

export const SAMPLING_WGSL = `
struct Params {
  V: u32, nPrev: u32, temperature: f32, topK: u32,
  topP: f32, minP: f32, typicalP: f32, penalty: f32,
  u: f32, _p0: u32, _p1: u32, _p2: u32,
}
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> Logits: array<f32>;
@group(0) @binding(2) var<storage, read> Prev: array<u32>;
@group(0) @binding(3) var<storage, read_write> S: array<f32>;   // [V] processed scores
@group(0) @binding(4) var<storage, read_write> Out: array<u32>; // [token, kept count]
override WG: u32 = 256u;
const REMOVED = -3.0e38;
const TOP_K = 0u;
const TOP_P = 1u;
const MIN_P = 2u;
const TYPICAL = 3u;
${WG_REDUCE}
var<workgroup> redi: array<u32, WG>;

// Order-preserving map f32 -> u32 (negative values reversed below the positive ones).
fn key(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

struct Stats { m: f32, z: f32, lse: f32, ent: f32 }

// Max, partition function, log-sum-exp and entropy of softmax(S).
fn stats(lid: u32) -> Stats {
  var mx = REMOVED;
  for (var i = lid; i < params.V; i += WG) { mx = max(mx, S[i]); }
  let m = wg_max(mx, lid);
  var z = 0.0;
  for (var i = lid; i < params.V; i += WG) { z += exp(S[i] - m); }
  let zt = wg_sum(z, lid);
  let lse = m + log(zt);
  var e = 0.0;
  for (var i = lid; i < params.V; i += WG) {
    let lp = S[i] - lse;
    let p = exp(lp);
    if (p > 0.0) { e -= p * lp; }
  }
  return Stats(m, zt, lse, wg_sum(e, lid));
}

// The search key of a score for a filter.
fn fkey(f: u32, x: f32, st: Stats) -> u32 {
  if (f == TYPICAL) { return bitcast<u32>(abs(-(x - st.lse) - st.ent)); }
  return key(x);
}

fn measure_le(f: u32, k: u32, st: Stats, lid: u32) -> f32 {
  var acc = 0.0;
  for (var i = lid; i < params.V; i += WG) {
    let x = S[i];
    let w = select(exp(x - st.m), 1.0, f == TOP_K);
    acc += select(0.0, w, fkey(f, x, st) <= k);
  }
  return wg_sum(acc, lid);
}

fn enabled(f: u32) -> bool {
  switch f {
    case 0u: { return params.topK > 0u && params.topK < params.V; }
    case 1u: { return params.topP < 1.0; }
    case 2u: { return params.minP > 0.0; }
    default: { return params.typicalP < 1.0; }
  }
}

fn filters(lid: u32) {
  for (var f = TOP_K; f <= TYPICAL; f++) {
    if (!enabled(f)) { continue; }
    let st = stats(lid);
    if (f == MIN_P) {
      // prob_i < minP * prob_max  <=>  exp(s_i - max) < minP
      for (var i = lid; i < params.V; i += WG) { if (exp(S[i] - st.m) < params.minP) { S[i] = REMOVED; } }
      continue;
    }
    var goal = f32(params.V - params.topK);
    var hi = key(st.m);          // top-k and top-p always keep the max
    var inclusive = false;
    if (f == TOP_P) { goal = (1.0 - params.topP) * st.z; }
    if (f == TYPICAL) { goal = params.typicalP * st.z; hi = 0x7f800000u; inclusive = true; }
    var lo = 0u;
    while (lo < hi) {
      let mid = lo + (hi - lo) / 2u;
      let v = measure_le(f, mid, st, lid);
      if (v > goal || (inclusive && v == goal)) { hi = mid; } else { lo = mid + 1u; }
    }
    // Typical: lo is +inf's bits when rounding kept the mass below goal; nothing is removed then.
    for (var i = lid; i < params.V; i += WG) {
      let k = fkey(f, S[i], st);
      if (select((k < lo), (k > lo), f == TYPICAL)) { S[i] = REMOVED; }
    }
  }
}

fn argmax_all(lid: u32) -> u32 {
  var best = REMOVED;
  var bi = 0xffffffffu;
  for (var i = lid; i < params.V; i += WG) {
    if (S[i] > best || bi == 0xffffffffu) { best = S[i]; bi = i; }
  }
  red[lid] = best;
  redi[lid] = bi;
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    workgroupBarrier();
    if (lid < s) {
      let ov = red[lid + s];
      let oi = redi[lid + s];
      if (ov > red[lid] || (ov == red[lid] && oi < redi[lid])) { red[lid] = ov; redi[lid] = oi; }
    }
  }
  return workgroupUniformLoad(&redi[0]);
}

// Inverse CDF in id order: contiguous chunks per invocation, so a prefix over invocations is a
// prefix over ids; invocation 0 walks the chunk sums, then inside the chunk that crosses u·Z.
fn draw(lid: u32) {
  let V = params.V;
  var mx = REMOVED;
  for (var i = lid; i < V; i += WG) { mx = max(mx, S[i]); }
  let m = wg_max(mx, lid);
  let chunk = (V + WG - 1u) / WG;
  let c0 = min(lid * chunk, V);
  let c1 = min(c0 + chunk, V);
  storageBarrier();
  var part = 0.0;
  var kept = 0.0;
  var lastKept = -1.0; // ids < 2^24 are exact in f32
  for (var i = c0; i < c1; i++) {
    let x = S[i];
    part += exp(x - m);
    if (x > REMOVED) { kept += 1.0; lastKept = f32(i); }
  }
  let nKept = wg_sum(kept, lid);
  let fallback = u32(max(wg_max(lastKept, lid), 0.0)); // when rounding walks past the end
  red[lid] = part;
  workgroupBarrier();
  if (lid == 0u) {
    var total = 0.0;
    for (var t = 0u; t < WG; t++) { total += red[t]; }
    let goal = params.u * total;
    var cum = 0.0;
    var last = fallback;
    var found = false;
    for (var t = 0u; t < WG && !found; t++) {
      if (cum + red[t] > goal) {
        let a = min(t * chunk, V);
        let b = min(a + chunk, V);
        for (var i = a; i < b; i++) {
          cum += exp(S[i] - m);
          if (cum > goal) { last = i; found = true; break; }
        }
      } else {
        cum += red[t];
      }
    }
    Out[0] = last;
    Out[1] = u32(nKept);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let V = params.V;
  for (var i = lid; i < V; i += WG) { S[i] = Logits[i]; }
  storageBarrier();
  if (params.penalty != 1.0) {
    // Duplicated ids write the same value (all read the raw logit), as HF's gather/scatter.
    for (var j = lid; j < params.nPrev; j += WG) {
      let id = Prev[j];
      if (id < V) {
        let s = Logits[id];
        S[id] = select(s / params.penalty, s * params.penalty, s < 0.0);
      }
    }
  }
  storageBarrier();
  if (params.temperature == 0.0) {
    let t = argmax_all(lid);
    if (lid == 0u) { Out[0] = t; Out[1] = 1u; }
    return;
  }
  if (params.temperature != 1.0) {
    for (var i = lid; i < V; i += WG) { S[i] = S[i] / params.temperature; }
  }
  filters(lid);
  draw(lid);
}
`;
