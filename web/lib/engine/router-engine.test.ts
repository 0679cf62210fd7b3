import { describe, expect, it } from 'vitest';
import { RouterEngine } from './router-engine';
import { CATALOGUE, type ModelEntry } from './catalogue';
import { collect, type ChatCompletionChunk, type Engine, type EngineInfo } from './types';

/** A backend that records what it was asked and answers with its own name. */
function recordingBackend(name: string, log: string[]): Engine {
	let loaded: string | null = null;
	return {
		async load(modelId): Promise<EngineInfo> {
			log.push(`${name}:load:${modelId}`);
			loaded = modelId;
			return { modelId, adapter: name, f16: false, loadMs: 0 };
		},
		async unload() {
			log.push(`${name}:unload`);
			loaded = null;
		},
		chat: {
			completions: {
				async create() {
					const chunk: ChatCompletionChunk = { id: '1', object: 'chat.completion.chunk', created: 0, model: loaded ?? '', choices: [{ index: 0, delta: { content: name }, finish_reason: 'stop' }] };
					return (async function* () {
						yield chunk;
					})();
				}
			}
		}
	};
}

describe('RouterEngine', () => {
	const downloaded: ModelEntry = { ...CATALOGUE[0], id: 'downloaded-tiny', bundled: false, engine: 'transformers' };

	it('hands each model to its entry’s backend, unloading the other, and finds downloaded models through an async lookup', async () => {
		const log: string[] = [];
		const router = new RouterEngine({
			backends: { oasis: () => recordingBackend('oasis', log), transformers: () => recordingBackend('transformers', log) },
			find: async (id) => CATALOGUE.find((m) => m.id === id) ?? (id === downloaded.id ? downloaded : undefined)
		});
		expect((await router.load('oasis-tiny')).adapter).toBe('oasis');
		expect((await collect(await router.chat.completions.create({ messages: [], stream: true }))).text).toBe('oasis');
		expect((await router.load('downloaded-tiny')).adapter).toBe('transformers');
		expect((await collect(await router.chat.completions.create({ messages: [], stream: true }))).text).toBe('transformers');
		expect(log).toEqual(['oasis:load:oasis-tiny', 'oasis:unload', 'transformers:load:downloaded-tiny']);
	});

	it('refuses unknown models and backends this build lacks, in words', async () => {
		const router = new RouterEngine({ backends: { oasis: () => recordingBackend('oasis', []) }, find: async (id) => (id === downloaded.id ? downloaded : undefined) });
		await expect(router.load('nope')).rejects.toThrow("Unknown model 'nope'");
		await expect(router.load('downloaded-tiny')).rejects.toThrow('cannot run Transformers.js models');
		await expect(router.chat.completions.create({ messages: [], stream: true })).rejects.toThrow('No model is loaded');
	});
});
