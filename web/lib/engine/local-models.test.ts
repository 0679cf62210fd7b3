import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openModel } from '../../../kernels/models/index';
import type { GgufWriteValue } from '../../../kernels/models/gguf-write';
import { fixtureGguf, randomModel } from '../../../kernels/models/testing/fixtures';
import { splitGguf } from '../../../kernels/models/testing/ggml-encode';
import { modelEntrySchema } from './catalogue';
import { storedModel } from './download/source';
import { MemoryStore } from './download/store';
import { addLocalModel, classifyPick, inspectPick, LocalModelError, storedLocalModels, type PickedFile } from './local-models';

const TINY = 'public/models/oasis-tiny';
const SPEC = { arch: 'llama', vocab: 1024, hidden: 64, intermediate: 128, layers: 2, heads: 4, kvHeads: 2, tie: true, seed: 7 } as const;

/** The bundled tokenizer's vocabulary and merges as GGUF `tokenizer.ggml.*` metadata. */
async function ggufTokenizer(): Promise<Record<string, GgufWriteValue>> {
	const tj = JSON.parse(await readFile(`${TINY}/tokenizer.json`, 'utf8')) as { model: { vocab: Record<string, number>; merges: string[] }; added_tokens: { id: number }[] };
	const tokens = Object.entries(tj.model.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t);
	const special = new Set(tj.added_tokens.map((t) => t.id));
	return {
		'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
		'tokenizer.ggml.tokens': { type: 'array', of: 'string', value: tokens },
		'tokenizer.ggml.token_type': { type: 'array', of: 'i32', value: tokens.map((_, i) => (special.has(i) ? 3 : 1)) },
		'tokenizer.ggml.merges': { type: 'array', of: 'string', value: tj.model.merges },
		'tokenizer.ggml.bos_token_id': { type: 'u32', value: 1 },
		'tokenizer.ggml.eos_token_id': { type: 'u32', value: 2 }
	};
}

async function gguf(extra: Record<string, GgufWriteValue> = {}, withTokenizer = true): Promise<Uint8Array> {
	return fixtureGguf(randomModel({ ...SPEC }), { tokenizer: { ...(withTokenizer ? await ggufTokenizer() : {}), ...extra } });
}

const file = (name: string, bytes: Uint8Array | string): PickedFile => ({ name, blob: new Blob([bytes as Uint8Array<ArrayBuffer>]) });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function tinyFolder(): Promise<PickedFile[]> {
	const names = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
	return Promise.all(names.map(async (n) => file(n, new Uint8Array(await readFile(`${TINY}/${n}`)))));
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<LocalModelError> {
	try {
		await (typeof p === 'function' ? p() : p);
	} catch (e) {
		expect(e).toBeInstanceOf(LocalModelError);
		return e as LocalModelError;
	}
	throw new Error('expected a refusal');
}

describe('local models: picked files', () => {
	it('refuses picks that cannot be one model, saying what to pick', async () => {
		const g = await gguf();
		expect((await refusal(() => classifyPick([]))).code).toBe('none');
		const several = await refusal(() => classifyPick([file('a.gguf', g), file('b.gguf', g)]));
		expect([several.code, several.message]).toEqual([
			'several-gguf',
			'2 .gguf files were picked. Pick one .gguf file at a time, or every part of one split model (name-00001-of-00003.gguf …).'
		]);
		// Parts of a split model must all be there.
		expect((await refusal(() => classifyPick([file('m-00001-of-00003.gguf', g), file('m-00002-of-00003.gguf', g)]))).code).toBe('several-gguf');
		expect((await refusal(() => classifyPick([file('a.gguf', g), file('config.json', '{}')]))).code).toBe('mixed');
		const folder = await tinyFolder();
		const noConfig = await refusal(() => classifyPick(folder.filter((f) => f.name !== 'config.json')));
		expect(noConfig.code).toBe('no-config');
		expect(noConfig.message).toMatch(/config\.json/);
		expect((await refusal(() => classifyPick(folder.filter((f) => f.name !== 'tokenizer.json')))).code).toBe('no-tokenizer');
		expect((await refusal(() => classifyPick(folder.filter((f) => f.name !== 'model.safetensors')))).code).toBe('no-weights');
		expect(classifyPick(folder, 'oasis-tiny')).toMatchObject({ gguf: null, label: 'oasis-tiny' });
		expect(classifyPick([file('Tiny.Q8.gguf', g)])).toMatchObject({ gguf: 'Tiny.Q8.gguf', label: 'Tiny.Q8' });
	});

	it('a GGUF becomes an oasis entry named by general.name, id from its SHA-256, with its GGUF file named', async () => {
		const bytes = await gguf({ 'general.name': { type: 'string', value: 'Tiny Llama Test' } });
		const entry = await inspectPick(classifyPick([file('tiny.gguf', bytes)]));
		const hash = sha(bytes);
		expect(entry).toMatchObject({
			id: `local.${hash.slice(0, 12)}`,
			name: 'Tiny Llama Test',
			engine: 'oasis',
			bundled: false,
			gguf: 'tiny.gguf',
			sizeBytes: bytes.byteLength,
			maxSeq: 256, // the file's context length (under the 2048 cap)
			requires: { webgpu: true, shaderF16: false },
			files: [{ path: 'tiny.gguf', size: bytes.byteLength, sha256: hash }]
		});
		expect(entry.url).toBeUndefined();
		// weights ×1.1 + f32 K and V for 256 positions: 2 layers × 2 KV heads × 16 dims.
		expect(entry.memoryBytes).toBe(Math.ceil(bytes.byteLength * 1.1 + 2 * 2 * 2 * 16 * 4 * 256));
		expect(modelEntrySchema.parse(entry)).toEqual(entry);
	});

	it('every part of a model split by gguf-split is one model, opened from its first part', async () => {
		const parts = await splitGguf(await gguf({ 'general.name': { type: 'string', value: 'Split Tiny' } }), 3);
		const picked = [2, 0, 1].map((i) => file(`big-0000${i + 1}-of-00003.gguf`, parts[i]));
		const pick = classifyPick(picked);
		expect(pick).toMatchObject({ gguf: 'big-00001-of-00003.gguf', label: 'big' });
		expect(pick.files.size).toBe(3);
		const entry = await inspectPick(pick);
		expect(entry).toMatchObject({ id: `local.${sha(parts[0]).slice(0, 12)}`, name: 'Split Tiny', gguf: 'big-00001-of-00003.gguf' });
		expect(entry.files?.map((f) => f.path)).toEqual(['big-00001-of-00003.gguf', 'big-00002-of-00003.gguf', 'big-00003-of-00003.gguf']);
		expect(entry.sizeBytes).toBe(parts.reduce((n, p) => n + p.length, 0));
	});

	it('a GGUF without general.name is named after its file; without a tokenizer it is refused', async () => {
		expect((await inspectPick(classifyPick([file('my-model.gguf', await gguf())]))).name).toBe('my-model');
		const r = await refusal(inspectPick(classifyPick([file('bare.gguf', await gguf({}, false))])));
		expect(r.code).toBe('no-tokenizer');
		expect(r.message).toMatch(/no tokenizer/);
	});

	it('a truncated GGUF is refused with the loader’s message naming the file', async () => {
		const bytes = await gguf();
		const r = await refusal(inspectPick(classifyPick([file('half.gguf', bytes.subarray(0, bytes.byteLength >> 1))])));
		expect(r.code).toBe('invalid');
		expect(r.message).toMatch(/^These files cannot be used as a model: half\.gguf: .*(truncated|bytes)/);
	});

	it('a Hugging Face folder: named after the folder, id from model.safetensors, no gguf field', async () => {
		const folder = await tinyFolder();
		const entry = await inspectPick(classifyPick(folder, 'oasis-tiny'));
		const weights = new Uint8Array(await readFile(`${TINY}/model.safetensors`));
		expect(entry.id).toBe(`local.${sha(weights).slice(0, 12)}`);
		expect(entry.name).toBe('oasis-tiny');
		expect(entry.gguf).toBeUndefined();
		expect(entry.sizeBytes).toBe(folder.reduce((n, f) => n + f.blob.size, 0));
		expect(entry.files!.map((f) => f.path)).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
		expect(entry.maxSeq).toBe(2048); // min(max_position_embeddings 2048, 2048)
	});
});

describe('local models: the store', () => {
	it('reports progress over hashing then copying every byte, ending at the total', async () => {
		const store = new MemoryStore();
		const folder = await tinyFolder();
		const size = folder.reduce((n, f) => n + f.blob.size, 0);
		const seen: [number, number][] = [];
		await addLocalModel(store, folder, 'oasis-tiny', (done, total) => seen.push([done, total]));
		expect(seen.every(([, total]) => total === 2 * size)).toBe(true);
		expect(seen.every(([done], i) => i === 0 || done > seen[i - 1][0])).toBe(true);
		expect(seen.at(-1)![0]).toBe(2 * size);
		// Half way is where the hashing ends and the copying starts.
		expect(seen.some(([done]) => done === size)).toBe(true);
	});

	it('stores a model once (same file twice → one entry), offered by storedModel and openable from the store', async () => {
		const store = new MemoryStore();
		const bytes = await gguf({ 'general.name': { type: 'string', value: 'Twice' } });
		const first = await addLocalModel(store, [file('twice.gguf', bytes)]);
		const again = await addLocalModel(store, [file('twice.gguf', bytes)]);
		expect(first.added).toBe(true);
		expect(again).toEqual({ entry: first.entry, added: false });
		expect(await store.models()).toEqual([first.entry.id]);
		expect((await storedLocalModels(store)).map((e) => e.name)).toEqual(['Twice']);
		const stored = await storedModel(first.entry.id, store);
		expect(stored?.manifest.complete).toBe(true);
		expect(stored?.manifest.entry.gguf).toBe('twice.gguf');
		const opened = await openModel(stored!.source, stored!.manifest.entry.gguf ?? null);
		expect(opened.format).toBe('gguf');
		expect(opened.tokenizer).not.toBeNull();
		expect(sha(new Uint8Array(await (await store.read(first.entry.id, 'twice.gguf')).arrayBuffer()))).toBe(sha(bytes));
		await store.remove(first.entry.id);
		expect(await storedLocalModels(store)).toEqual([]);
	});

	it('a refused pick stores nothing; no store at all is refused in words', async () => {
		const store = new MemoryStore();
		await refusal(addLocalModel(store, [file('bare.gguf', await gguf({}, false))]));
		expect(await store.models()).toEqual([]);
		expect((await refusal(addLocalModel(null, [file('x.gguf', await gguf())]))).code).toBe('no-store');
	});

	it('a partly copied model (manifest not complete) is copied again from scratch', async () => {
		const store = new MemoryStore();
		const bytes = await gguf();
		const { entry } = await addLocalModel(store, [file('p.gguf', bytes)]);
		const m = (await store.readManifest(entry.id)) as { complete: boolean };
		await store.writeManifest(entry.id, { ...m, complete: false });
		await store.append(entry.id, 'p.gguf', new Uint8Array([1, 2, 3]));
		expect((await addLocalModel(store, [file('p.gguf', bytes)])).added).toBe(true);
		expect(await store.stored(entry.id, 'p.gguf')).toBe(bytes.byteLength);
	});
});
