/** Config parsing and safetensors headers (pure logic: runs in Node and in the browser). */
import { describe, expect, it } from 'vitest';
import { parseHfConfig, ropeAttentionScale, ropeFrequencies } from './config.js';
import { ModelError } from './errors.js';
import { readSafetensorsHeader, writeSafetensors } from './safetensors.js';
import { blobSource } from './source.js';
import type { TensorIndex } from './tensors.js';

const base = {
	model_type: 'llama',
	vocab_size: 100,
	hidden_size: 64,
	intermediate_size: 128,
	num_hidden_layers: 2,
	num_attention_heads: 4,
	num_key_value_heads: 2
};

describe('parseHfConfig', () => {
	it('reads Llama, Qwen2 and Qwen3 semantics', () => {
		const l = parseHfConfig({ ...base, tie_word_embeddings: true, eos_token_id: [5, 6] }, { eos_token_id: 7 });
		expect(l).toMatchObject({ architecture: 'llama', headDim: 16, rotaryDim: 16, qkvBias: false, oBias: false, qkNorm: false, tieEmbeddings: true, ropeLayout: 'half' });
		expect(l.eosTokenIds).toEqual([5, 6, 7]);
		expect(parseHfConfig({ ...base, attention_bias: true })).toMatchObject({ qkvBias: true, oBias: true });
		expect(parseHfConfig({ ...base, model_type: 'qwen2' })).toMatchObject({ qkvBias: true, oBias: false });
		expect(parseHfConfig({ ...base, model_type: 'qwen3', head_dim: 32 })).toMatchObject({ qkNorm: true, headDim: 32, rotaryDim: 32 });
		expect(parseHfConfig({ ...base, partial_rotary_factor: 0.5 }).rotaryDim).toBe(8);
		expect(parseHfConfig({ ...base, num_key_value_heads: undefined }).numKvHeads).toBe(4);
	});

	it('computes linear and llama3 rope scaling like transformers', () => {
		const plain = ropeFrequencies(parseHfConfig({ ...base, rope_theta: 500000 }));
		const lin = ropeFrequencies(parseHfConfig({ ...base, rope_theta: 500000, rope_scaling: { type: 'linear', factor: 4 } }));
		lin.forEach((f, i) => expect(f).toBeCloseTo(plain[i] / 4, 15));
		const s = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
		const l3 = ropeFrequencies(parseHfConfig({ ...base, rope_theta: 500000, rope_scaling: s }));
		plain.forEach((f, i) => {
			const wavelen = (2 * Math.PI) / f;
			if (wavelen < 8192 / 4) expect(l3[i]).toBe(f);
			else if (wavelen > 8192) expect(l3[i]).toBeCloseTo(f / 8, 15);
			else {
				const smooth = (8192 / wavelen - 1) / (4 - 1);
				expect(l3[i]).toBeCloseTo((1 - smooth) * (f / 8) + smooth * f, 15);
			}
		});
	});

	it('computes YaRN like transformers (Qwen3 long-context recipe)', () => {
		// head_dim 128, theta 1e6, original 32768, max 131072 → factor 4; beta_fast 32, beta_slow 1.
		// Ramp ends: floor(128·ln(32768 / (32·2π)) / (2·ln 1e6)) = 23, ceil(128·ln(32768 / 2π) / (2·ln 1e6)) = 40.
		const cfg = {
			...base,
			model_type: 'qwen3',
			hidden_size: 1024,
			num_attention_heads: 8,
			head_dim: 128,
			rope_theta: 1e6,
			max_position_embeddings: 131072,
			rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 }
		};
		const c = parseHfConfig(cfg);
		const plain = ropeFrequencies(parseHfConfig({ ...cfg, rope_scaling: null }));
		const y = ropeFrequencies(c);
		expect(y).toHaveLength(64);
		for (let i = 0; i < 64; i++) {
			const ramp = Math.min(1, Math.max(0, (i - 23) / (40 - 23)));
			expect(y[i]).toBeCloseTo(plain[i] * (1 - ramp) + (plain[i] / 4) * ramp, 15);
		}
		expect(y[23]).toBe(plain[23]);
		expect(y[40]).toBeCloseTo(plain[40] / 4, 18);
		expect(ropeAttentionScale(c)).toBeCloseTo(1 + 0.1 * Math.log(4), 12);
		// Without original_max_position_embeddings, the factor is rope_scaling.factor over max_position_embeddings.
		const own = parseHfConfig({ ...cfg, max_position_embeddings: 32768, rope_scaling: { type: 'yarn', factor: 4, attention_factor: 1.5 } });
		ropeFrequencies(own).forEach((f, i) => expect(f).toBeCloseTo(y[i], 18));
		expect(ropeAttentionScale(own)).toBe(1.5);
		// mscale / mscale_all_dim (DeepSeek style) set the attention factor as their ratio.
		const ms = parseHfConfig({ ...cfg, rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32768, mscale: 1, mscale_all_dim: 0.5 } });
		expect(ropeAttentionScale(ms)).toBeCloseTo((1 + 0.1 * Math.log(4)) / (1 + 0.05 * Math.log(4)), 12);
		// Dynamic NTK only changes sequences longer than max_position_embeddings, which we never run.
		const dyn = parseHfConfig({ ...cfg, rope_scaling: { type: 'dynamic', factor: 2 } });
		expect(Array.from(ropeFrequencies(dyn))).toEqual(Array.from(plain));
		expect(ropeAttentionScale(parseHfConfig({ ...cfg, rope_scaling: null }))).toBe(1);
	});

	it('reads transformers 5 rope_parameters (theta and scaling in one object)', () => {
		const v5 = parseHfConfig({ ...base, rope_parameters: { rope_type: 'linear', rope_theta: 1e6, factor: 2 } });
		const old = parseHfConfig({ ...base, rope_theta: 1e6, rope_scaling: { type: 'linear', factor: 2 } });
		expect(v5.ropeTheta).toBe(1e6);
		expect(v5.ropeScaling).toEqual({ type: 'linear', factor: 2 });
		expect(Array.from(ropeFrequencies(v5))).toEqual(Array.from(ropeFrequencies(old)));
		expect(parseHfConfig({ ...base, rope_parameters: { rope_type: 'default', rope_theta: 5e5 } })).toMatchObject({ ropeTheta: 5e5, ropeScaling: null });
		expect(parseHfConfig(base)).toMatchObject({ ropeTheta: 10000, ropeScaling: null });
		expect(() => parseHfConfig({ ...base, rope_parameters: { rope_type: 'default', rope_theta: -1 } })).toThrow(/config\.json: field 'rope_parameters\.rope_theta'/);
	});

	it('runs sliding-window models with the context capped at the window (where full attention is exact)', () => {
		const big = { ...base, max_position_embeddings: 32768 };
		// Mistral is a Llama decoder; its window applies whenever sliding_window is set.
		const m = parseHfConfig({ ...big, model_type: 'mistral', sliding_window: 4096 });
		expect(m).toMatchObject({ architecture: 'llama', maxPositions: 4096, qkvBias: false, qkNorm: false });
		expect(parseHfConfig({ ...big, model_type: 'mistral', sliding_window: null }).maxPositions).toBe(32768);
		// Qwen: only with use_sliding_window (its configs carry a sliding_window either way).
		expect(parseHfConfig({ ...big, model_type: 'qwen2', sliding_window: 4096, use_sliding_window: false }).maxPositions).toBe(32768);
		expect(parseHfConfig({ ...big, model_type: 'qwen2', sliding_window: 4096, use_sliding_window: true }).maxPositions).toBe(4096);
		// transformers 5 names the windowed layers.
		const lt = parseHfConfig({ ...big, sliding_window: 1024, layer_types: ['full_attention', 'sliding_attention'] });
		expect(lt.maxPositions).toBe(1024);
		expect(parseHfConfig({ ...big, sliding_window: 1024, layer_types: ['full_attention', 'full_attention'] }).maxPositions).toBe(32768);
		// A window longer than the context changes nothing.
		expect(parseHfConfig({ ...big, model_type: 'mistral', sliding_window: 65536 }).maxPositions).toBe(32768);
	});

	it('names config.json and the field on errors', () => {
		expect(() => parseHfConfig({ ...base, model_type: 'mamba' })).toThrow(/config\.json: model_type 'mamba' is not supported/);
		expect(() => parseHfConfig({ ...base, num_hidden_layers: -1 })).toThrow(/config\.json: field 'num_hidden_layers'/);
		expect(() => parseHfConfig({ ...base, rope_scaling: { type: 'longrope', factor: 2 } })).toThrow(ModelError);
		expect(() => parseHfConfig({ ...base, layer_types: ['full_attention', 'linear_attention'] })).toThrow(
			/config\.json: layer_types\[1\] is 'linear_attention'; only 'full_attention' and 'sliding_attention' layers are supported/
		);
		expect(() => parseHfConfig({ ...base, model_type: 'qwen2', use_sliding_window: true })).toThrow(/sliding_window is not set/);
		expect(() => parseHfConfig({ ...base, rope_scaling: { type: 'longrope', factor: 2 } })).toThrow(/rope_scaling type 'longrope' is not supported/);
		expect(() => parseHfConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 2 } })).toThrow(/low_freq_factor/);
	});
});

describe('safetensors header', () => {
	it('indexes tensors with absolute ranges and rejects truncation', async () => {
		const bytes = writeSafetensors([
			{ name: 'a', dtype: 'F32', shape: [2, 3], data: new Uint8Array(24) },
			{ name: 'b', dtype: 'BF16', shape: [4], data: new Uint8Array(8) }
		]);
		const idx: TensorIndex = { tensors: new Map(), unsupported: new Map() };
		await readSafetensorsHeader(blobSource(new Map([['m.safetensors', new Blob([bytes as Uint8Array<ArrayBuffer>])]])), 'm.safetensors', idx);
		const a = idx.tensors.get('a')!;
		const b = idx.tensors.get('b')!;
		expect(a.dtype).toBe('f32');
		expect(b.start).toBe(a.end);
		expect(b.end).toBe(bytes.length);
		const cut = blobSource(new Map([['m.safetensors', new Blob([bytes.slice(0, bytes.length - 1) as Uint8Array<ArrayBuffer>])]]));
		await expect(readSafetensorsHeader(cut, 'm.safetensors', { tensors: new Map(), unsupported: new Map() })).rejects.toThrow(
			/m\.safetensors: tensor b ends at byte \d+ but the file has \d+ bytes/
		);
	});
});
