/**
 * GGUF byte-level pre-tokenizers (`tokenizer.ggml.pre`) split text as llama.cpp's regex lists do:
 * Tokenizers.js running our Sequence of Split steps gives the pieces of a plain "apply each regex
 * to each piece in turn" over a corpus of tricky strings; hand-written pieces check the regexes
 * themselves; smollm, llama-bpe and qwen2 split like the models' own tokenizer.json configs, also
 * over real Open Assistant messages (Node only: read from ../shared/data/oasst).
 */
import { SequencePreTokenizer, Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import type { GgufValue } from './gguf.js';
import { byteLevelPreTokenizer, ggufTokenizerJson, preTokenizerRegexes } from './gguf-tokenizer.js';

/** GPT-2's byte → printable character table (what ByteLevel turns each UTF-8 byte into). */
const BYTE_CHARS: string[] = (() => {
	const keep = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
	const out: string[] = [];
	let n = 0;
	for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(keep(b) ? b : 256 + n++);
	return out;
})();
const utf8 = new TextEncoder();
const byteLevel = (piece: string) => Array.from(utf8.encode(piece), (b) => BYTE_CHARS[b]).join('');

/**
 * The Oniguruma shorthands Tokenizers.js (like the original Rust tokenizers and llama.cpp's
 * Unicode flags) reads as Unicode classes, spelled so a plain JavaScript `u` regex agrees.
 */
const jsDialect = (re: string) =>
	re.replace(/(?<!\\)\\s/g, '\\p{White_Space}').replace(/(?<!\\)\\S/g, '\\P{White_Space}').replace(/(?<!\\)\\d/g, '\\p{Nd}');

/** llama.cpp's unicode_regex_split, straightforwardly: each regex cuts every piece; unmatched text stays a piece. */
function splitInSequence(text: string, regexes: readonly string[]): string[] {
	let pieces = text === '' ? [] : [text];
	for (const source of regexes) {
		const re = new RegExp(jsDialect(source), 'gu');
		const next: string[] = [];
		for (const piece of pieces) {
			let prev = 0;
			re.lastIndex = 0;
			for (let m = re.exec(piece); m; m = re.exec(piece)) {
				if (m.index > prev) next.push(piece.slice(prev, m.index));
				if (m[0].length > 0) next.push(m[0]);
				else re.lastIndex = m.index + (piece.codePointAt(m.index)! > 0xffff ? 2 : 1);
				prev = m.index + m[0].length;
			}
			if (prev < piece.length) next.push(piece.slice(prev));
		}
		pieces = next;
	}
	return pieces;
}

/** Tokenizers.js running a pre-tokenizer config (pieces come out byte-level encoded). */
function runConfig(config: object, text: string): string[] {
	return new SequencePreTokenizer({ type: 'Sequence', pretokenizers: [config] } as never).pre_tokenize_text(text);
}

const CORPUS = [
	"In 2024 I'LL pay 1234567 €",
	'1 12 123 1234 12345 123456 1234567 a1b22c333d4444',
	"I'm sure you'll see they've gone; it's HIS, I'D SAY WE'RE, YOU'VE, I'M, DON'T, she'S",
	'北京是中国的首都。東京は日本の首都です。서울은 한국의 수도입니다. 中文English混合',
	'Emoji: 👍🏽 😀😀 🇩🇪 family 👨‍👩‍👧 ok👍',
	'Accents: café naïve Ångström façade straße ÉCOLE Ελληνικά русский ÀÉÎõü',
	'mixed\twhitespace \r\n\r\n  lines\n\n\n   indented\t\t tabs   and    runs     \n',
	'Punctuation!!! ... ??? --- ((( ))) "quoted" — em dash… «guillemets» ¿qué? ¡sí!',
	'function f(x) {\n\treturn x.map((y) => y * 2); // 3.14159\n}\n\n  if (a != b) { c += "d\\n"; }',
	'CamelCaseWords and HTTPServer getHTTPResponse iPhone XMLHttpRequest éÉ',
	'$100,000.00 + 50% = ¥12,345 ½ ² ٣٤٥ ١٢٣٤ ⅫⅣ',
	'decomposed cafe\u0301 and combining a\u0308o\u0308 नमस्ते',
	'full-width ＡＢＣ１２３！？ and ideographic space\u3000here\u00a0nbsp',
	'IMGIMGABCZ <sentinel:12> text',
	'trailing spaces   ',
	'   leading',
	' ',
	'\n',
	"'s x's y'S",
	'a',
	''
];

const SUPPORTED = [
	'llama-bpe',
	'dbrx',
	'jais-2',
	'qwen2',
	'qwen35',
	'minicpm5',
	'grok-2',
	'ufakzeka',
	'laguna',
	'seed-coder',
	'bailingmoe',
	'exaone-moe',
	'deepseek-llm',
	'deepseek-coder',
	'deepseek-v3',
	'spark2_5',
	'falcon',
	'default',
	'smollm',
	'gpt-2',
	'bloom',
	'viking',
	'tekken',
	'chameleon',
	'gpt-4o',
	'kimi-k2',
	'superbpe'
];

describe('GGUF byte-level pre-tokenizers', () => {
	it.each(SUPPORTED)('%s: Tokenizers.js splits the corpus as the regex list applied in sequence', (pre) => {
		const regexes = preTokenizerRegexes(pre)!;
		expect(regexes.length).toBeGreaterThan(0);
		const config = byteLevelPreTokenizer(pre);
		for (const text of CORPUS) {
			const expected = splitInSequence(text, regexes);
			expect(expected.join('')).toBe(text);
			expect(runConfig(config, text), JSON.stringify(text)).toEqual(expected.map(byteLevel));
		}
	});

	it('the regexes split tricky strings into the pieces llama.cpp gives', () => {
		const cases: [string, string, string[]][] = [
			['smollm', "In 2024 I'LL pay 1234567 €", ['In', ' ', '2', '0', '2', '4', ' I', "'", 'LL', ' pay', ' ', '1', '2', '3', '4', '5', '6', '7', ' €']],
			['llama-bpe', "In 2024 I'LL pay 1234567 €", ['In', ' ', '202', '4', ' I', "'LL", ' pay', ' ', '123', '456', '7', ' €']],
			['qwen2', "In 2024 I'LL pay 1234567 €", ['In', ' ', '2', '0', '2', '4', ' I', "'LL", ' pay', ' ', '1', '2', '3', '4', '5', '6', '7', ' €']],
			['gpt-2', "In 2024 I'LL pay 1234567 €", ['In', ' 2024', ' I', "'", 'LL', ' pay', ' 1234567', ' €']],
			['llama-bpe', 'a  \n\n b\t\tc', ['a', '  \n\n', ' b', '\t', '\tc']],
			['deepseek-coder', 'x = 42;\n', ['x', ' = ', '4', '2', ';', '\n']],
			['deepseek-llm', 'Hello 世界 123!', ['Hello', ' ', '世界', ' ', '123', '!']],
			['tekken', 'HTTPServer iPhone', ['HTTPServer', ' i', 'Phone']],
			['gpt-4o', "WE'RE HTTPServer 12345", ["WE'RE", ' HTTPServer', ' ', '123', '45']],
			['bloom', 'Hello, world! (ok)', ['Hello', ',', ' world', '! (', 'ok', ')']],
			['superbpe', 'x 1234567', ['x ', '1', '234', '567']],
			// Later regexes cut what earlier ones isolated, in llama.cpp too (sentinels are special tokens anyway).
			['chameleon', 'IMGIMGABZ  <sentinel:3>', ['IMGIMGABZ', '  ', '<', 'sentinel', ':', '3', '>']],
			['kimi-k2', 'Hi中文ok', ['Hi', '中文', 'ok']]
		];
		for (const [pre, text, pieces] of cases) {
			expect(splitInSequence(text, preTokenizerRegexes(pre)!), `${pre}: ${text}`).toEqual(pieces);
			expect(runConfig(byteLevelPreTokenizer(pre), text), `${pre}: ${text}`).toEqual(pieces.map(byteLevel));
		}
	});

	it("deepseek-llm's letter ranges, written as escapes, hold only letters", () => {
		const letters = new RegExp(`^${preTokenizerRegexes('deepseek-llm')![1].replace(/^\\s\?/, '').replace(/\+$/, '')}$`, 'u');
		let count = 0;
		for (let cp = 0; cp <= 0x1ffff; cp++) {
			const ch = String.fromCodePoint(cp);
			if (!letters.test(ch)) continue;
			count++;
			expect(/\p{L}/u.test(ch), `U+${cp.toString(16)}`).toBe(true);
		}
		expect(count).toBeGreaterThan(2000);
	});

	it('names we do not know, and no name, fall back to GPT-2 ByteLevel', () => {
		for (const pre of [undefined, 'no-such-model']) {
			expect(byteLevelPreTokenizer(pre)).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
		}
	});
});

/** The models' own pre-tokenizer configs from their tokenizer.json. */
const ORIGINAL: Record<string, object> = {
	smollm: {
		type: 'Sequence',
		pretokenizers: [
			{ type: 'Digits', individual_digits: true },
			{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true }
		]
	},
	'llama-bpe': {
		type: 'Sequence',
		pretokenizers: [
			{
				type: 'Split',
				pattern: {
					Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
				},
				behavior: 'Isolated',
				invert: false
			},
			{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }
		]
	},
	qwen2: {
		type: 'Sequence',
		pretokenizers: [
			{
				type: 'Split',
				pattern: {
					Regex: "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
				},
				behavior: 'Isolated',
				invert: false
			},
			{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false }
		]
	}
};

/** The first 300 message texts of ../shared/data/oasst/*.jsonl (none in the browser or where absent). */
async function oasstTexts(): Promise<string[]> {
	if ((globalThis as { window?: unknown }).window) return [];
	const fsModule = 'node:fs/promises';
	const { readdir, readFile } = (await import(/* @vite-ignore */ fsModule)) as typeof import('node:fs/promises');
	const dir = '../shared/data/oasst';
	const files = await readdir(dir).catch(() => [] as string[]);
	const texts: string[] = [];
	const walk = (m: { text?: string; replies?: unknown[] }) => {
		if (texts.length >= 300) return;
		if (typeof m.text === 'string') texts.push(m.text);
		for (const r of m.replies ?? []) walk(r as { text?: string; replies?: unknown[] });
	};
	for (const f of files.filter((f) => f.endsWith('.jsonl')).sort()) {
		for (const line of (await readFile(`${dir}/${f}`, 'utf8')).split('\n')) {
			if (texts.length >= 300) return texts;
			if (line.trim()) walk((JSON.parse(line) as { prompt: { text?: string; replies?: unknown[] } }).prompt);
		}
	}
	return texts;
}

/**
 * Numerals outside ASCII (½ ² ٣ Ⅻ): the Rust tokenizers' Digits and llama.cpp (\p{N}) isolate
 * each, Tokenizers.js's Digits only knows 0-9 — so texts with them are left out of the smollm
 * comparison, and our Split form follows Rust and llama.cpp there.
 */
const NON_ASCII_NUMERAL = /(?![0-9])\p{N}/u;

describe("GGUF pre-tokenizers against the models' own tokenizer.json", () => {
	it.each(Object.keys(ORIGINAL))('%s splits the corpus and Open Assistant messages as the original', async (pre) => {
		const texts = [...CORPUS, ...(await oasstTexts())].filter((t) => pre !== 'smollm' || !NON_ASCII_NUMERAL.test(t));
		const ours = byteLevelPreTokenizer(pre);
		let differs = 0;
		for (const text of texts) {
			expect(runConfig(ours, text), JSON.stringify(text)).toEqual(runConfig(ORIGINAL[pre], text));
			if (JSON.stringify(runConfig(ours, text)) !== JSON.stringify(runConfig(byteLevelPreTokenizer(undefined), text))) differs++;
		}
		// The corpus exercises what sets the model apart from the GPT-2 fallback.
		expect(differs).toBeGreaterThan(3);
	});

	it('smollm isolates every numeral, as llama.cpp and the Rust Digits pre-tokenizer do', () => {
		expect(runConfig(byteLevelPreTokenizer('smollm'), 'x ½² ٣٤ Ⅻ')).toEqual(['x', ' ', '½', '²', ' ', '٣', '٤', ' ', 'Ⅻ'].map(byteLevel));
	});
});

describe('GGUF byte-level tokenizer options by pre type', () => {
	// A vocabulary where "Ġabc" is a token that no merge sequence builds (only "a b" and "b c" merge).
	const tokens = ['<|bos|>', 'Ġ', 'a', 'b', 'c', 'ab', 'bc', 'Ġabc'];
	const tokenizer = (pre: string, addBos?: boolean) => {
		const md = new Map<string, GgufValue>([
			['tokenizer.ggml.model', 'gpt2'],
			['tokenizer.ggml.pre', pre],
			['tokenizer.ggml.tokens', tokens],
			['tokenizer.ggml.token_type', tokens.map((_, i) => (i === 0 ? 3 : 1))],
			['tokenizer.ggml.merges', ['a b', 'b c']],
			['tokenizer.ggml.bos_token_id', 0]
		]);
		if (addBos !== undefined) md.set('tokenizer.ggml.add_bos_token', addBos);
		return new Tokenizer(ggufTokenizerJson(md)! as never, {});
	};
	const encode = (t: Tokenizer, text: string) => t.encode(text).ids;

	it('llama-bpe takes a pre-token found in the vocabulary whole (ignore_merges) and adds BOS unless told not to', () => {
		expect(encode(tokenizer('llama-bpe'), ' abc')).toEqual([0, 7]);
		expect(encode(tokenizer('llama-bpe', false), ' abc')).toEqual([7]);
	});

	it('dbrx (same regex) merges as usual and adds BOS only when the GGUF asks', () => {
		expect(encode(tokenizer('dbrx'), ' abc')).toEqual([1, 5, 4]);
		expect(encode(tokenizer('dbrx', true), ' abc')).toEqual([0, 1, 5, 4]);
	});
});

describe('GGUF SentencePiece (llama) tokenizers', () => {
	const tokens = ['<unk>', '<s>', '</s>', '▁', 'h', 'i', 'hi', '▁hi'];
	const tokenizer = (addSpacePrefix?: boolean) => {
		const md = new Map<string, GgufValue>([
			['tokenizer.ggml.model', 'llama'],
			['tokenizer.ggml.tokens', tokens],
			['tokenizer.ggml.token_type', tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : 1))],
			['tokenizer.ggml.scores', tokens.map((_, i) => -i)],
			['tokenizer.ggml.bos_token_id', 1],
			['tokenizer.ggml.unknown_token_id', 0]
		]);
		if (addSpacePrefix !== undefined) md.set('tokenizer.ggml.add_space_prefix', addSpacePrefix);
		return new Tokenizer(ggufTokenizerJson(md)! as never, {});
	};

	it('prefixes a space unless the GGUF says add_space_prefix = false', () => {
		expect(tokenizer().encode('hi').ids).toEqual([1, 7]);
		expect(tokenizer(true).encode('hi').ids).toEqual([1, 7]);
		expect(tokenizer(false).encode('hi').ids).toEqual([1, 6]);
		expect(tokenizer(false).encode('hi hi').ids).toEqual([1, 6, 7]);
	});
});
