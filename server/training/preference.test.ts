import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../kernels/models/tokenizer.js';
import type { PreferenceExample } from './datasets.js';
import { PairTokenizer, tokenizePair } from './preference.js';
import { TokenizeError } from './tokenize.js';

const TINY = new URL('../../public/models/oasis-tiny/', import.meta.url).pathname;
const tok = new ModelTokenizer(JSON.parse(readFileSync(`${TINY}tokenizer.json`, 'utf8')), JSON.parse(readFileSync(`${TINY}tokenizer_config.json`, 'utf8')));

const pair = (kind: 'reward' | 'dpo'): PreferenceExample => ({
	kind,
	treeId: 't',
	id: 'a>b',
	prefix: [{ role: 'user', content: 'Name a large city in France and say one thing about it, please.' }],
	chosen: 'Paris, the capital of France, has been a centre of art and science for centuries.',
	rejected: 'Lyon.',
	chosenRank: 0,
	rejectedRank: 1
});

const reply = (t: { tokens: Int32Array; lossMask: Uint8Array }) => tok.decode([...t.tokens].filter((_, i) => t.lossMask[i]), false);

describe('preference pairs as tokens', () => {
	it('renders both sides with the chat template, the mask on the reply only', () => {
		const p = tokenizePair(tok, pair('dpo'), 1024);
		const e = pair('dpo');
		expect(tok.decode([...p.chosen.tokens], false)).toBe(tok.applyChatTemplate([...e.prefix, { role: 'assistant', content: e.chosen }], false));
		expect(reply(p.chosen)).toBe(`${e.chosen}<|im_end|>`);
		expect(reply(p.rejected)).toBe('Lyon.<|im_end|>');
	});

	it('cuts a reward side to the window that ends with the reply, and a DPO side to the one that starts it', () => {
		const full = tokenizePair(tok, pair('reward'), 1024).chosen;
		const cut = tokenizePair(tok, pair('reward'), 12).chosen;
		expect(cut.tokens.length).toBe(12);
		expect([...cut.tokens]).toEqual([...full.tokens.slice(-12)]);
		const dpo = tokenizePair(tok, pair('dpo'), 12).chosen;
		expect(dpo.tokens.length).toBe(12);
		// The DPO window holds the first tokens of the reply (and a little context before it).
		expect(dpo.lossMask[0]).toBe(0);
		expect(reply(dpo).length).toBeGreaterThan(0);
		expect(e2s(reply(dpo))).toBe(e2s(pair('dpo').chosen.slice(0, reply(dpo).length)));
	});

	it('batches pairs for the trainer and counts both sides; refuses SFT threads', () => {
		const t = new PairTokenizer(tok, 64);
		const b = t.batch([pair('reward'), pair('dpo')]);
		expect(b.chosen).toHaveLength(2);
		expect(b.rejectedMask![1]).toEqual(t.of(pair('dpo')).rejected.lossMask);
		expect(t.tokens(pair('dpo'))).toBe(b.chosen[1]!.length + b.rejected[1]!.length);
		expect(() => t.of({ kind: 'sft', treeId: 't', id: 'x', messages: [{ role: 'user', content: 'hi' }] })).toThrow(TokenizeError);
	});
});

/** Whitespace-insensitive comparison helper for a decoded prefix. */
function e2s(s: string): string {
	return s.replace(/\s+/g, ' ').trim();
}
