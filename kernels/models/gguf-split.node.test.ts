/**
 * GGUF models split by llama.cpp's gguf-split (`<name>-00001-of-00003.gguf`, metadata in the
 * first file, tensors across all): they open from any of their files and generate exactly as
 * the same model in one file; a missing or extra part is named.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { parseGenerateArgs, runGenerate } from '../../server/cli/commands/generate.js';
import { openModel } from './model-files.js';
import { folderSource } from './source-node.js';
import { splitGguf } from './testing/ggml-encode.js';
import { fixtureGguf, randomModel, type FixtureSpec } from './testing/fixtures.js';

const SPEC: FixtureSpec = { arch: 'qwen2', vocab: 97, hidden: 64, intermediate: 96, layers: 2, heads: 4, kvHeads: 2, tie: false, seed: 31 };

let ctx: GpuContext;
let dir: string;
let whole: Uint8Array;
beforeAll(async () => {
	ctx = await testContext();
	dir = await mkdtemp(join(tmpdir(), 'oasis-split-'));
	whole = fixtureGguf(randomModel(SPEC));
	await writeFile(join(dir, 'whole.gguf'), whole);
	const parts = await splitGguf(whole, 3);
	for (const [i, p] of parts.entries()) await writeFile(join(dir, `m-0000${i + 1}-of-00003.gguf`), p);
});
afterAll(async () => {
	ctx?.destroy();
	await rm(dir, { recursive: true, force: true });
});

const generate = (file: string) =>
	runGenerate(parseGenerateArgs(['--model', join(dir, file), '--ids', '5,17,42,3', '--max-tokens', '12', '--temperature', '0', '--json', '--logits']), ctx);

describe('split GGUF', () => {
	it('opens from any part and generates exactly as the single file', async () => {
		const one = await openModel(folderSource(dir), 'whole.gguf');
		for (const file of ['m-00001-of-00003.gguf', 'm-00002-of-00003.gguf']) {
			const split = await openModel(folderSource(dir), file);
			expect(split.config).toEqual(one.config);
			expect(new Set([...split.index.tensors.values()].map((t) => t.file)).size).toBe(3);
			expect([...split.index.tensors.keys()].sort()).toEqual([...one.index.tensors.keys()].sort());
		}
		const [a, b] = [await generate('whole.gguf'), await generate('m-00003-of-00003.gguf')];
		expect(b.ids).toEqual(a.ids);
		expect(b.logits).toEqual(a.logits);
	});

	it('names a missing part, a misnamed part and a wrong tensor count', async () => {
		const parts = await splitGguf(whole, 3);
		const d = join(dir, 'broken');
		await rm(d, { recursive: true, force: true });
		await mkdir(d);
		await writeFile(join(d, 'm-00001-of-00003.gguf'), parts[0]);
		await writeFile(join(d, 'm-00002-of-00003.gguf'), parts[1]);
		await expect(openModel(folderSource(d), 'm-00001-of-00003.gguf')).rejects.toThrow(/m-00003-of-00003\.gguf is missing \(split 3 of 3 of m-00001-of-00003\.gguf\)/);
		await writeFile(join(d, 'renamed.gguf'), parts[0]);
		await expect(openModel(folderSource(d), 'renamed.gguf')).rejects.toThrow(/renamed\.gguf: one of 3 split files, but not named <name>-0000k-of-00003\.gguf/);
		// Parts that hold one tensor fewer than they claim (a part from another split, say).
		const count = (await openModel(folderSource(dir), 'whole.gguf')).index.tensors.size;
		const two = await splitGguf(whole, 2, { claimTensors: count + 1 });
		await writeFile(join(d, 'n-00001-of-00002.gguf'), two[0]);
		await writeFile(join(d, 'n-00002-of-00002.gguf'), two[1]);
		await expect(openModel(folderSource(d), 'n-00001-of-00002.gguf')).rejects.toThrow(
			new RegExp(`n-00001-of-00002\\.gguf: split\\.tensors\\.count says ${count + 1} tensors, the 2 split files hold ${count}`)
		);
	});
});
