import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adapterEntry, adapterModelId, isAdapterEntry, isRewardEntry, storedAdapters } from './adapters';
import { findModel, modelEntrySchema } from './catalogue';
import { downloadModel } from './download/manager';
import { storedModel } from './download/source';
import { MemoryStore } from './download/store';

const enc = new TextEncoder();
const files = new Map([
	['adapter_config.json', enc.encode(JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj'] }))],
	['adapter_model.safetensors', Uint8Array.from({ length: 100 }, (_, i) => i)]
]);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const JOB = '5b0c2f7e-8f6b-4d1c-9a57-3f2b1c0d9e8a';
const offer = { jobId: JOB, name: 'Italian LoRA', baseModel: 'oasis-tiny', version: 3, files: [...files].map(([path, b]) => ({ path, size: b.byteLength, sha256: sha(b) })) };

/** Serves `files` under the adapter's URL, as the server's route does. */
const fetchFiles: typeof fetch = async (input) => {
	const url = String(input instanceof Request ? input.url : input);
	const prefix = `http://localhost/api/training/jobs/${JOB}/adapter/v3/`;
	const b = url.startsWith(prefix) ? files.get(url.slice(prefix.length)) : undefined;
	return b ? new Response(b.slice(), { headers: { 'content-length': String(b.byteLength) } }) : new Response(null, { status: 404 });
};

describe('LoRA adapters as catalogue entries', () => {
	const base = findModel('oasis-tiny')!;

	it('an offer becomes a valid oasis entry over its base, fetched from the job’s version folder', () => {
		const e = adapterEntry(base, offer);
		expect(modelEntrySchema.parse(e)).toEqual(e);
		expect(e).toMatchObject({
			id: adapterModelId('oasis-tiny', JOB, 3),
			engine: 'oasis',
			bundled: false,
			maxSeq: base.maxSeq,
			sizeBytes: 100 + files.get('adapter_config.json')!.byteLength,
			url: `/api/training/jobs/${JOB}/adapter/v3/`,
			adapter: { baseModel: 'oasis-tiny', jobId: JOB, jobName: 'Italian LoRA', version: 3 }
		});
		expect(isAdapterEntry(e)).toBe(true);
		expect(isAdapterEntry(base)).toBe(false);
	});

	it('a reward job’s offer keeps its objective through the entry schema (the chat tells reward models from chat adapters)', () => {
		const reward = adapterEntry(base, { ...offer, objective: 'reward' });
		expect(modelEntrySchema.parse(reward).adapter).toMatchObject({ objective: 'reward' });
		expect(isRewardEntry(reward)).toBe(true);
		expect(isRewardEntry(adapterEntry(base, { ...offer, objective: 'sft' }))).toBe(false);
		expect(isRewardEntry(adapterEntry(base, offer))).toBe(false);
		expect(isRewardEntry(base)).toBe(false);
	});

	it('a downloaded adapter is listed from the store (with its base), an unfinished one is not', async () => {
		const store = new MemoryStore();
		const e = adapterEntry(base, offer);
		const g = globalThis as { location?: unknown };
		const had = g.location;
		g.location = { href: 'http://localhost/chat' };
		try {
			expect(await storedAdapters(store)).toEqual([]);
			await store.append(e.id, 'adapter_config.json', files.get('adapter_config.json')!);
			await store.writeManifest(e.id, { version: 1, id: e.id, entry: { ...e, url: 'http://localhost' + e.url }, verified: [], complete: false });
			expect(await storedAdapters(store)).toEqual([]);
			await downloadModel(e, { store, fetch: fetchFiles });
			const listed = await storedAdapters(store);
			expect(listed.map((x) => [x.id, x.adapter])).toEqual([[e.id, e.adapter]]);
			// The engine worker reads it back as a model source with no network: the adapter's two files.
			const stored = await storedModel(e.id, store);
			expect(await stored!.source.readJson('adapter_config.json')).toMatchObject({ peft_type: 'LORA', r: 2 });
			expect(await stored!.source.size('adapter_model.safetensors')).toBe(100);
		} finally {
			g.location = had;
		}
	});
});
