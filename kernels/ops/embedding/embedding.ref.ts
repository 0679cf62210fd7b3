/**
 * CPU reference of the embedding lookup.
 *
 *   T = tokens, V = vocabulary size, D = model dim
 *   ids [T] (u32, each < V), table [V, D], out [T, D]:  out[t, :] = table[ids[t], :]
 */
export function embeddingRef(ids: Uint32Array, table: Float32Array, D: number): Float32Array {
	const out = new Float32Array(ids.length * D);
	ids.forEach((id, t) => out.set(table.subarray(id * D, (id + 1) * D), t * D));
	return out;
}
