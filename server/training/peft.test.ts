import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../kernels/models/config.js';
import { buildPeftExport, clearPeftCache, peftConfig, peftLayout, peftTargetModules, type PeftSource } from './peft.js';
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
});
