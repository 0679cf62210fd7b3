import { prebuiltAppConfig } from '@mlc-ai/web-llm';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, findModel } from '../catalogue';
import { pickRecords, webllmEntry, WEBLLM_PICK } from './catalogue';
import { WEBLLM_RECORDS } from './prebuilt';
import { renderSnapshot } from './snapshot';
import { readFileSync } from 'node:fs';

describe('WebLLM catalogue entries', () => {
	it('match the installed web-llm prebuilt list (else regenerate prebuilt.ts with snapshot.ts)', () => {
		const fresh = pickRecords(prebuiltAppConfig.model_list);
		expect(WEBLLM_RECORDS).toEqual(fresh);
		expect(readFileSync(new URL('./prebuilt.ts', import.meta.url), 'utf8')).toBe(renderSnapshot(fresh));
	});

	it('are in the catalogue, one per picked model, with web-llm sizes, features and context', () => {
		const entries = CATALOGUE.filter((m) => m.engine === 'webllm');
		expect(entries.map((m) => m.id)).toEqual([...WEBLLM_PICK]);
		const smol = findModel('SmolLM2-360M-Instruct-q4f16_1-MLC')!;
		expect(smol).toMatchObject({
			engine: 'webllm',
			license: 'Apache-2.0',
			memoryBytes: Math.round(376.06 * 2 ** 20),
			maxSeq: 4096,
			bundled: false,
			requires: { webgpu: true, shaderF16: true },
			webllm: { modelId: 'SmolLM2-360M-Instruct-q4f16_1-MLC' }
		});
		expect(smol.name).toBe('SmolLM2 360M Instruct q4f16');
		expect(findModel('SmolLM2-360M-Instruct-q4f32_1-MLC')!.requires.shaderF16).toBe(false);
		expect(findModel('gemma-2-2b-it-q4f16_1-MLC-1k')).toMatchObject({ name: 'gemma 2 2b it q4f16, 1k', maxSeq: 1024, license: 'Gemma Terms of Use' });
		expect(findModel('Llama-3.2-1B-Instruct-q4f32_1-MLC')!.license).toBe('Llama 3.2 Community License');
	});

	it('need shader-f16 for every f16 build, even where web-llm does not list the feature', () => {
		const qwen = prebuiltAppConfig.model_list.find((r) => r.model_id === 'Qwen2.5-0.5B-Instruct-q4f16_1-MLC')!;
		expect(qwen.required_features ?? []).not.toContain('shader-f16');
		expect(webllmEntry(qwen).requires.shaderF16).toBe(true);
		expect(webllmEntry({ ...qwen, model_id: 'X-q4f32_1-MLC', buffer_size_required_bytes: 1 << 30 }).requires).toEqual({ webgpu: true, shaderF16: false, maxBufferBytes: 1 << 30 });
	});

	it('refuse a pick that web-llm no longer ships', () => {
		expect(() => pickRecords(prebuiltAppConfig.model_list, ['No-Such-Model-MLC'])).toThrow(/update WEBLLM_PICK/);
	});
});
