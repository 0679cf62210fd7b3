import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELTA_MAGIC, DeltaFormatError, compressionRatio, crc32, decodeDelta, encodeDelta, encodedSize, fromBase64, fromHalf, readDeltaHeader, toBase64, toHalf } from './codec.js';
import { seededRandom } from '../testing/random.js';

const header = { jobId: 'job-1', round: 7, baseVersion: 7 };

function gaussian(n: number, seed: number, sigma = 1): Float32Array {
	const r = seededRandom(seed);
	const v = new Float32Array(n);
	for (let i = 0; i < n; i++) v[i] = sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
	return v;
}

describe('delta codec', () => {
	it('CRC-32 matches the standard check value', () => {
		expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
	});

	it('round-trips within max|x|/254 per block and keeps the header', () => {
		const delta = gaussian(10_000, 3, 0.01);
		delta[5] = 0.5; // one large value only coarsens its own block
		const bytes = encodeDelta(delta, header);
		const { header: h, delta: back } = decodeDelta(bytes);
		expect(h).toEqual({ ...header, count: 10_000, blockSize: 128, scale: 'f32' });
		for (let b = 0; b < delta.length; b += 128) {
			const block = delta.subarray(b, b + 128);
			const bound = Math.max(...Array.from(block, Math.abs)) / 254;
			for (let i = 0; i < block.length; i++) expect(Math.abs(back[b + i]! - block[i]!)).toBeLessThanOrEqual(bound * (1 + 1e-6));
		}
		// The large value's block is coarse; the others are not.
		expect(Math.abs(back[300]! - delta[300]!)).toBeLessThan(0.01 / 20);
	});

	it('property: error bound holds for any finite vector and block size', () => {
		fc.assert(
			fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 600 }), fc.integer({ min: 1, max: 300 }), (values, blockSize) => {
				const delta = Float32Array.from(values);
				const back = decodeDelta(encodeDelta(delta, header, { blockSize })).delta;
				for (let b = 0; b < delta.length; b += blockSize) {
					let max = 0;
					for (let i = b; i < Math.min(b + blockSize, delta.length); i++) max = Math.max(max, Math.abs(delta[i]!));
					for (let i = b; i < Math.min(b + blockSize, delta.length); i++) expect(Math.abs(back[i]! - delta[i]!)).toBeLessThanOrEqual((max / 254) * (1 + 1e-5) + 1e-30);
				}
			}),
			{ numRuns: 200 }
		);
	});

	it('compresses to at most 0.26 of fp32 (f32 scales) and less with f16 scales', () => {
		for (const n of [9604, 65_536, 1_000_000]) {
			const delta = gaussian(n, n, 1e-3);
			const bytes = encodeDelta(delta, header);
			expect(bytes.length).toBe(encodedSize(n, header.jobId));
			expect(compressionRatio(bytes.length, n)).toBeLessThanOrEqual(0.26);
		}
		const big = gaussian(1_000_000, 1, 1e-3);
		expect(compressionRatio(encodeDelta(big, header).length, big.length)).toBeCloseTo((128 + 4) / 512, 3);
		const half = encodeDelta(big, header, { scale: 'f16' });
		expect(compressionRatio(half.length, big.length)).toBeCloseTo((128 + 2) / 512, 3);
		const back = decodeDelta(half).delta;
		for (let i = 0; i < 1000; i++) expect(Math.abs(back[i]! - big[i]!)).toBeLessThan(1e-3 * 5 / 254 * 1.01);
	});

	it('rejects corrupted, truncated and foreign input', () => {
		const bytes = encodeDelta(gaussian(1000, 9), header);
		for (const at of [0, 5, 12, 30, 500, bytes.length - 1]) {
			const bad = bytes.slice();
			bad[at]! ^= 0x10;
			expect(() => decodeDelta(bad)).toThrow(DeltaFormatError);
		}
		expect(() => decodeDelta(bytes.subarray(0, bytes.length - 7))).toThrow(DeltaFormatError);
		expect(() => decodeDelta(new Uint8Array(10))).toThrow(/at least/);
		expect(() => decodeDelta(new TextEncoder().encode('{"not":"a delta at all, just some json"}'))).toThrow(new RegExp(DELTA_MAGIC));
		expect(() => fromBase64('***')).toThrow(DeltaFormatError);
		expect(readDeltaHeader(fromBase64(toBase64(bytes)))).toMatchObject({ count: 1000, round: 7 });
	});

	it('carries non-finite values through (the server refuses them, the codec does not hide them)', () => {
		const delta = gaussian(300, 2);
		delta[10] = Number.NaN;
		delta[200] = Number.POSITIVE_INFINITY;
		const back = decodeDelta(encodeDelta(delta, header)).delta;
		expect(Number.isNaN(back[10]!)).toBe(true);
		expect(Number.isFinite(back[200]!)).toBe(false);
		expect(Number.isFinite(back[260]!)).toBe(true); // the third block is clean
	});

	it('f16 conversion is exact on representable values and rounds to nearest', () => {
		for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 5.960464477539063e-8]) expect(fromHalf(toHalf(v))).toBe(v);
		expect(fromHalf(toHalf(1 + 1 / 4096))).toBe(1);
		expect(fromHalf(toHalf(70000))).toBe(Number.POSITIVE_INFINITY);
		expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true);
	});
});
