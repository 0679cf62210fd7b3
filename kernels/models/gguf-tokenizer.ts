/**
 * Converts a GGUF tokenizer (`tokenizer.ggml.*` metadata) into a tokenizer.json object for
 * Tokenizers.js: `gpt2` (byte-level BPE with merges; pre-tokenizer regex by `tokenizer.ggml.pre`)
 * and `llama` (SentencePiece BPE with byte fallback; merges derived from the scores, as
 * transformers' LlamaConverter does). Returns null for other tokenizer models.
 */
import type { GgufValue } from './gguf.js';

const LLAMA3_REGEX =
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX =
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** The byte-level pre-tokenizer for a `tokenizer.ggml.pre` value. */
export function byteLevelPreTokenizer(pre: string | undefined): object {
	const regex = pre === 'llama-bpe' || pre === 'llama3' || pre === 'smaug-bpe' ? LLAMA3_REGEX : pre === 'qwen2' ? QWEN2_REGEX : null;
	if (!regex) return { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
	return {
		type: 'Sequence',
		pretokenizers: [
			{ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
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
		return {
			version: '1.0',
			added_tokens: added,
			normalizer: null,
			pre_tokenizer: byteLevelPreTokenizer(md.get('tokenizer.ggml.pre') as string | undefined),
			post_processor: bosProcessor(bos, addBos === true),
			decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
			model: {
				type: 'BPE',
				dropout: null,
				unk_token: null,
				continuing_subword_prefix: null,
				end_of_word_suffix: null,
				fuse_unk: false,
				byte_fallback: false,
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
		normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '▁' }, { type: 'Replace', pattern: { String: ' ' }, content: '▁' }] },
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
