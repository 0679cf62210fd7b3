/**
 * The ggml block types llama-quantize mixes into real files (Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K,
 * Q6_K): decoding against per-element formulas written here from ggml's block layouts, the
 * exact repacks (Q4_1 → q4, Q5_0 → q8) and the q8 requantization of the rest, the precision
 * rule, and a mixed-type GGUF (as a Q4_K_M file mixes them) generating like the float64 reference.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { f16BitsToF32, f32ToF16Bits } from '../gpu/f16.js';
import { dequantizeQ4 } from '../quant/q4.js';
import { dequantizeQ8 } from '../quant/q8.js';
import { testContext } from '../testing/context.js';
import { ModelError } from './errors.js';
import { LlamaModel } from './llama.js';
import { LlamaRef, top2 } from './llama.ref.js';
import { openModel } from './model-files.js';
import { memoryQuantCache } from './quant-cache.js';
import { seededRandom } from './random.js';
import { blobSource } from './source.js';
import { folderSource } from './source-node.js';
import { decodeF32, readAs, storedBytes, type StoredDType, type StoredTensor } from './tensors.js';
import { ENCODINGS, requantizeGguf } from './testing/ggml-encode.js';
import { fixtureGguf, randomModel, type FixtureSpec } from './testing/fixtures.js';
import { refWeights } from './testing/ref-weights.js';
import { weightFormat } from './weights.js';

const f = Math.fround;
/** ggml's kvalues_iq4nl. */
const IQ4 = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const half = (b: Uint8Array, o: number) => f16BitsToF32(u16(b, o));
const bit = (b: Uint8Array, o: number, i: number) => (b[o + (i >> 3)] >> (i & 7)) & 1;
/** The 6-bit scale (which 0) or min (1) of sub-block j in the 12 packed bytes at `o` (Q4_K/Q5_K). */
function kScale(b: Uint8Array, o: number, j: number, which: 0 | 1): number {
	const lo = j < 4 ? b[o + j + 4 * which] & 63 : (b[o + j + 4] >> (4 * which)) & 15;
	return j < 4 ? lo : lo | ((b[o + j - 4 + 4 * which] >> 6) << 4);
}

/**
 * Weight e of the data, one element at a time, each f32 operation rounded as ggml's C does:
 * block = ⌊e / elements⌋, i = e mod elements, then the byte and bit that hold i.
 */
const FORMULAS: Record<string, (b: Uint8Array, e: number) => number> = {
	q4_1(b, e) {
		const o = (e >> 5) * 20;
		const i = e & 31;
		const q = (b[o + 4 + (i & 15)] >> (i < 16 ? 0 : 4)) & 15;
		return f(f(half(b, o) * q) + half(b, o + 2));
	},
	q5_0(b, e) {
		const o = (e >> 5) * 22;
		const i = e & 31;
		const q = ((b[o + 6 + (i & 15)] >> (i < 16 ? 0 : 4)) & 15) + 16 * bit(b, o + 2, i);
		return f(half(b, o) * (q - 16));
	},
	q5_1(b, e) {
		const o = (e >> 5) * 24;
		const i = e & 31;
		const q = ((b[o + 8 + (i & 15)] >> (i < 16 ? 0 : 4)) & 15) + 16 * bit(b, o + 4, i);
		return f(f(half(b, o) * q) + half(b, o + 2));
	},
	q2_k(b, e) {
		const o = (e >> 8) * 84;
		const i = e & 255;
		// qs byte: 32 per 128 weights, index i mod 32; 2-bit field: (i mod 128) / 32
		const q = (b[o + 16 + 32 * (i >> 7) + (i & 31)] >> (2 * ((i & 127) >> 5))) & 3;
		const sc = b[o + (i >> 4)];
		return f(f(f(half(b, o + 80) * (sc & 15)) * q) - f(half(b, o + 82) * (sc >> 4)));
	},
	q3_k(b, e) {
		const o = (e >> 8) * 110;
		const i = e & 255;
		const j = i >> 4;
		const lo = (b[o + 96 + (j & 7)] >> (j < 8 ? 0 : 4)) & 15;
		const hi = (b[o + 104 + (j & 3)] >> (2 * (j >> 2))) & 3;
		const q = ((b[o + 32 + 32 * (i >> 7) + (i & 31)] >> (2 * ((i & 127) >> 5))) & 3) - (((b[o + (i & 31)] >> (i >> 5)) & 1) === 1 ? 0 : 4);
		return f(f(half(b, o + 108) * ((lo | (hi << 4)) - 32)) * q);
	},
	q5_k(b, e) {
		const o = (e >> 8) * 176;
		const i = e & 255;
		const j = i >> 5;
		const q = ((b[o + 48 + 32 * (i >> 6) + (i & 31)] >> (4 * (j & 1))) & 15) + 16 * ((b[o + 16 + (i & 31)] >> j) & 1);
		return f(f(f(half(b, o) * kScale(b, o + 4, j, 0)) * q) - f(half(b, o + 2) * kScale(b, o + 4, j, 1)));
	},
	iq4_nl(b, e) {
		const o = (e >> 5) * 18;
		const i = e & 31;
		return f(half(b, o) * IQ4[(b[o + 2 + (i & 15)] >> (i < 16 ? 0 : 4)) & 15]);
	},
	iq4_xs(b, e) {
		const o = (e >> 8) * 136;
		const i = e & 255;
		const j = i >> 5;
		// 6-bit scale of block j: low 4 bits from byte 4 + j/2 (nibble j % 2), high 2 from the u16 at 2.
		const ls = ((b[o + 4 + (j >> 1)] >> (4 * (j & 1))) & 15) | (((u16(b, o + 2) >> (2 * j)) & 3) << 4);
		const q = (b[o + 8 + 16 * j + (i & 15)] >> ((i & 31) < 16 ? 0 : 4)) & 15;
		return f(f(half(b, o) * (ls - 32)) * IQ4[q]);
	},
	q6_k(b, e) {
		const o = (e >> 8) * 210;
		const i = e & 255;
		const h = i >> 7;
		const r = i & 127;
		const low = (b[o + 64 * h + (r & 63)] >> (4 * (r >> 6))) & 15;
		const high = (b[o + 128 + 32 * h + (r & 31)] >> (2 * (r >> 5))) & 3;
		const sc = (b[o + 192 + (i >> 4)] << 24) >> 24;
		return f(f(half(b, o + 208) * sc) * ((low | (high << 4)) - 32));
	}
};

/** Block bytes and the offsets of the f16 scales in each block, which are set to finite values. */
const LAYOUT: Record<string, { elements: number; scales: number[] }> = {
	q4_1: { elements: 32, scales: [0, 2] },
	q5_0: { elements: 32, scales: [0] },
	q5_1: { elements: 32, scales: [0, 2] },
	q2_k: { elements: 256, scales: [80, 82] },
	q3_k: { elements: 256, scales: [108] },
	q5_k: { elements: 256, scales: [0, 2] },
	q6_k: { elements: 256, scales: [208] },
	iq4_nl: { elements: 32, scales: [0] },
	iq4_xs: { elements: 256, scales: [0] }
};

/** Random blocks: random quant bytes, f16 scales from small positive floats. */
function randomBlocks(dtype: StoredDType, n: number, seed: number): Uint8Array {
	const rand = seededRandom(seed);
	const bytes = new Uint8Array(storedBytes(dtype, n));
	for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
	const { elements, scales } = LAYOUT[dtype];
	const size = storedBytes(dtype, elements);
	const dv = new DataView(bytes.buffer);
	for (let b = 0; b < n / elements; b++) for (const o of scales) dv.setUint16(b * size + o, f32ToF16Bits(0.002 + rand() * 0.05), true);
	return bytes;
}

/** `data` as the tensor `name` of shape [rows, cols] in an in-memory file, for readAs. */
function memoryTensor(dtype: StoredDType, data: Uint8Array, rows: number, cols: number) {
	const source = blobSource(new Map([['t.gguf', new Blob([data.slice()])]]));
	const tensor: StoredTensor = { name: 'w', fileName: 'w', file: 't.gguf', dtype, shape: [rows, cols], start: 0, end: data.length };
	return { source, tensor };
}

describe('ggml block types', () => {
	for (const dtype of Object.keys(FORMULAS) as StoredDType[]) {
		it(`${dtype} decodes like ggml's layout, element by element`, () => {
			const n = LAYOUT[dtype].elements * 12;
			const bytes = randomBlocks(dtype, n, n + dtype.length);
			const got = decodeF32(dtype, bytes, n);
			const bad = Array.from(got).findIndex((v, e) => !Object.is(v, FORMULAS[dtype](bytes, e)));
			expect(bad, `${dtype}: element ${bad} is ${got[bad]}, expected ${FORMULAS[dtype](bytes, bad)}`).toBe(-1);
			expect(got.some((v) => v !== 0)).toBe(true);
		});
	}

	it('Q4_1 → q4 and Q5_0, IQ4_NL, IQ4_XS → q8 repack exactly', async () => {
		for (const [dtype, format] of [
			['q4_1', 'q4'],
			['q5_0', 'q8'],
			['iq4_nl', 'q8'],
			['iq4_xs', 'q8']
		] as const) {
			const [rows, cols] = [3, dtype === 'iq4_xs' ? 512 : 96];
			const bytes = randomBlocks(dtype, rows * cols, 5);
			const { source, tensor } = memoryTensor(dtype, bytes, rows, cols);
			const data = (await readAs(source, tensor, format)) as Uint32Array;
			const back = format === 'q4' ? dequantizeQ4(data, rows, cols) : dequantizeQ8(data, rows, cols);
			const want = decodeF32(dtype, bytes, rows * cols);
			expect(back.every((v, i) => Object.is(v, want[i]))).toBe(true);
		}
	});

	it('Q5_1, Q2_K, Q3_K, Q5_K and Q6_K requantize into q8 within half a q8 step per block', async () => {
		// 20,480 weights: more than one 16,384-weight decode chunk.
		const [rows, cols] = [2, 10240];
		for (const dtype of ['q5_1', 'q2_k', 'q3_k', 'q5_k', 'q6_k'] as const) {
			const bytes = randomBlocks(dtype, rows * cols, 9);
			const { source, tensor } = memoryTensor(dtype, bytes, rows, cols);
			const back = dequantizeQ8((await readAs(source, tensor, 'q8')) as Uint32Array, rows, cols);
			const want = decodeF32(dtype, bytes, rows * cols);
			for (let b = 0; b < (rows * cols) / 32; b++) {
				const block = want.subarray(b * 32, b * 32 + 32);
				const amax = Math.max(...block.map(Math.abs));
				const worst = Math.max(...block.map((w, j) => Math.abs(back[b * 32 + j] - w)));
				expect(worst, `${dtype} block ${b}`).toBeLessThanOrEqual(amax / 254 + amax * 2 ** -22);
			}
		}
	});

	it('GGUF block types keep their nearest format under every --quant', () => {
		const t = (dtype: StoredDType): StoredTensor => ({ name: 'w', fileName: 'w', file: 'x', dtype, shape: [256, 256], start: 0, end: 0 });
		for (const quant of ['none', 'f16', 'q8', 'q4'] as const) {
			for (const dtype of ['q8_0', 'q5_0', 'q5_1', 'q2_k', 'q3_k', 'q5_k', 'q6_k', 'iq4_nl', 'iq4_xs'] as const) expect(weightFormat(t(dtype), quant, true)).toBe('q8');
			for (const dtype of ['q4_0', 'q4_1', 'q4_k'] as const) expect(weightFormat(t(dtype), quant, true)).toBe('q4');
		}
	});
});

describe('a GGUF mixing block types as llama-quantize does', () => {
	// hidden 256: K types fit the 256-column rows; ffn_down has 96 columns, so (as llama-quantize
	// falls back) it takes a 32-block type.
	const SPEC: FixtureSpec = { arch: 'llama', vocab: 97, hidden: 256, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, tie: false, seed: 23 };
	let ctx: GpuContext;
	let dir: string;
	beforeAll(async () => {
		ctx = await testContext();
		dir = await mkdtemp(join(tmpdir(), 'oasis-ggml-'));
	});
	afterAll(async () => {
		ctx?.destroy();
		await rm(dir, { recursive: true, force: true });
	});

	/** token_embd/output/attn_v Q6_K, ffn_up Q4_1, ffn_down Q5_0, the other matrices Q5_K. */
	function pick(name: string, shape: number[]) {
		if (shape.length < 2) return null;
		if (/^(token_embd|output)\.weight$|attn_v/.test(name)) return ENCODINGS.Q6_K;
		if (name.includes('ffn_up')) return ENCODINGS.Q4_1;
		if (name.includes('ffn_down')) return ENCODINGS.Q5_0;
		return ENCODINGS.Q5_K;
	}

	it('loads and generates like the reference on its decoded weights', async () => {
		const file = await requantizeGguf(fixtureGguf(randomModel(SPEC)), pick);
		await writeFile(join(dir, 'mixed.gguf'), file);
		const files = await openModel(folderSource(dir), 'mixed.gguf');
		const dtypes = (re: RegExp) => new Set([...files.index.tensors.values()].filter((t) => re.test(t.fileName)).map((t) => t.dtype));
		expect(dtypes(/^(token_embd|output)\.|attn_v/)).toEqual(new Set(['q6_k']));
		expect(dtypes(/ffn_up/)).toEqual(new Set(['q4_1']));
		expect(dtypes(/ffn_down/)).toEqual(new Set(['q5_0']));
		expect(dtypes(/attn_[qk]\.|attn_output|ffn_gate/)).toEqual(new Set(['q5_k']));

		// The encoders are sane: the decoded weights are near the originals.
		const f16File = await openModel(blobSource(new Map([['f16.gguf', new Blob([fixtureGguf(randomModel(SPEC)).slice()])]])), 'f16.gguf');
		for (const [name, t] of files.index.tensors) {
			if (t.shape.length < 2) continue;
			const orig = f16File.index.tensors.get(name)!;
			const a = decodeF32(t.dtype, (await files.source.readRange(t.file, t.start, t.end)), t.shape[0] * t.shape[1]);
			const o = decodeF32(orig.dtype, await f16File.source.readRange(orig.file, orig.start, orig.end), a.length);
			const amax = Math.max(...o.map(Math.abs));
			expect(Math.max(...a.map((v, i) => Math.abs(v - o[i]))), name).toBeLessThan(amax / 8);
		}

		const prompt = [3, 1, 4, 1, 5];
		const cache = memoryQuantCache();
		const model = await LlamaModel.load(ctx, files, { maxSeq: 32, cache });
		expect(model.stats.formats).toEqual({ q8: 2 + 6 * SPEC.layers, q4: SPEC.layers });
		// Requantized tensors (Q6_K, Q5_K) are cached; exact repacks (Q4_1, Q5_0) need not be.
		const requantized = 2 + 5 * SPEC.layers;
		expect(model.stats).toMatchObject({ quantized: requantized, cacheHits: 0 });
		expect(cache.size()).toBe(requantized);
		const logits: Float32Array[] = [];
		const r = await model.generate(prompt, { maxTokens: 16, sampling: { temperature: 0 }, stopIds: [], onLogits: (l) => logits.push(l) });
		model.destroy();
		const ref = new LlamaRef(files.config, await refWeights(files));
		let want = ref.forward(prompt);
		for (let i = 0; i < 16; i++) {
			const maxRef = Math.max(...want.map(Math.abs));
			for (let j = 0; j < want.length; j++) expect(Math.abs(logits[i][j] - want[j]) / maxRef).toBeLessThan(1e-3);
			const { best, gap } = top2(want);
			if (gap >= 1e-3) expect(r.ids[i]).toBe(best);
			want = ref.forwardOne(r.ids[i]);
		}
		const again = await LlamaModel.load(ctx, files, { maxSeq: 32, cache });
		const r2 = await again.generate(prompt, { maxTokens: 16, sampling: { temperature: 0 }, stopIds: [] });
		again.destroy();
		expect(again.stats.cacheHits).toBe(requantized);
		expect(r2.ids).toEqual(r.ids);
	});

	it('refuses a K type whose rows are not whole 256-weight blocks', async () => {
		// hidden 64: token_embd (checked first) has 64 columns; Q6_K-typed bytes of the right size.
		const q6kBytes = { type: 14, encode: (x: Float32Array) => new Uint8Array(Math.ceil(x.length / 256) * 210) };
		const bytes = await requantizeGguf(fixtureGguf(randomModel({ ...SPEC, hidden: 64 })), (_name, shape) => (shape.length < 2 ? null : q6kBytes));
		await writeFile(join(dir, 'ragged.gguf'), bytes);
		const e = await openModel(folderSource(dir), 'ragged.gguf').catch((err: unknown) => err);
		expect(e).toBeInstanceOf(ModelError);
		expect((e as ModelError).message).toMatch(/ragged\.gguf: tensor \S+ has 64 columns, not a multiple of its 256-element blocks/);
	});
});
