/**
 * q8/q4 CPU references: exact bit layout on hand-built blocks, and round-trip error bounds on
 * random data (q8: |x - x̂| <= d/2 with d = max|x|/127; q4: |x - x̂| <= d/2 plus the f16 rounding
 * of d and m). The GPU side of the formats is tested through matmul/matvec/embedding.
 */
import { describe, expect, it } from 'vitest';
import { normal, rng } from '../testing/rng.js';
import { f32ToF16Bits } from '../gpu/f16.js';
import { dequantizeQ8, quantizeQ8 } from './q8.js';
import { dequantizeQ4, quantizeQ4 } from './q4.js';

describe('q8', () => {
	it('packs scale and int8 values as documented', () => {
		const x = new Float32Array(32);
		x[0] = 127;
		x[1] = -127;
		x[5] = 3;
		const q = quantizeQ8(x, 1, 32);
		expect(q.length).toBe(9);
		expect(q[0]).toBe(0x3f800000); // d = 1.0f
		expect(q[1]).toBe(0x0000817f); // bytes: 127, -127 (0x81), 0, 0
		expect(q[2]).toBe(0x00000300); // element 5 = byte 1 of word 2
		expect(Array.from(dequantizeQ8(q, 1, 32))).toEqual(Array.from(x));
	});

	it('round-trips within half a step per block', () => {
		const [rows, cols] = [7, 96];
		const x = normal(rng(1), rows * cols, 2);
		const y = dequantizeQ8(quantizeQ8(x, rows, cols), rows, cols);
		for (let b = 0; b < (rows * cols) / 32; b++) {
			const blk = x.subarray(b * 32, b * 32 + 32);
			const d = Math.max(...blk.map(Math.abs)) / 127;
			for (let j = 0; j < 32; j++) expect(Math.abs(blk[j] - y[b * 32 + j])).toBeLessThanOrEqual(d / 2 + 1e-6);
		}
	});

	it('handles all-zero blocks', () => {
		expect(Array.from(dequantizeQ8(quantizeQ8(new Float32Array(32), 1, 32), 1, 32))).toEqual(new Array(32).fill(0));
	});
});

describe('q4', () => {
	it('packs (f16 scale, f16 min) and nibbles as documented', () => {
		const x = Float32Array.from({ length: 32 }, (_, j) => (j % 16) - 8); // min -8, max 7: d = 1
		const q = quantizeQ4(x, 1, 32);
		expect(q.length).toBe(5);
		expect(q[0] & 0xffff).toBe(f32ToF16Bits(1));
		expect(q[0] >>> 16).toBe(f32ToF16Bits(-8));
		expect(q[1]).toBe(0x76543210); // elements 0..7 = q 0..7, element 0 in the low nibble
		expect(q[2]).toBe(0xfedcba98);
		expect(Array.from(dequantizeQ4(q, 1, 32))).toEqual(Array.from(x));
	});

	it('round-trips within half a step (plus f16 rounding) per block', () => {
		const [rows, cols] = [5, 64];
		const x = normal(rng(2), rows * cols, 1.5);
		const y = dequantizeQ4(quantizeQ4(x, rows, cols), rows, cols);
		for (let b = 0; b < (rows * cols) / 32; b++) {
			const blk = Array.from(x.subarray(b * 32, b * 32 + 32));
			const range = Math.max(...blk) - Math.min(...blk);
			const bound = (range / 15) * 0.5 + range * 2e-3; // f16 d and m: ~1e-3 relative each
			blk.forEach((v, j) => expect(Math.abs(v - y[b * 32 + j])).toBeLessThanOrEqual(bound));
		}
	});

	it('rejects rows that are not whole blocks', () => {
		expect(() => quantizeQ4(new Float32Array(40), 1, 40)).toThrow(/multiple of 32/);
		expect(() => quantizeQ8(new Float32Array(40), 1, 40)).toThrow(/multiple of 32/);
	});
});
