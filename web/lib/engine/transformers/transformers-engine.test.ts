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
import { CATALOGUE, findModel, type ModelEntry } from '../catalogue';
import { storedCache } from '../download/cache';
import { downloadModel } from '../download/manager';
import { MemoryStore } from '../download/store';
import { startModelServer } from '../download/test-model-server';
import { EngineError } from '../errors';
import { RouterEngine } from '../router-engine';
import type { ChatCompletionChunk, ChatCompletionMessage } from '../types';
import { STORE_BASE, StoreCache, guardStoreFetch } from './store-cache';
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

describe('a downloaded ONNX model', () => {
	it('downloads through the manager and loads from the store with the server gone, answering as the bundled copy does', async () => {
		const bundled = findModel('oasis-tiny-onnx-wasm')!;
		// Served from a folder of a local server (another origin), as a CDN would.
		const served = new Map(await Promise.all(bundled.files!.map(async (f) => [`oasis-tiny-onnx/${f.path}`, new Uint8Array(await readFile(join('public', bundled.url!, f.path)))] as const)));
		const server = await startModelServer(served);
		const entry: ModelEntry = { ...bundled, id: 'oasis-tiny-onnx-served', name: 'Oasis tiny ONNX (test server)', bundled: false, sizeBytes: bundled.files!.reduce((n, f) => n + f.size, 0), url: `${server.url}oasis-tiny-onnx/` };
		const store = new MemoryStore();
		const fromStore = new TransformersEngine({ gpu: undefined, deviceOverride: 'cpu', find: async (id) => (id === entry.id ? entry : undefined), stored: (id) => storedCache(store, id) });
		try {
			// Not downloaded yet: the engine says so instead of reaching for the network.
			await expect(fromStore.load(entry.id)).rejects.toMatchObject({ code: 'model-load', message: expect.stringMatching(/not downloaded to this device/) });
			expect(server.requests).toEqual([]);
			const manifest = await downloadModel(entry, { store, fetch });
			expect(manifest.complete).toBe(true);
			await server.close();
			const before = server.requests.length;
			const progress: string[] = [];
			const info = await fromStore.load(entry.id, (p) => progress.push(p.text));
			expect(info.modelId).toBe(entry.id);
			expect(server.requests.length).toBe(before);
			expect(progress).toContain('Reading model.onnx from this device…');
			const { text } = await drain(await fromStore.chat.completions.create({ messages: HELLO, stream: true, temperature: 0, max_tokens: 6 }));
			expect(text).toBe(files.tokenizer!.decode(await refReply(files.tokenizer!.encodeChat(HELLO), 6)));
			// A damaged copy is not offered: the store answers only files of the listed size.
			await store.discard(entry.id, 'onnx/model.onnx');
			await fromStore.unload();
			await expect(fromStore.load(entry.id)).rejects.toMatchObject({ code: 'model-load' });
		} finally {
			await fromStore.unload();
			await server.close().catch(() => undefined);
		}
	});

	it('answers the mounted model from the store, leaves other URLs to the fallback and never fetches a store URL', async () => {
		const store = new MemoryStore();
		const bytes = new TextEncoder().encode('{"a":1}');
		await store.writeManifest('m', { version: 1, id: 'm', entry: { id: 'm', name: 'M', engine: 'transformers', url: 'http://127.0.0.1:1/m/', maxSeq: 8, files: [{ path: 'config.json', size: bytes.length, sha256: 'c'.repeat(64) }] }, verified: ['config.json'], complete: true });
		await store.append('m', 'config.json', bytes);
		const kept: string[] = [];
		const cache = new StoreCache(async () => ({ match: async (u) => (u === 'http://x/y' ? new Response('fallback') : undefined), put: async (u) => void kept.push(u) }));
		expect(await cache.match(`${STORE_BASE}m/config.json`)).toBeUndefined(); // nothing mounted
		expect(cache.mount((await storedCache(store, 'm'))!)).toBe('m');
		expect(await (await cache.match(`${STORE_BASE}m/config.json`))!.json()).toEqual({ a: 1 });
		expect(await cache.match(`${STORE_BASE}m/tokenizer.json`)).toBeUndefined();
		expect(await cache.match(`${STORE_BASE}other/config.json`)).toBeUndefined();
		expect(await (await cache.match('http://x/y'))!.text()).toBe('fallback');
		await cache.put(`${STORE_BASE}m/config.json`, new Response('x'));
		await cache.put('http://x/z', new Response('z'));
		expect(kept).toEqual(['http://x/z']); // a stored file is never copied into another cache
		const sent: string[] = [];
		const guarded = guardStoreFetch(async (u: string | URL) => (sent.push(String(u)), new Response('net')));
		expect(guardStoreFetch(guarded)).toBe(guarded);
		expect((await guarded(`${STORE_BASE}m/generation_config.json`)).status).toBe(404);
		expect(await (await guarded('http://x/y')).text()).toBe('net');
		expect(sent).toEqual(['http://x/y']);
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
