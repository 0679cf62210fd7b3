/**
 * Tokenizer and chat template of a model: `tokenizer.json` through Tokenizers.js
 * (@huggingface/tokenizers) and `chat_template` through @huggingface/jinja — no BPE of our own.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { ModelError } from './errors.js';

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

type TokenField = string | { content?: string } | null | undefined;

function tokenText(t: TokenField): string | undefined {
	return typeof t === 'string' ? t : (t?.content ?? undefined);
}

/** A model's tokenizer: encode, decode, chat prompts, special ids. */
export class ModelTokenizer {
	private readonly tok: Tokenizer;
	private readonly template: Template | null;
	private readonly config: Record<string, unknown>;

	constructor(tokenizerJson: unknown, tokenizerConfig: unknown = {}) {
		this.config = (tokenizerConfig ?? {}) as Record<string, unknown>;
		try {
			this.tok = new Tokenizer(tokenizerJson as object, this.config);
		} catch (e) {
			throw new ModelError('bad-format', `tokenizer.json: cannot be loaded (${(e as Error).message})`);
		}
		let src = this.config.chat_template as string | { name: string; template: string }[] | undefined;
		if (Array.isArray(src)) src = src.find((t) => t.name === 'default')?.template ?? src[0]?.template;
		this.template = typeof src === 'string' ? new Template(src) : null;
	}

	get hasChatTemplate(): boolean {
		return this.template !== null;
	}

	/** Token ids of `text`; `addSpecial` adds BOS etc. as the tokenizer's post-processor says. */
	encode(text: string, addSpecial = true): number[] {
		return this.tok.encode(text, { add_special_tokens: addSpecial }).ids;
	}

	/** Text of `ids`, special tokens removed. */
	decode(ids: number[], skipSpecial = true): string {
		return this.tok.decode(ids, { skip_special_tokens: skipSpecial });
	}

	tokenToId(token: string): number | undefined {
		return this.tok.token_to_id(token);
	}

	/** The id of tokenizer_config's eos_token, if any. */
	eosTokenId(): number | undefined {
		const t = tokenText(this.config.eos_token as TokenField);
		return t === undefined ? undefined : this.tok.token_to_id(t);
	}

	/** Renders the chat template with the generation prompt (the assistant turn opened). */
	applyChatTemplate(messages: ChatMessage[], addGenerationPrompt = true): string {
		if (!this.template) throw new ModelError('unsupported', 'the model has no chat template (none in tokenizer_config.json, chat_template.jinja or the GGUF metadata); use --prompt without --chat');
		return this.template.render({
			messages,
			add_generation_prompt: addGenerationPrompt,
			bos_token: tokenText(this.config.bos_token as TokenField) ?? '',
			eos_token: tokenText(this.config.eos_token as TokenField) ?? ''
		});
	}

	/**
	 * Incremental detokenizer for streaming: push each new id, get the text it completes. Text
	 * is held back while it ends in an incomplete UTF-8 sequence (U+FFFD) so no garbage flickers.
	 */
	streamDecoder(): { push(id: number): string; flush(): string } {
		const ids: number[] = [];
		let emitted = 0;
		const take = (final: boolean) => {
			const text = this.decode(ids);
			if (!final && text.endsWith('\uFFFD')) return '';
			const out = text.slice(emitted);
			emitted = text.length;
			return out;
		};
		return {
			push: (id) => (ids.push(id), take(false)),
			flush: () => take(true)
		};
	}

	/** Chat messages → ids (the template already holds any BOS, so none is added). */
	encodeChat(messages: ChatMessage[]): number[] {
		return this.encode(this.applyChatTemplate(messages), false);
	}
}
