/**
 * Converts a GGUF tokenizer (`tokenizer.ggml.*` metadata) into a tokenizer.json object for
 * Tokenizers.js: `gpt2` (byte-level BPE with merges; pre-tokenizer regex by `tokenizer.ggml.pre`)
 * and `llama` (SentencePiece BPE with byte fallback; merges derived from the scores, as
 * transformers' LlamaConverter does). Returns null for other tokenizer models.
 */
import type { GgufValue } from './gguf.js';

// ---------------------------------------------------------------------------------------------
// Byte-level BPE pre-tokenizers by `tokenizer.ggml.pre`, after llama.cpp (src/llama-vocab.cpp:
// the pre name → LLAMA_VOCAB_PRE_TYPE_* mapping and the regex list of each type). llama.cpp cuts
// the text with each regex in turn, each one cutting the pieces the previous one left, and text a
// regex does not match stays a piece of its own; a Sequence of `Split` (behavior Isolated) steps
// in the same order does exactly that in Tokenizers.js, followed by ByteLevel without its own
// regex. The patterns are written in the dialect Tokenizers.js compiles (Oniguruma, rewritten to
// a JavaScript `u` regex: `\s` is Unicode White_Space, `\d` is \p{Nd}); characters outside ASCII
// are written as \u escapes, never raw, so no editor or Unicode normalisation can change a range.
// Where llama.cpp replaced a model's original regex by an approximation its C++ engine can run
// (tekken, gpt-4o: `[\p{Lu}\p{Lt}…]` became "a letter that is not a-z"), we keep the original:
// JavaScript has those classes, and the goal is to split as the model's own tokenizer does.
// `(?i:…)` contractions are spelled `'[sS]…` as llama.cpp does (Tokenizers.js folds ASCII only).
// ---------------------------------------------------------------------------------------------

/** GPT-2's regex as llama.cpp writes it (HF's ByteLevel adds a final `|\s+`, which changes no split: unmatched text stays a piece). */
const GPT2 = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`;
const CONTRACTIONS = String.raw`(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])`;
const LLAMA3 = CONTRACTIONS + String.raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2 = CONTRACTIONS + String.raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
/** Upper-ish and lower-ish letter runs of the o200k / tekken family (original tokenizer.json classes). */
const UPPERISH = String.raw`[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]`;
const LOWERISH = String.raw`[\p{Ll}\p{Lm}\p{Lo}\p{M}]`;
/** The cased letters (Unicode L& of an older Unicode version, as DeepSeek's tokenizer.json lists them) of deepseek-llm's words. */
const DEEPSEEK_CASED = String.raw`A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A\uFF41-\uFF5A\u{10400}-\u{1044F}\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}\u{1E900}-\u{1E943}`;
/** CJK ideographs U+4E00–U+9FA5, U+0800–U+4E00 and Hangul U+AC00–U+D7FF (deepseek-llm, deepseek-coder). */
const DEEPSEEK_CJK = String.raw`[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+`;
/** CJK ideographs U+4E00–U+9FA5, hiragana and katakana (deepseek-v3 family). */
const HAN_KANA = String.raw`[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+`;
/** BLOOM's split: everything but `(`, whitespace, `|`, `)` and . , ! ? … 。 ， 、 । ۔ ، (each optionally after a space). */
const BLOOM = String.raw` ?[^(\s|.,!?\u2026\u3002\uFF0C\u3001\u0964\u06D4\u060C)]+`;

/** What llama.cpp does for one pre-tokenizer type. */
interface PreType {
	/** Regexes applied in order (Split, Isolated). */
	regexes: readonly string[];
	/** A pre-token that is itself in the vocabulary becomes that token without merging (llama.cpp `ignore_merges`, HF BPE `ignore_merges`). */
	ignoreMerges?: boolean;
	/** llama.cpp adds BOS for this type unless the GGUF says `tokenizer.ggml.add_bos_token = false`. */
	addBos?: boolean;
}

const LLAMA3_TYPE: PreType = { regexes: [LLAMA3], ignoreMerges: true, addBos: true };
const GPT2_TYPE: PreType = { regexes: [GPT2] };
const QWEN2_TYPE: PreType = { regexes: [QWEN2] };
const STARCODER_TYPE: PreType = { regexes: [String.raw`\p{N}`, GPT2] };
const BLOOM_TYPE: PreType = { regexes: [BLOOM] };
const DEEPSEEK3_TYPE: PreType = {
	regexes: [
		String.raw`\p{N}{1,3}`,
		HAN_KANA,
		String.raw`[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` +
			'`' +
			String.raw`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	]
};
const GPT4O_TYPE: PreType = {
	regexes: [
		`[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}*${LOWERISH}+${CONTRACTIONS}?|[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}+${LOWERISH}*${CONTRACTIONS}?|` +
			String.raw`\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	]
};

/**
 * Pre name (`tokenizer.ggml.pre`, as convert_hf_to_gguf.py writes it) → llama.cpp's pre type.
 * Names llama.cpp knows but we leave out fall back (see byteLevelPreTokenizer): gemma4,
 * granite-embed-multi-311m, sarvam-moe and whitespace are not byte-level; afmoe and youtu spell
 * script ranges we have not verified; tiny_aya/cohere2moe need Unicode `\b`; llama.cpp only has an
 * approximation of granite-embed-multi-97m's regex. None is an architecture we run.
 */
const PRE_TYPES: ReadonlyMap<string, PreType> = new Map<string, PreType>([
	// Llama 3 / 3.1 / 3.2 (llama-bpe), Falcon 3, Falcon-H1, Pixtral, Mi:dm 2.0, LFM2, Jina v5 nano:
	// digits in runs of up to three, contractions either case; whole words in the vocabulary skip merges.
	...['llama3', 'llama-v3', 'llama-bpe', 'falcon3', 'falcon-h1', 'pixtral', 'midm-2.0', 'lfm2', 'jina-v5-nano'].map(
		(n) => [n, LLAMA3_TYPE] as const
	),
	// DBRX, Smaug, GLM-4 / ChatGLM: the Llama 3 regex, merges always applied.
	...['dbrx', 'smaug-bpe', 'glm4', 'chatglm-bpe'].map((n) => [n, { regexes: [LLAMA3] }] as const),
	// Jais 2: Llama 3's regex with whitespace runs cut in powers of two (512 … 4, then 1–2).
	[
		'jais-2',
		{
			regexes: [
				CONTRACTIONS +
					String.raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s{512}(?!\S)|\s{256}(?!\S)|\s{128}(?!\S)|\s{64}(?!\S)|\s{32}(?!\S)|\s{16}(?!\S)|\s{8}(?!\S)|\s{4}(?!\S)|\s{1,2}(?!\S)|\s{1}`
			]
		}
	],
	// Qwen 1.5 / 2 / 2.5 / 3 (qwen2), DeepSeek-R1 distills of Qwen, StableLM 2, Megrez, Hunyuan,
	// Solar Open, KORMo, F2LLM v2: like Llama 3 but every digit on its own.
	...['qwen2', 'deepseek-r1-qwen', 'kormo', 'f2llmv2', 'megrez', 'stablelm2', 'hunyuan', 'solar-open'].map(
		(n) => [n, QWEN2_TYPE] as const
	),
	// Qwen 3.5: Qwen 2's regex with combining marks kept inside words.
	[
		'qwen35',
		{
			regexes: [
				CONTRACTIONS +
					String.raw`|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
			]
		}
	],
	// MiniCPM 5: numbers by three, then Llama 3's regex with whole numbers; whole words skip merges.
	[
		'minicpm5',
		{
			regexes: [
				String.raw`\p{N}{1,3}`,
				CONTRACTIONS + String.raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
			],
			ignoreMerges: true
		}
	],
	// Grok 2: Qwen 2's regex.
	['grok-2', QWEN2_TYPE],
	// Ufakzeka: Qwen 2's regex without contractions (Turkish apostrophe suffixes stay attached).
	['ufakzeka', { regexes: [String.raw`[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`] }],
	// Laguna: lines first, then Qwen 2's regex.
	['laguna', { regexes: [String.raw`[^\n]+|[\n]+`, QWEN2] }],
	// Seed-Coder: digits one by one, punctuation runs never take a newline.
	[
		'seed-coder',
		{ regexes: [CONTRACTIONS + String.raw`|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+`] }
	],
	// Ling / Bailing MoE, LLaDA-MoE (possessive quantifiers of the original made greedy, as llama.cpp does).
	...['bailingmoe', 'bailingmoe2', 'llada-moe'].map(
		(n) =>
			[
				n,
				{
					regexes: [
						String.raw`'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+`
					]
				}
			] as const
	),
	// EXAONE MoE: letters may be joined by single spaces into one piece.
	[
		'exaone-moe',
		{
			regexes: [
				CONTRACTIONS +
					String.raw`|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+`
			]
		}
	],
	// DeepSeek LLM 7B/67B: newlines, cased-letter words, ASCII/fullwidth punctuation, trailing space, CJK, numbers.
	[
		'deepseek-llm',
		{
			regexes: [
				String.raw`[\r\n]`,
				String.raw`\s?[${DEEPSEEK_CASED}]+`,
				String.raw`\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+`,
				String.raw`\s+$`,
				DEEPSEEK_CJK,
				String.raw`\p{N}+`
			]
		}
	],
	// DeepSeek Coder: newlines, letter words, punctuation runs, CJK, digits one by one.
	['deepseek-coder', { regexes: [String.raw`[\r\n]`, String.raw`\s?\p{L}+`, String.raw`\s?\p{P}+`, DEEPSEEK_CJK, String.raw`\p{N}`] }],
	// DeepSeek V3 / R1, Hunyuan dense, JoyAI, HY v4: numbers by three, Han and kana runs, then words.
	...['deepseek-v3', 'hunyuan-dense', 'joyai-llm', 'hy_v4'].map((n) => [n, DEEPSEEK3_TYPE] as const),
	// Spark 2.5: DeepSeek V3's pieces, newline by newline, digits one by one.
	[
		'spark2_5',
		{
			regexes: [
				DEEPSEEK3_TYPE.regexes[0],
				DEEPSEEK3_TYPE.regexes[1],
				String.raw`[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_` +
					'`' +
					String.raw`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+|[\r\n]|\s+(?!\S)|\s+`,
				String.raw`\p{N}`
			]
		}
	],
	// Falcon (1): punctuation runs, GPT-2's regex, then numbers cut after three digits.
	['falcon', { regexes: [String.raw`[\p{P}\$\+<=>\^~\|` + '`' + ']+', GPT2, '[0-9][0-9][0-9]'] }],
	// llama.cpp's "default" (also what it uses when the GGUF has no pre name at all): Falcon's list plus numbers.
	['default', { regexes: [String.raw`[\p{P}\$\+<=>\^~\|]+`, GPT2, String.raw`\p{N}+`, '[0-9][0-9][0-9]'] }],
	// StarCoder, Refact, Command-R, SmolLM / SmolLM2, CodeShell, EXAONE 3, Minerva, Mellum 2:
	// every digit on its own, then GPT-2's regex (SmolLM2's tokenizer.json: Digits(individual) + ByteLevel).
	...['starcoder', 'refact', 'command-r', 'smollm', 'codeshell', 'exaone', 'minerva-7b', 'mellum2'].map(
		(n) => [n, STARCODER_TYPE] as const
	),
	// GPT-2, Phi-2, MPT, OLMo, Jais, Trillion, Granite Docling, EXAONE 4, GigaChat, A.X 4.0, Mellum,
	// ModernBERT, RoBERTa and Jina embeddings: GPT-2's regex.
	...[
		'gpt-2',
		'phi-2',
		'jina-es',
		'jina-de',
		'gigachat',
		'jina-v2-es',
		'jina-v2-de',
		'a.x-4.0',
		'mellum',
		'modern-bert',
		'jina-v1-en',
		'jina-v2-code',
		'roberta-bpe',
		'exaone4',
		'mpt',
		'olmo',
		'jais',
		'trillion',
		'granite-docling'
	].map((n) => [n, GPT2_TYPE] as const),
	// BLOOM, Poro, GPT-3 Finnish: words up to whitespace or sentence punctuation.
	...['bloom', 'poro-chat', 'gpt3-finnish'].map((n) => [n, BLOOM_TYPE] as const),
	// Viking: BLOOM's split, then digits one by one.
	['viking', { regexes: [BLOOM, String.raw`\p{N}`] }],
	// Mistral Nemo / Tekken (original tokenizer.json regex): camel-case aware words, digits one by one.
	[
		'tekken',
		{
			regexes: [
				`[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}*${LOWERISH}+|[^\\r\\n\\p{L}\\p{N}]?${UPPERISH}+${LOWERISH}*|` +
					String.raw`\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`
			],
			ignoreMerges: true,
			addBos: true
		}
	],
	// Chameleon: sentinel and image tokens, tabs/newlines/indents, digits, punctuation, then GPT-2.
	[
		'chameleon',
		{
			regexes: [
				'<sentinel:[0-9]+>',
				'(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z',
				String.raw`([\t\n]|    |  )`,
				String.raw`\p{N}`,
				String.raw`[\p{P}!-/:-@\[-` + '`' + '{-~]',
				GPT2
			],
			addBos: true
		}
	],
	// GPT-4o (o200k), Llama 4, Kanana 2, Talkie, MiniMax M2 (original tokenizer.json regex).
	...['gpt-4o', 'llama4', 'kanana2', 'talkie', 'minimax-m2'].map((n) => [n, GPT4O_TYPE] as const),
	// Kimi K2: Han runs, then the o200k-style words without Han (llama.cpp's hand-written splitter).
	[
		'kimi-k2',
		{
			regexes: [
				String.raw`\p{Script=Han}+|[^\r\n\p{L}\p{N}]?(?:(?!\p{Script=Han})${UPPERISH})*(?:(?!\p{Script=Han})${LOWERISH})+${CONTRACTIONS}?|[^\r\n\p{L}\p{N}]?(?:(?!\p{Script=Han})${UPPERISH})+(?:(?!\p{Script=Han})${LOWERISH})*${CONTRACTIONS}?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
			]
		}
	],
	// SuperBPE: numbers, then cut before each group of three digits counted from the right.
	['superbpe', { regexes: [String.raw`\p{N}+`, String.raw`(?=(\d{3})+(?!\d))`] }]
]);

/** The regexes llama.cpp applies, in order, for a `tokenizer.ggml.pre` value (undefined if we fall back). */
export function preTokenizerRegexes(pre: string | undefined): readonly string[] | undefined {
	return pre === undefined ? undefined : PRE_TYPES.get(pre)?.regexes;
}

/**
 * The byte-level pre-tokenizer for a `tokenizer.ggml.pre` value. A name we do not know (or none)
 * gets GPT-2's ByteLevel pre-tokenizer: llama.cpp refuses unknown names and uses its "default"
 * list when the name is missing, but GPT-2's split is the friendlier guess for a file that still
 * loads — tokens may then differ from the original model's on digits, CJK or contractions.
 */
export function byteLevelPreTokenizer(pre: string | undefined): object {
	const regexes = preTokenizerRegexes(pre);
	if (!regexes) return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
	return {
		type: 'Sequence',
		pretokenizers: [
			...regexes.map((regex) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false })),
			{ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }
		]
	};
}

function bosProcessor(bos: string | undefined, addBos: boolean): object | null {
	if (!addBos || bos === undefined) return null;
	return {
		type: 'TemplateProcessing',
		single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
		pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
		special_tokens: { [bos]: { id: bos, ids: [0], tokens: [bos] } }
	};
}

/** tokenizer.json for the tokenizer in `md`, or null if its model is not gpt2/llama. */
export function ggufTokenizerJson(md: Map<string, GgufValue>): object | null {
	const model = md.get('tokenizer.ggml.model');
	const tokens = md.get('tokenizer.ggml.tokens') as string[] | undefined;
	if (!tokens || (model !== 'gpt2' && model !== 'llama')) return null;
	const types = (md.get('tokenizer.ggml.token_type') as number[] | undefined) ?? [];
	const vocab: Record<string, number> = {};
	tokens.forEach((t, i) => (vocab[t] = i));
	const added = tokens
		.map((content, id) => ({ content, id, type: types[id] }))
		.filter((t) => t.type === 3 || t.type === 4)
		.map((t) => ({ id: t.id, content: t.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: t.type === 3 }));
	const bosId = md.get('tokenizer.ggml.bos_token_id');
	const bos = bosId === undefined ? undefined : tokens[Number(bosId)];
	const addBos = md.get('tokenizer.ggml.add_bos_token');
	if (model === 'gpt2') {
		const pre = md.get('tokenizer.ggml.pre');
		const preType = typeof pre === 'string' ? PRE_TYPES.get(pre) : undefined;
		return {
			version: '1.0',
			added_tokens: added,
			normalizer: null,
			pre_tokenizer: byteLevelPreTokenizer(typeof pre === 'string' ? pre : undefined),
			post_processor: bosProcessor(bos, addBos === undefined ? preType?.addBos === true : addBos === true),
			decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
			model: {
				type: 'BPE',
				dropout: null,
				unk_token: null,
				continuing_subword_prefix: null,
				end_of_word_suffix: null,
				fuse_unk: false,
				byte_fallback: false,
				ignore_merges: preType?.ignoreMerges === true,
				vocab,
				merges: (md.get('tokenizer.ggml.merges') as string[] | undefined) ?? []
			}
		};
	}
	// SentencePiece BPE: a merge (a, b) exists where a, b and a+b are all pieces; earlier merges
	// are those whose result has the higher score.
	const scores = (md.get('tokenizer.ggml.scores') as number[] | undefined) ?? tokens.map((_, i) => -i);
	const merges: [string, string, number][] = [];
	tokens.forEach((piece, id) => {
		if (types[id] !== undefined && types[id] !== 1) return;
		for (let i = 1; i < piece.length; i++) {
			const a = piece.slice(0, i);
			const b = piece.slice(i);
			if (a in vocab && b in vocab) merges.push([a, b, scores[id]]);
		}
	});
	merges.sort((x, y) => y[2] - x[2]);
	const unk = md.get('tokenizer.ggml.unknown_token_id');
	return {
		version: '1.0',
		added_tokens: added,
		// llama.cpp prefixes a space unless the GGUF says `add_space_prefix = false`.
		normalizer: {
			type: 'Sequence',
			normalizers: [
				...(md.get('tokenizer.ggml.add_space_prefix') === false ? [] : [{ type: 'Prepend', prepend: '▁' }]),
				{ type: 'Replace', pattern: { String: ' ' }, content: '▁' }
			]
		},
		pre_tokenizer: null,
		post_processor: bosProcessor(bos, addBos !== false),
		decoder: {
			type: 'Sequence',
			decoders: [
				{ type: 'Replace', pattern: { String: '▁' }, content: ' ' },
				{ type: 'ByteFallback' },
				{ type: 'Fuse' },
				{ type: 'Strip', content: ' ', start: 1, stop: 0 }
			]
		},
		model: {
			type: 'BPE',
			dropout: null,
			unk_token: unk === undefined ? null : tokens[Number(unk)],
			continuing_subword_prefix: null,
			end_of_word_suffix: null,
			fuse_unk: true,
			byte_fallback: true,
			vocab,
			merges: merges.map(([a, b]) => [a, b])
		}
	};
}
