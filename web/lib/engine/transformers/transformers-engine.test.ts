/**
 * TransformersEngine and RouterEngine on the real generated ONNX model, in Node: Transformers.js's
 * Node build over onnxruntime-node (CPU) runs public/models/oasis-tiny-onnx. Greedy replies are
 * checked against the float64 reference decoder (kernels/models/llama.ref.ts) on the same weights,
 * decoded by our own tokenizer.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaRef, top2 } from '../../../../kernels/models/llama.ref';
import { openModel, type ModelFiles } from '../../../../kernels/models/model-files';
import { folderSource } from '../../../../kernels/models/source-node';
import { refWeights } from '../../../../kernels/models/testing/ref-weights';
import { CATALOGUE, findModel } from '../catalogue';
import { EngineError } from '../errors';
import { RouterEngine } from '../router-engine';
import type { ChatCompletionChunk, ChatCompletionMessage } from '../types';
import { splitModelUrl, TransformersEngine } from './transformers-engine';

const HELLO: ChatCompletionMessage[] = [{ role: 'user', content: 'Hello! What can you do?' }];

let files: ModelFiles;
let engine: TransformersEngine;
beforeAll(async () => {
	files = await openModel(folderSource('public/models/oasis-tiny'));
	engine = new TransformersEngine({ gpu: undefined, deviceOverride: 'cpu', localModelPath: 'public/models/' });
	await engine.load('oasis-tiny-onnx-wasm');
});
afterAll(() => engine?.unload());

async function drain(chunks: AsyncIterable<ChatCompletionChunk>, onChunk?: (c: ChatCompletionChunk) => void) {
	const all: ChatCompletionChunk[] = [];
	for await (const c of chunks) {
		all.push(c);
		onChunk?.(c);
	}
	return { all, text: all.map((c) => c.choices[0].delta.content ?? '').join(''), last: all.at(-1)! };
}

/** The reference's greedy ids after `prompt`, stopping after EOS. */
async function refReply(prompt: number[], steps: number): Promise<number[]> {
	const ref = new LlamaRef(files.config, await refWeights(files, 'none'));
	const ids: number[] = [];
	let l = ref.forward(prompt);
	for (let i = 0; i < steps; i++) {
		const { best, gap } = top2(l);
		expect(gap).toBeGreaterThan(1e-3); // decided: f32 and float64 pick the same token
		ids.push(best);
		if (files.config.eosTokenIds.includes(best)) break;
		l = ref.forwardOne(best);
	}
	return ids;
}

describe('catalogue entries', () => {
	it('list the generated files with their sizes and hashes', async () => {
		const entries = CATALOGUE.filter((e) => e.id.startsWith('oasis-tiny-onnx'));
		expect(entries.map((e) => [e.transformers?.device, e.transformers?.dtype])).toEqual([
			['webgpu', 'q4'],
			['wasm', 'fp32']
		]);
		for (const e of entries) {
			expect(e.requires.shaderF16).toBe(false);
			for (const f of e.files!) {
				const bytes = await readFile(join('public', e.url!, f.path));
				expect(bytes.length, f.path).toBe(f.size);
				expect(createHash('sha256').update(bytes).digest('hex'), f.path).toBe(f.sha256);
			}
		}
		expect(splitModelUrl('/models/oasis-tiny-onnx/')).toEqual({ localModelPath: '/models/', id: 'oasis-tiny-onnx' });
	});
});

describe('TransformersEngine', () => {
	it('streams the greedy reply of the reference decoder, in OpenAI-shaped chunks', async () => {
		const { all, text, last } = await drain(await engine.chat.completions.create({ messages: HELLO, stream: true, temperature: 0, max_tokens: 10 }));
		const want = await refReply(files.tokenizer!.encodeChat(HELLO), 10);
		expect(text).toBe(files.tokenizer!.decode(want));
		expect(all[0].choices[0].delta.role).toBe('assistant');
		// Token by token, not held back to word boundaries.
		expect(all.filter((c) => c.choices[0].delta.content).length).toBeGreaterThan(want.length / 2);
		expect(all.every((c) => c.object === 'chat.completion.chunk' && c.model === 'oasis-tiny-onnx-wasm' && c.id === all[0].id)).toBe(true);
		expect(last.choices[0].finish_reason).toBe(files.config.eosTokenIds.includes(want.at(-1)!) ? 'stop' : 'length');
		expect(last.usage).toEqual({ prompt_tokens: files.tokenizer!.encodeChat(HELLO).length, completion_tokens: want.length, total_tokens: files.tokenizer!.encodeChat(HELLO).length + want.length });
	});

	it('continues a trailing assistant message unless told not to', async () => {
		const messages: ChatCompletionMessage[] = [...HELLO, { role: 'assistant', content: 'I can' }];
		const cont = await drain(await engine.chat.completions.create({ messages, stream: true, temperature: 0, max_tokens: 3 }));
		const contPrompt = [...files.tokenizer!.encodeChat(HELLO), ...files.tokenizer!.encode('I can', false)];
		expect(cont.last.usage!.prompt_tokens).toBe(contPrompt.length);
		expect(cont.text).toBe(files.tokenizer!.decode(await refReply(contPrompt, 3)));
		const fresh = await drain(await engine.chat.completions.create({ messages, stream: true, temperature: 0, max_tokens: 3, continue_final_message: false }));
		expect(fresh.last.usage!.prompt_tokens).toBe(files.tokenizer!.encodeChat(messages).length);
	});

	it('stops on abort with finish_reason "abort", and samples with a seed reproducibly', async () => {
		const ctl = new AbortController();
		const r = await drain(await engine.chat.completions.create({ messages: HELLO, stream: true, temperature: 0, max_tokens: 1000 }, { signal: ctl.signal }), () => ctl.abort());
		expect(r.last.choices[0].finish_reason).toBe('abort');
		expect(r.last.usage!.completion_tokens).toBeLessThan(1000);
		const sampled = async () =>
			(await drain(await engine.chat.completions.create({ messages: HELLO, stream: true, temperature: 1.2, top_k: 40, top_p: 0.9, min_p: 0.02, repetition_penalty: 1.1, seed: 7, max_tokens: 12 }))).text;
		expect(await sampled()).toBe(await sampled());
	});

	it('rejects bad requests and a second concurrent reply with named errors', async () => {
		await expect(engine.chat.completions.create({ messages: [], stream: true })).rejects.toMatchObject({ code: 'bad-request' });
		await expect(engine.chat.completions.create({ messages: HELLO, stream: true, max_tokens: 0 })).rejects.toMatchObject({ code: 'bad-request' });
		await expect(engine.chat.completions.create({ messages: HELLO, stream: true, temperature: 1, top_p: 1.5 })).rejects.toMatchObject({ code: 'bad-request' });
		const first = await engine.chat.completions.create({ messages: HELLO, stream: true, temperature: 0, max_tokens: 4 });
		await expect(engine.chat.completions.create({ messages: HELLO, stream: true })).rejects.toMatchObject({ code: 'busy' });
		await drain(first);
	});

	it('says what to do when WebGPU is missing or the model is unknown', async () => {
		const gpuLess = new TransformersEngine({ gpu: undefined });
		const e = await gpuLess.load('oasis-tiny-onnx').catch((x: unknown) => x);
		expect(e).toBeInstanceOf(EngineError);
		expect(e).toMatchObject({ code: 'no-webgpu', message: expect.stringMatching(/WASM/) });
		await expect(gpuLess.load('oasis-tiny')).rejects.toMatchObject({ code: 'model-load' });
		await expect(gpuLess.chat.completions.create({ messages: HELLO, stream: true })).rejects.toMatchObject({ code: 'not-loaded' });
	});
});

describe('RouterEngine', () => {
	it('hands each model to the backend its catalogue entry names', async () => {
		const made: string[] = [];
		const router = new RouterEngine({
			find: findModel,
			backends: {
				transformers: () => {
					made.push('transformers');
					return new TransformersEngine({ gpu: undefined, deviceOverride: 'cpu', localModelPath: 'public/models/' });
				}
			}
		});
		await expect(router.chat.completions.create({ messages: HELLO, stream: true })).rejects.toMatchObject({ code: 'not-loaded' });
		await expect(router.load('no-such-model')).rejects.toMatchObject({ code: 'model-load', message: expect.stringMatching(/Unknown model/) });
		await expect(router.load('oasis-tiny')).rejects.toMatchObject({ code: 'model-load', message: expect.stringMatching(/Oasis kernels/) });
		const info = await router.load('oasis-tiny-onnx-wasm');
		expect(info.modelId).toBe('oasis-tiny-onnx-wasm');
		const { text } = await drain(await router.chat.completions.create({ messages: HELLO, stream: true, temperature: 0, max_tokens: 5 }));
		expect(text).toBe(files.tokenizer!.decode(await refReply(files.tokenizer!.encodeChat(HELLO), 5)));
		await router.load('oasis-tiny-onnx-wasm');
		expect(made).toEqual(['transformers']);
		await router.unload();
		await expect(router.chat.completions.create({ messages: HELLO, stream: true })).rejects.toMatchObject({ code: 'not-loaded' });
	});
});
