import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../kernels/models/tokenizer.js';
import type { SftExample } from './datasets.js';
import { ExampleTokenizer, TokenizeError, targetCount, tokenizeSft, windowStart } from './tokenize.js';

const TINY = new URL('../../public/models/oasis-tiny/', import.meta.url).pathname;
const tok = new ModelTokenizer(JSON.parse(readFileSync(`${TINY}tokenizer.json`, 'utf8')), JSON.parse(readFileSync(`${TINY}tokenizer_config.json`, 'utf8')));

const example: SftExample = {
	kind: 'sft',
	treeId: 't',
	id: 'leaf',
	messages: [
		{ role: 'user', content: 'What is the capital of France?' },
		{ role: 'assistant', content: 'Paris.' },
		{ role: 'user', content: 'And of Italy? Please answer with one word and nothing else at all.' },
		{ role: 'assistant', content: 'Rome, which has been the capital of Italy since 1871.' }
	]
};

describe('SFT examples as tokens', () => {
	it('renders with the chat template and trains on the assistant replies only', () => {
		const t = tokenizeSft(tok, example, 1024);
		expect(tok.decode([...t.tokens], false)).toBe(tok.applyChatTemplate(example.messages, false));
		const trained = tok.decode([...t.tokens].filter((_, i) => t.lossMask[i]), false);
		expect(trained).toBe('Paris.<|im_end|>Rome, which has been the capital of Italy since 1871.<|im_end|>');
		expect(targetCount(t.lossMask)).toBe([...t.lossMask].filter(Boolean).length);
	});

	it('cuts a long thread to a window that starts a quarter-window before its last reply', () => {
		const full = tokenizeSft(tok, example, 1024);
		const cut = tokenizeSft(tok, example, 24);
		expect(cut.tokens.length).toBe(24);
		const start = windowStart(full.lossMask, 24);
		expect([...cut.tokens]).toEqual([...full.tokens.slice(start, start + 24)]);
		// The last reply starts 6 (= 24 / 4) tokens into the window.
		expect([...cut.lossMask.slice(0, 7)]).toEqual([0, 0, 0, 0, 0, 0, 1]);
		expect(windowStart(Uint8Array.from([0, 0, 1, 1]), 8)).toBe(0);
		expect(windowStart(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]), 8)).toBe(4); // the window cannot run past the end
		expect(() => tokenizeSft(tok, example, 4)).toThrow(TokenizeError);
	});

	it('caches per example object and refuses preference examples', () => {
		const et = new ExampleTokenizer(tok, 64);
		expect(et.of(example)).toBe(et.of(example));
		expect(et.batch([example, example]).tokens).toHaveLength(2);
		expect(() => et.of({ kind: 'reward', treeId: 't', id: 'a>b', prefix: [], chosen: 'a', rejected: 'b', chosenRank: 0, rejectedRank: 1 })).toThrow(/not an SFT thread/);
	});
});
