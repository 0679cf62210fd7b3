/**
 * CPU reference of the SwiGLU gate.
 *
 *   n = elements (M tokens × I intermediate features, flattened)
 *   out[i] = silu(gate[i]) · up[i],  silu(g) = g · sigmoid(g) = g / (1 + e^-g)
 */
export function siluMulRef(gate: Float32Array, up: Float32Array): Float32Array {
	return Float32Array.from(gate, (g, i) => (g / (1 + Math.exp(-g))) * up[i]);
}
