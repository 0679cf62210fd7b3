/**
 * WGSL snippets that read a weight matrix W [rows, K] in any storage format, so matvec,
 * matmul and embedding share one kernel body per format:
 *   fn w4(row: u32, k: u32) -> vec4<f32>   W[row, k..k+3], k % 4 == 0 (vector path)
 *   fn w1(row: u32, k: u32) -> f32         W[row, k]      (scalar path, f32/f16 only)
 * The caller declares `var<storage, read> W: array<...>` through `weightDecl`.
 * f16 weights are widened to f32 per element: products and sums stay f32 (accuracy), while
 * memory traffic — what decode is bound by — is halved.
 */
import type { WeightFormat } from '../gpu/tensor.js';

/** Whether the kernel can use the vec4 path: K % 4 == 0 (always true for q8/q4, K % 32 == 0). */
export function useVec4(format: WeightFormat, cols: number): boolean {
	return format === 'q8' || format === 'q4' || cols % 4 === 0;
}

/** `enable` directives a format needs. */
export function weightEnables(format: WeightFormat): string {
	return format === 'f16' ? 'enable f16;\n' : '';
}

/** Declaration of W at `binding` (group 0), read-only, plus `w4`/`w1` for `format`. */
export function weightAccess(format: WeightFormat, vec4: boolean, binding: number, kName = 'params.K'): string {
	const decl = (t: string) => `@group(0) @binding(${binding}) var<storage, read> W: array<${t}>;\n`;
	switch (format) {
		case 'f32':
		case 'f16': {
			const s = format;
			if (vec4) {
				return (
					decl(`vec4<${s}>`) +
					`fn w4(row: u32, k: u32) -> vec4<f32> { return vec4<f32>(W[(row * ${kName} + k) / 4u]); }\n`
				);
			}
			return decl(s) + `fn w1(row: u32, k: u32) -> f32 { return f32(W[row * ${kName} + k]); }\n`;
		}
		case 'q8':
			return (
				decl('u32') +
				`fn w4(row: u32, k: u32) -> vec4<f32> {
  let base = (row * (${kName} / 32u) + k / 32u) * 9u;
  let d = bitcast<f32>(W[base]);
  let word = W[base + 1u + (k % 32u) / 4u];
  // Sign-extend each byte: move it to the top, then arithmetic-shift back down.
  let q = bitcast<vec4<i32>>(vec4<u32>(word) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
  return d * vec4<f32>(q);
}
`
			);
		case 'q4':
			return (
				decl('u32') +
				`fn w4(row: u32, k: u32) -> vec4<f32> {
  let base = (row * (${kName} / 32u) + k / 32u) * 5u;
  let dm = unpack2x16float(W[base]);
  let j = k % 32u;
  let word = W[base + 1u + j / 8u];
  let q = (vec4<u32>(word) >> (vec4<u32>(0u, 4u, 8u, 12u) + 4u * (j % 8u))) & vec4<u32>(15u);
  return dm.x * vec4<f32>(q) + dm.y;
}
`
			);
	}
}

/**
 * For q8/q4: `fn wdot32(row, b, xq) -> f32`, the dot product of block b of W's row with 32
 * activations X[xq .. xq + 8) (X: array<vec4<f32>>). Whole-block loops load each scale once
 * and unpack a word per vec4 (q8) or two vec4s (q4), instead of re-deriving both per vec4.
 * `x` renders the load of activation vec4 `i` (default `X[i]`; fused kernels pass a function
 * call that applies a norm weight on the fly).
 */
export function weightBlockDot(format: 'q8' | 'q4', kName = 'params.K', x: (i: string) => string = (i) => `X[${i}]`): string {
	if (format === 'q8') {
		return `fn wdot32(row: u32, b: u32, xq: u32) -> f32 {
  let base = (row * (${kName} / 32u) + b) * 9u;
  var s = vec4<f32>(0.0);
  for (var j = 0u; j < 8u; j++) {
    let q = bitcast<vec4<i32>>(vec4<u32>(W[base + 1u + j]) << vec4<u32>(24u, 16u, 8u, 0u)) >> vec4<u32>(24u);
    s += ${x('xq + j')} * vec4<f32>(q);
  }
  return bitcast<f32>(W[base]) * (s.x + s.y + s.z + s.w);
}
`;
	}
	return `fn wdot32(row: u32, b: u32, xq: u32) -> f32 {
  let base = (row * (${kName} / 32u) + b) * 5u;
  let dm = unpack2x16float(W[base]);
  var s = vec4<f32>(0.0);
  var sx = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    let w = vec4<u32>(W[base + 1u + j]);
    let x0 = ${x('xq + 2u * j')};
    let x1 = ${x('xq + 2u * j + 1u')};
    s += x0 * vec4<f32>((w >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(15u));
    s += x1 * vec4<f32>((w >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(15u));
    sx += x0 + x1;
  }
  // sum_j (d q_j + m) x_j = d · sum_j q_j x_j + m · sum_j x_j
  return dm.x * (s.x + s.y + s.z + s.w) + dm.y * (sx.x + sx.y + sx.z + sx.w);
}
`;
}
