/**
 * A minimal GGUF v3 writer (test fixtures, conversions): metadata of the common types and
 * tensors already encoded in a ggml type. The reader is gguf.ts.
 */

export type GgufWriteValue =
	| { type: 'u32' | 'i32' | 'f32' | 'u8' | 'u16'; value: number }
	| { type: 'bool'; value: boolean }
	| { type: 'string'; value: string }
	| { type: 'array'; of: 'string' | 'i32' | 'f32'; value: (string | number)[] };

export interface GgufWriteTensor {
	name: string;
	/** Row-major shape (written innermost-first). */
	shape: number[];
	/**
	 * ggml type id: 0 F32, 1 F16, 2 Q4_0, 3 Q4_1, 6 Q5_0, 7 Q5_1, 8 Q8_0, 10 Q2_K, 11 Q3_K,
	 * 12 Q4_K, 13 Q5_K, 14 Q6_K, 30 BF16 (the ones gguf.ts reads); `data` already in that layout.
	 */
	type: number;
	data: Uint8Array;
}

const TYPE_IDS = { u8: 0, u16: 2, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9 } as const;

class Bytes {
	private parts: Uint8Array[] = [];
	length = 0;
	push(b: Uint8Array): void {
		this.parts.push(b);
		this.length += b.length;
	}
	num(kind: 'u32' | 'i32' | 'f32' | 'u64' | 'u8' | 'u16', v: number): void {
		const b = new Uint8Array(kind === 'u64' ? 8 : kind === 'u8' ? 1 : kind === 'u16' ? 2 : 4);
		const dv = new DataView(b.buffer);
		if (kind === 'u32') dv.setUint32(0, v, true);
		else if (kind === 'u16') dv.setUint16(0, v, true);
		else if (kind === 'i32') dv.setInt32(0, v, true);
		else if (kind === 'f32') dv.setFloat32(0, v, true);
		else if (kind === 'u8') dv.setUint8(0, v);
		else dv.setBigUint64(0, BigInt(v), true);
		this.push(b);
	}
	str(s: string): void {
		const b = new TextEncoder().encode(s);
		this.num('u64', b.length);
		this.push(b);
	}
	concat(): Uint8Array {
		const out = new Uint8Array(this.length);
		let p = 0;
		for (const b of this.parts) {
			out.set(b, p);
			p += b.length;
		}
		return out;
	}
}

/** Serializes a GGUF v3 file with 32-byte alignment. */
export function writeGguf(metadata: Record<string, GgufWriteValue>, tensors: GgufWriteTensor[]): Uint8Array {
	const h = new Bytes();
	h.num('u32', 0x46554747);
	h.num('u32', 3);
	h.num('u64', tensors.length);
	h.num('u64', Object.keys(metadata).length);
	for (const [key, v] of Object.entries(metadata)) {
		h.str(key);
		h.num('u32', TYPE_IDS[v.type]);
		if (v.type === 'string') h.str(v.value);
		else if (v.type === 'bool') h.num('u8', v.value ? 1 : 0);
		else if (v.type === 'array') {
			h.num('u32', TYPE_IDS[v.of]);
			h.num('u64', v.value.length);
			for (const x of v.value) {
				if (v.of === 'string') h.str(String(x));
				else h.num(v.of, Number(x));
			}
		} else h.num(v.type, v.value);
	}
	let off = 0;
	const offsets: number[] = [];
	for (const t of tensors) {
		h.str(t.name);
		h.num('u32', t.shape.length);
		for (const d of [...t.shape].reverse()) h.num('u64', d);
		h.num('u32', t.type);
		h.num('u64', off);
		offsets.push(off);
		off = Math.ceil((off + t.data.length) / 32) * 32;
	}
	const head = h.concat();
	const start = Math.ceil(head.length / 32) * 32;
	const out = new Uint8Array(start + off);
	out.set(head, 0);
	tensors.forEach((t, i) => out.set(t.data, start + offsets[i]));
	return out;
}
