/**
 * Host-side IEEE 754 half-precision conversion (Node 20 has no Float16Array / Math.f16round).
 * f16 tensors travel as Uint16Array bit patterns.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds an f32 value to the nearest f16 (ties to even) and returns its bits. */
export function f32ToF16Bits(value: number): number {
	f32[0] = value;
	const x = u32[0];
	const sign = (x >>> 16) & 0x8000;
	const exp = (x >>> 23) & 0xff;
	let mant = x & 0x7fffff;
	if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
	const e = exp - 127 + 15;
	if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
	if (e <= 0) {
		// Subnormal half (or zero): shift the implicit 1 in and round to nearest even.
		if (e < -10) return sign;
		mant |= 0x800000;
		const shift = 14 - e;
		const half = 1 << (shift - 1);
		const rest = mant & ((1 << shift) - 1);
		let h = mant >>> shift;
		if (rest > half || (rest === half && (h & 1))) h++;
		return sign | h;
	}
	const rest = mant & 0x1fff;
	let h = (e << 10) | (mant >>> 13);
	if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent: correct
	return sign | h;
}

/** Converts f16 bits to a JS number. */
export function f16BitsToF32(h: number): number {
	const sign = h & 0x8000 ? -1 : 1;
	const exp = (h >>> 10) & 0x1f;
	const mant = h & 0x3ff;
	if (exp === 0) return sign * mant * 2 ** -24;
	if (exp === 0x1f) return mant ? NaN : sign * Infinity;
	return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Rounds each value to f16 and returns the bit patterns. */
export function toF16Array(values: ArrayLike<number>): Uint16Array {
	const out = new Uint16Array(values.length);
	for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
	return out;
}

/** Decodes f16 bit patterns to f32. */
export function fromF16Array(bits: Uint16Array): Float32Array {
	const out = new Float32Array(bits.length);
	for (let i = 0; i < bits.length; i++) out[i] = f16BitsToF32(bits[i]);
	return out;
}

/** Rounds a value to the nearest f16 value (like Math.f16round). */
export function f16Round(value: number): number {
	return f16BitsToF32(f32ToF16Bits(value));
}
