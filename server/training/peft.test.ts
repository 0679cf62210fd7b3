import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../kernels/models/config.js';
import { buildPeftExport, clearPeftCache, peftCacheUsage, peftConfig, peftFiles, peftLayout, peftTargetModules, type PeftSource } from './peft.js';
import type { JobInfo } from './manager.js';
import { llamaParameterCount } from './worker/llama.js';

/** A Qwen-like shape: 3 layers, D 48, 6 query heads and 2 kv heads of 8, MLP 80. */
const dims = { numLayers: 3, hiddenSize: 48, numHeads: 6, numKvHeads: 2, headDim: 8, intermediateSize: 80 };
const lora = { kind: 'lora' as const, rank: 3, alpha: 6, targets: ['up', 'k', 'o', 'q'] };

describe('PEFT layout of a LoRA vector', () => {
	it('covers the trainer’s vector in its order (per layer q, k, v, o, gate, up, down; A then B) with PEFT shapes', () => {
		const layout = peftLayout(dims, lora);
		expect(layout.slice(0, 8).map((t) => [t.name, t.shape])).toEqual([
			['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', [3, 48]],
			['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', [48, 3]],
			['base_model.model.model.layers.0.self_attn.k_proj.lora_A.weight', [3, 48]],
			['base_model.model.model.layers.0.self_attn.k_proj.lora_B.weight', [16, 3]],
			['base_model.model.model.layers.0.self_attn.o_proj.lora_A.weight', [3, 48]],
			['base_model.model.model.layers.0.self_attn.o_proj.lora_B.weight', [48, 3]],
			['base_model.model.model.layers.0.mlp.up_proj.lora_A.weight', [3, 48]],
			['base_model.model.model.layers.0.mlp.up_proj.lora_B.weight', [80, 3]]
		]);
		expect(layout).toHaveLength(3 * 8);
		// Contiguous, and exactly as long as the vector the trainer keeps.
		let at = 0;
		for (const t of layout) {
			expect(t.offset).toBe(at);
			expect(t.size).toBe(t.shape[0] * t.shape[1]);
			at += t.size;
		}
		expect(at).toBe(llamaParameterCount(dims as ModelConfig, lora, 0));
		expect(peftTargetModules(lora.targets)).toEqual(['q_proj', 'k_proj', 'o_proj', 'up_proj']);
	});

	it('the config is PEFT’s LoraConfig; full training has none', () => {
		expect(peftConfig({ baseModel: 'm', mode: lora })).toMatchObject({ peft_type: 'LORA', r: 3, lora_alpha: 6, target_modules: ['q_proj', 'k_proj', 'o_proj', 'up_proj'], bias: 'none', fan_in_fan_out: false, inference_mode: true, task_type: 'CAUSAL_LM', lora_dropout: 0 });
		expect(() => peftConfig({ baseModel: 'm', mode: { kind: 'full' } })).toThrow(/only LoRA jobs have an adapter/);
	});

	it('a vector of another length (a reward head, another model) is refused, not mislabelled', async () => {
		clearPeftCache();
		const n = llamaParameterCount(dims as ModelConfig, lora, 0);
		const src = (extra: number): PeftSource => ({
			get: async (id) => ({ id, baseModel: 'm', mode: lora, version: 1 }) as JobInfo,
			parameters: async () => new Float32Array(n + extra).map((_, i) => i),
			dims: async () => dims
		});
		await expect(buildPeftExport(src(48), 'a')).rejects.toThrow(/holds 3504 values, but LoRA rank 3 on up, k, o, q of m has 3456/);
		const ok = await buildPeftExport(src(0), 'b');
		expect(ok.version).toBe(1);
		expect(ok.info.map((f) => f.path)).toEqual(['adapter_model.safetensors', 'adapter_config.json']);
		await expect(buildPeftExport(src(0), 'b', 2)).rejects.toThrow(/versions 0 to 1, not 2/);
	});

	it('a reward job exports as SEQ_CLS: the LoRA tensors, then the head base_model.model.score.weight [1, hidden]', async () => {
		const layout = peftLayout(dims, lora, 'reward');
		const n = llamaParameterCount(dims as ModelConfig, lora, 0, 'reward');
		expect(layout.slice(0, -1)).toEqual(peftLayout(dims, lora));
		expect(layout.at(-1)).toEqual({ name: 'base_model.model.score.weight', shape: [1, 48], offset: n - 48, size: 48 });
		expect(peftConfig({ baseModel: 'm', mode: lora, objective: 'reward' })).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', modules_to_save: ['score'], r: 3, lora_alpha: 6, base_model_name_or_path: 'm' });
		expect(peftConfig({ baseModel: 'm', mode: lora, objective: 'dpo' })).toMatchObject({ task_type: 'CAUSAL_LM', modules_to_save: null });
		clearPeftCache();
		const src: PeftSource = {
			get: async (id) => ({ id, baseModel: 'm', mode: lora, objective: 'reward', version: 2 }) as JobInfo,
			parameters: async (_, v) => new Float32Array(n).map((_, i) => i + v),
			dims: async () => dims
		};
		const e = await buildPeftExport(src, 'r', 1);
		const bytes = e.files['adapter_model.safetensors'];
		const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
		const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
		const head = header['base_model.model.score.weight']!;
		expect(head.shape).toEqual([1, 48]);
		const values = new Float32Array(bytes.slice(8 + headerLen + head.data_offsets[0], 8 + headerLen + head.data_offsets[1]).buffer);
		expect(Array.from(values)).toEqual(Array.from({ length: 48 }, (_, i) => n - 48 + i + 1));
		expect(JSON.parse(new TextDecoder().decode(e.files['adapter_config.json']))).toMatchObject({ task_type: 'SEQ_CLS' });
		// A reward vector without its head is another model's: refused, saying what was expected.
		expect(() => peftFiles(dims, { baseModel: 'm', mode: lora, objective: 'reward' }, new Float32Array(n - 48))).toThrow(/holds 3456 values, but LoRA rank 3 on up, k, o, q of m plus a reward head of 48 has 3504/);
	});

	it('the export cache keeps at most 8 exports and 64 MiB', async () => {
		clearPeftCache();
		const small: PeftSource = {
			get: async (id) => ({ id, baseModel: 'm', mode: lora, objective: 'sft', version: 1 }) as JobInfo,
			parameters: async () => new Float32Array(llamaParameterCount(dims as ModelConfig, lora, 0)),
			dims: async () => dims
		};
		for (let i = 0; i < 10; i++) await buildPeftExport(small, `s${i}`);
		expect(peftCacheUsage().entries).toBe(8);
		// 12 MiB each: five fit in 64 MiB, a sixth pushes the oldest out.
		const wide = { numLayers: 1, hiddenSize: 1024, numHeads: 8, numKvHeads: 8, headDim: 128, intermediateSize: 1024 };
		const big = { kind: 'lora' as const, rank: 1536, alpha: 1, targets: ['q'] };
		const large: PeftSource = {
			get: async (id) => ({ id, baseModel: 'm', mode: big, objective: 'sft', version: 1 }) as JobInfo,
			parameters: async () => new Float32Array(2 * 1536 * 1024),
			dims: async () => wide
		};
		for (let i = 0; i < 6; i++) await buildPeftExport(large, `l${i}`);
		const usage = peftCacheUsage();
		expect(usage.bytes).toBeLessThanOrEqual(64 * 1024 * 1024);
		expect(usage.bytes).toBeGreaterThan(48 * 1024 * 1024);
		expect(usage.entries).toBe(5);
		clearPeftCache();
	});
});
