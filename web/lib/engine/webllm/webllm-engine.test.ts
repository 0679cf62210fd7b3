import { describe, expect, it } from 'vitest';
import { WebLlmEngine } from './webllm-engine';

// web-llm itself needs WebGPU, a window and the internet: what happens before it is tested here,
// the request/chunk/progress/error mapping in mapping.test.ts.
describe('WebLlmEngine', () => {
	it('refuses ids that are not WebLLM models, and chat before a load', async () => {
		const engine = new WebLlmEngine();
		await expect(engine.load('oasis-tiny')).rejects.toMatchObject({ code: 'model-load', message: /Unknown WebLLM model/ });
		await expect(engine.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }], stream: true })).rejects.toMatchObject({ code: 'not-loaded' });
	});
});
