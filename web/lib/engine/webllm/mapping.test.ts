import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors';
import { collect, type ChatCompletionChunk } from '../types';
import { ChunkMapper, toLoadProgress, toWebLlmError, toWebLlmRequest, type WebLlmChunk } from './mapping';

const wchunk = (content: string | null, finish: string | null = null, role?: string): WebLlmChunk => ({
	id: 'chatcmpl-w',
	choices: [{ index: 0, delta: { content, ...(role ? { role } : {}) }, finish_reason: finish }]
});

async function* iter(chunks: ChatCompletionChunk[]) {
	yield* chunks;
}

describe('toWebLlmRequest', () => {
	it('sends messages, sampling, the token cap and asks for usage; drops what web-llm lacks', () => {
		const r = toWebLlmRequest({
			messages: [
				{ role: 'system', content: 'Be brief.' },
				{ role: 'user', content: 'Hi' }
			],
			stream: true,
			max_tokens: 32,
			temperature: 0.7,
			top_p: 0.9,
			top_k: 40,
			min_p: 0.05,
			typical_p: 1,
			repetition_penalty: 1.1,
			seed: 42
		});
		expect(r).toEqual({
			messages: [
				{ role: 'system', content: 'Be brief.' },
				{ role: 'user', content: 'Hi' }
			],
			stream: true,
			stream_options: { include_usage: true },
			max_tokens: 32,
			temperature: 0.7,
			top_p: 0.9,
			repetition_penalty: 1.1,
			seed: 42
		});
		expect(toWebLlmRequest({ messages: [{ role: 'user', content: 'x' }], stream: true }, 99).max_tokens).toBe(99);
	});

	it('refuses what web-llm cannot do, in words', () => {
		const cut = () => toWebLlmRequest({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }], stream: true });
		expect(cut).toThrow(/cannot continue a cut-off reply/);
		expect(() => toWebLlmRequest({ messages: [], stream: true })).toThrow(EngineError);
		expect(() => toWebLlmRequest({ messages: [{ role: 'user', content: 'a' }], stream: true, max_tokens: 0 })).toThrow(/positive integer/);
		expect(() => toWebLlmRequest({ messages: [{ role: 'user', content: 'a' }], stream: true, seed: 1.5 })).toThrow(/seed must be an integer/);
	});
});

describe('ChunkMapper', () => {
	it('streams text, then one last chunk with the finish reason and the usage', async () => {
		const m = new ChunkMapper('id1', 'Qwen');
		const out = [
			...m.push(wchunk('', null, 'assistant')),
			...m.push(wchunk('Hel')),
			...m.push(wchunk('lo')),
			...m.push(wchunk(null, 'length')),
			...m.push({ id: 'chatcmpl-w', choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })
		];
		expect(out.map((c) => c.choices[0].delta)).toEqual([{ role: 'assistant', content: 'Hel' }, { content: 'lo' }, {}]);
		expect(out.at(-1)!.choices[0].finish_reason).toBe('length');
		expect(out.at(-1)!.usage).toEqual({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
		expect(out.every((c) => c.id === 'id1' && c.model === 'Qwen' && c.object === 'chat.completion.chunk')).toBe(true);
		expect(m.end(false)).toHaveLength(1); // nothing held: a plain 'stop'
		expect(await collect(iter(out))).toEqual({ text: 'Hello', finishReason: 'length' });
	});

	it("ends a stream without usage with the held finish, and an aborted one with 'abort'", () => {
		const m = new ChunkMapper('id2', 'm');
		expect(m.push(wchunk('a', 'stop'))).toHaveLength(1);
		const [last] = m.end(true);
		expect(last.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: 'abort' });
		const empty = new ChunkMapper('id3', 'm').end(false);
		expect(empty[0].choices[0]).toEqual({ index: 0, delta: { role: 'assistant' }, finish_reason: 'stop' });
	});
});

describe('toLoadProgress', () => {
	it('clamps progress and keeps web-llm text', () => {
		expect(toLoadProgress({ progress: 0.42, text: 'Fetching param cache[3/22]' })).toEqual({ progress: 0.42, text: 'Fetching param cache[3/22]' });
		expect(toLoadProgress({ progress: 1.5, text: '' })).toEqual({ progress: 1, text: 'Loading the model…' });
		expect(toLoadProgress({ progress: NaN, text: 'x' }).progress).toBe(0);
	});
});

describe('toWebLlmError', () => {
	const named = (name: string, message = 'm') => Object.assign(new Error(message), { name });
	it('maps web-llm errors to our codes with a remedy', () => {
		const cases: [string, string, string][] = [
			['WebGPUNotAvailableError', 'no-webgpu', 'none'],
			['ShaderF16SupportError', 'out-of-memory', 'smaller-model'],
			['DeviceLostError', 'out-of-memory', 'smaller-model'],
			['ContextWindowSizeExceededError', 'bad-request', 'none'],
			['ModelNotLoadedError', 'not-loaded', 'retry'],
			['ModelNotFoundError', 'model-load', 'retry'],
			['IntegrityError', 'model-load', 'retry'],
			['MessageOrderError', 'bad-request', 'none'],
			['QuotaExceededError', 'out-of-memory', 'smaller-model']
		];
		for (const [name, code, remedy] of cases) {
			const e = toWebLlmError(named(name));
			expect([name, e.code, e.remedy]).toEqual([name, code, remedy]);
		}
		expect(toWebLlmError(named('ShaderF16SupportError', 'This model requires WebGPU extension shader-f16, which is not enabled. Try Canary.')).message).toMatch(/shader-f16.*q4f32/);
		expect(toWebLlmError(new TypeError('Failed to fetch')).message).toMatch(/Check your connection/);
		expect(toWebLlmError(new EngineError('busy', 'x')).code).toBe('busy');
		expect(toWebLlmError(new Error('???')).code).toBe('internal');
	});
});
