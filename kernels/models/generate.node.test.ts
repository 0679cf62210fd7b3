/**
 * `oasis generate` end to end (a real process on the bundled tiny model) and the runtime
 * behaviours the chat engine relies on: seeded sampling, stop ids, abort, streaming callbacks.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../gpu/context.js';
import { testContext } from '../testing/context.js';
import { parseGenerateArgs, runGenerate, type GenerateJson } from '../../server/cli/commands/generate.js';
import { LlamaModel } from './llama.js';
import { openModel, type ModelFiles } from './model-files.js';
import { folderSource } from './source-node.js';

const TINY = 'public/models/oasis-tiny';

describe('oasis generate (spawned)', () => {
	it('prints one JSON line with ids, text, speeds, adapter, dispatches and logits', () => {
		const args = ['bin/oasis.js', 'generate', '--model', TINY, '--prompt', 'How do plants grow?', '--chat', '--temperature', '0', '--max-tokens', '8', '--json', '--logits'];
		const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000 });
		expect(r.status, r.stderr).toBe(0);
		const lines = r.stdout.trim().split('\n');
		expect(lines).toHaveLength(1);
		const j = JSON.parse(lines[0]) as GenerateJson;
		expect(Object.keys(j).sort()).toEqual(['adapter', 'decode_tok_s', 'dispatches', 'ids', 'logits', 'prefill_tok_s', 'text']);
		expect(j.ids.length).toBeGreaterThanOrEqual(1);
		expect(j.ids.length).toBeLessThanOrEqual(8);
		expect(typeof j.text).toBe('string');
		expect(j.prefill_tok_s).toBeGreaterThan(0);
		expect(Array.isArray(j.adapter.features)).toBe(true);
		expect(j.adapter.vendor).toBeTypeOf('string');
		expect(j.dispatches).toBeGreaterThan(0);
		expect(j.logits).toHaveLength(1024);
		// Greedy: the first id is the argmax of the returned logits.
		const l = j.logits!;
		expect(j.ids[0]).toBe(l.indexOf(Math.max(...l)));
	});

	it('exits 1 with the loader message for a bad model, 2 for bad flags', () => {
		const bad = spawnSync(process.execPath, ['bin/oasis.js', 'generate', '--model', '/nonexistent/model', '--ids', '1'], { encoding: 'utf8' });
		expect(bad.status).toBe(1);
		expect(bad.stderr).toMatch(/\/nonexistent\/model: no such model folder or \.gguf file/);
		const usage = spawnSync(process.execPath, ['bin/oasis.js', 'generate', '--model', TINY], { encoding: 'utf8' });
		expect(usage.status).toBe(2);
	});
});

describe('runtime behaviour', () => {
	let ctx: GpuContext;
	let files: ModelFiles;
	let model: LlamaModel;
	beforeAll(async () => {
		ctx = await testContext();
		files = await openModel(folderSource(TINY));
		model = await LlamaModel.load(ctx, files, { maxSeq: 64 });
	});
	afterAll(() => {
		model?.destroy();
		ctx?.destroy();
	});

	it('--ids are fed exactly: the same as the prompt text they encode (no BOS added)', async () => {
		const text = 'The first step is to research your options.';
		const ids = files.tokenizer!.encode(text);
		const base = ['--model', TINY, '--temperature', '0', '--max-tokens', '4'];
		const a = await runGenerate(parseGenerateArgs([...base, '--prompt', text]), ctx);
		const b = await runGenerate(parseGenerateArgs([...base, '--ids', ids.join(',')]), ctx);
		expect(a.ids).toEqual(b.ids);
		expect(ids[0]).not.toBe(files.config.bosTokenId);
	});

	it('sampling is reproducible for a seed and streams each token', async () => {
		const sampling = { temperature: 1.5, topK: 50, topP: 0.95, minP: 0.01, repetitionPenalty: 1.2 };
		const streamed: number[] = [];
		const a = await model.generate([5, 6, 7], { maxTokens: 12, sampling, seed: 42, stopIds: [], onToken: (id) => streamed.push(id) });
		const b = await model.generate([5, 6, 7], { maxTokens: 12, sampling, seed: 42, stopIds: [] });
		const c = await model.generate([5, 6, 7], { maxTokens: 12, sampling, seed: 43, stopIds: [] });
		expect(a.ids).toEqual(b.ids);
		expect(streamed).toEqual(a.ids);
		expect(c.ids).not.toEqual(a.ids);
		// One submit per token: prefill and every decode step.
		expect(a.submits).toBe(12);
	});

	it('stops at a stop id (kept in the output) and on abort', async () => {
		const greedy = await model.generate([9, 10], { maxTokens: 6, sampling: { temperature: 0 }, stopIds: [] });
		const stopped = await model.generate([9, 10], { maxTokens: 6, sampling: { temperature: 0 }, stopIds: [greedy.ids[1]] });
		expect(stopped.finishReason).toBe('stop');
		expect(stopped.ids).toEqual(greedy.ids.slice(0, greedy.ids.indexOf(greedy.ids[1]) + 1));
		const ac = new AbortController();
		const aborted = await model.generate([9, 10], {
			maxTokens: 6,
			sampling: { temperature: 0 },
			stopIds: [],
			signal: ac.signal,
			onToken: (_id, i) => i === 2 && ac.abort()
		});
		expect(aborted.finishReason).toBe('abort');
		expect(aborted.ids).toEqual(greedy.ids.slice(0, 3));
	});
});

describe('streaming detokenizer', () => {
	it('emits text piece by piece, holding back incomplete UTF-8', async () => {
		const files = await openModel(folderSource(TINY));
		const tok = files.tokenizer!;
		const text = 'naïve café — 401k ünïcödé!';
		const s = tok.streamDecoder();
		let out = '';
		for (const id of tok.encode(text)) {
			const piece = s.push(id);
			expect(piece).not.toContain('\uFFFD');
			out += piece;
		}
		expect(out + s.flush()).toBe(text);
	});
});
