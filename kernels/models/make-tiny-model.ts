/**
 * Writes the bundled tiny model, public/models/oasis-tiny/: a Llama-shaped Hugging Face folder
 * with random (seeded) f32 weights and a real byte-level BPE tokenizer learned from the Open
 * Assistant sample trees. Deterministic: running it again gives the same bytes.
 *
 *   npx tsx kernels/models/make-tiny-model.ts [OUT_DIR]
 *
 * The last HELD_OUT trees of en_100_tree.jsonl are not used for the tokenizer (tests measure
 * quantization on them).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { trainByteLevelBpe } from './bpe-train.js';
import { randomModel, writeHfFolder, type FixtureSpec } from './testing/fixtures.js';

/** The Open Assistant sample beside the checkout (../shared), as the other tests find it. */
export const TINY_DATA = new URL('../../../shared/data/oasst/en_100_tree.jsonl', import.meta.url).pathname;
export const HELD_OUT = 10;
const SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const VOCAB = 1024;

export const TINY_SPEC: FixtureSpec = {
	arch: 'llama',
	vocab: VOCAB,
	hidden: 128,
	intermediate: 384,
	layers: 4,
	heads: 4,
	kvHeads: 2,
	tie: true,
	seed: 20261127
};

const CHAT_TEMPLATE =
	"{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}" +
	"{{ '<|im_start|>system\\nYou are Oasis, a helpful assistant.<|im_end|>\\n' }}{% endif %}" +
	"{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
	"{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

interface TreeNode {
	text: string;
	replies?: TreeNode[];
}

/** Every message text of the trees in a jsonl export, depth-first. */
export async function treeTexts(file: string): Promise<string[][]> {
	const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
	return lines.map((l) => {
		const out: string[] = [];
		const walk = (n: TreeNode) => {
			out.push(n.text);
			n.replies?.forEach(walk);
		};
		walk((JSON.parse(l) as { prompt: TreeNode }).prompt);
		return out;
	});
}

/** tokenizer.json (Tokenizers.js / HF tokenizers format) for a trained byte-level BPE. */
export function tokenizerJson(alphabet: string[], merges: [string, string][]): object {
	const vocab: Record<string, number> = {};
	SPECIAL.forEach((t, i) => (vocab[t] = i));
	for (const a of alphabet) vocab[a] = Object.keys(vocab).length;
	for (const [a, b] of merges) if (!(a + b in vocab)) vocab[a + b] = Object.keys(vocab).length;
	return {
		version: '1.0',
		truncation: null,
		padding: null,
		added_tokens: SPECIAL.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
		normalizer: null,
		pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
		post_processor: null,
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
			merges: merges.map(([a, b]) => `${a} ${b}`)
		}
	};
}

/**
 * Writes the tiny model's config, tokenizer, chat template and generation config to `out`; with
 * `randomWeights`, also seeded random f32 weights and a README saying so (the starting point of
 * `npm run train:tiny`, and a fixture). The bundled folder's weights are the trained ones
 * (kernels/train/make-trained-tiny.ts --install), which a plain rebuild leaves alone.
 */
export async function makeTinyModel(out: string, o: { randomWeights?: boolean } = {}): Promise<void> {
	const trees = await treeTexts(TINY_DATA);
	const train = trees.slice(0, trees.length - HELD_OUT).flat();
	const { alphabet, merges } = trainByteLevelBpe(train, VOCAB - SPECIAL.length - 256);
	const json = tokenizerJson(alphabet, merges) as { model: { vocab: Record<string, number> } };
	if (Object.keys(json.model.vocab).length !== VOCAB) throw new Error('tokenizer: vocabulary size differs from config');
	await mkdir(out, { recursive: true });
	const model = randomModel(TINY_SPEC);
	Object.assign(model.config, { bos_token_id: 1, eos_token_id: 2, max_position_embeddings: 2048 });
	if (o.randomWeights) await writeHfFolder(out, model);
	else await writeFile(join(out, 'config.json'), JSON.stringify(model.config, null, 2));
	await writeFile(join(out, 'tokenizer.json'), JSON.stringify(json));
	await writeFile(
		join(out, 'tokenizer_config.json'),
		JSON.stringify(
			{
				add_bos_token: false,
				add_prefix_space: false,
				bos_token: '<|im_start|>',
				eos_token: '<|im_end|>',
				pad_token: '<|endoftext|>',
				unk_token: '<|endoftext|>',
				model_max_length: 2048,
				clean_up_tokenization_spaces: false,
				tokenizer_class: 'GPT2Tokenizer',
				chat_template: CHAT_TEMPLATE
			},
			null,
			2
		)
	);
	await writeFile(join(out, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: 2 }, null, 2));
	if (o.randomWeights) await writeFile(join(out, 'README.md'), README);
}

const README = `# oasis-tiny — RANDOM WEIGHTS

A tiny Llama-shaped model in the Hugging Face folder format, bundled so the app has an offline
default and the tests have a real model folder. **Its weights are random** (seeded normal
values): it produces gibberish. Our own trainer will replace them.

- \`config.json\`: \`llama\`, vocab ${VOCAB}, hidden ${TINY_SPEC.hidden}, MLP ${TINY_SPEC.intermediate},
  ${TINY_SPEC.layers} layers, ${TINY_SPEC.heads} query heads / ${TINY_SPEC.kvHeads} kv heads (head dim ${TINY_SPEC.hidden / TINY_SPEC.heads}),
  tied embeddings, rope_theta 10000, f32.
- \`model.safetensors\`: f32 weights from seed ${TINY_SPEC.seed} (kernels/models/testing/fixtures.ts
  \`randomModel\`): embeddings N(0, 0.7²), linear layers N(0, 1/fan_in), norms 1 + N(0, 0.1²).
- \`tokenizer.json\`: a real byte-level BPE (GPT-2 pre-tokenizer, ${VOCAB - SPECIAL.length - 256}-odd merges)
  learned deterministically (kernels/models/bpe-train.ts) from the first ${100 - HELD_OUT} trees of
  the Open Assistant sample \`en_100_tree.jsonl\` (Apache-2.0); the last ${HELD_OUT} are held out.
  Special tokens: \`<|endoftext|>\` (0), \`<|im_start|>\` (1), \`<|im_end|>\` (2, EOS).
- \`tokenizer_config.json\`: a ChatML chat template (\`<|im_start|>role\\n…<|im_end|>\`).

Rebuild (byte-identical): \`npx tsx kernels/models/make-tiny-model.ts OUT --random-weights\`.
`;

if (import.meta.url === `file://${process.argv[1]}`) {
	const args = process.argv.slice(2);
	await makeTinyModel(args.find((a) => !a.startsWith('--')) ?? 'public/models/oasis-tiny', { randomWeights: args.includes('--random-weights') });
}
