/**
 * CPU reference of the residual add.
 *
 *   n = number of elements (any shape, flattened)
 *   out[i] = a[i] + b[i]
 */
export function addRef(a: Float32Array, b: Float32Array): Float32Array {
	return Float32Array.from(a, (v, i) => v + b[i]);
}
