/**
 * The chat page's state: the chat list, the open chat's message tree and the thread on screen,
 * and generation through the engine worker (loaded on first use with a dynamic import, so the
 * ML code is neither in the shell nor in the precache).
 */
import { addMessage, activate, chatDb, chatMessages, createChat, deleteChat, listChats, settleInterrupted, updateChat, updateMessage, type Chat, type ChatMessage } from '$lib/chat/db';
import { samplingFor } from '$lib/chat/presets';
import { resolveLeaf, switchSibling, threadTo } from '$lib/chat/tree';
import type { ChatCompletionMessage, Engine, EngineInfo } from '$lib/engine/types';

export interface EngineProblem {
	code: string;
	message: string;
	remedy: 'reload' | 'smaller-model' | 'retry' | 'none';
}

type EngineHandle = Engine & { dispose(): void };
let engineModule: Promise<typeof import('$lib/engine')> | null = null;

function problemOf(e: unknown): EngineProblem {
	const err = e as { code?: string; message?: string; remedy?: EngineProblem['remedy'] };
	return { code: err?.code ?? 'internal', message: err?.message ?? String(e), remedy: err?.remedy ?? 'reload' };
}

/** How often a streamed reply is written to IndexedDB (so a reload keeps most of it). */
const SAVE_EVERY_MS = 400;

export class ChatState {
	chats = $state.raw<Chat[]>([]);
	chat = $state.raw<Chat | null>(null);
	messages = $state.raw<ChatMessage[]>([]);
	thread = $derived(this.chat ? threadTo(this.messages, this.chat.activeLeafId) : []);
	/** The id of the reply being generated. */
	generating = $state<string | null>(null);
	engineState = $state<'idle' | 'loading' | 'ready' | 'error'>('idle');
	loadText = $state('');
	loadProgress = $state(0);
	engineInfo = $state.raw<EngineInfo | null>(null);
	problem = $state.raw<EngineProblem | null>(null);

	private readonly db = chatDb();
	private engine: EngineHandle | null = null;
	private loading: Promise<EngineHandle> | null = null;
	private abort: AbortController | null = null;

	async init(chatId: string | null): Promise<void> {
		this.chats = await listChats(this.db);
		const id = chatId && this.chats.some((c) => c.id === chatId) ? chatId : (this.chats[0]?.id ?? null);
		if (id) await this.open(id);
	}

	async refreshList(): Promise<void> {
		this.chats = await listChats(this.db);
	}

	async open(id: string): Promise<void> {
		if (this.generating) this.stop();
		await settleInterrupted(this.db, id);
		const chat = (await this.db.chats.get(id)) ?? null;
		const messages = chat ? await chatMessages(this.db, id) : [];
		if (chat) chat.activeLeafId = resolveLeaf(messages, chat.activeLeafId);
		this.messages = messages;
		this.chat = chat;
	}

	async newChat(): Promise<Chat> {
		const prev = this.chat;
		const chat = await createChat(this.db, prev ? { systemPrompt: prev.systemPrompt, preset: prev.preset, maxTokens: prev.maxTokens, modelId: prev.modelId } : {});
		await this.refreshList();
		await this.open(chat.id);
		return chat;
	}

	async remove(id: string): Promise<void> {
		if (this.chat?.id === id) {
			this.stop();
			this.chat = null;
			this.messages = [];
		}
		await deleteChat(this.db, id);
		await this.refreshList();
	}

	async saveSettings(changes: Partial<Pick<Chat, 'systemPrompt' | 'preset' | 'custom' | 'maxTokens'>>): Promise<void> {
		if (!this.chat) return;
		// Plain data only: IndexedDB cannot clone Svelte proxies.
		const plain = $state.snapshot(changes) as typeof changes;
		this.chat = { ...this.chat, ...plain };
		await updateChat(this.db, this.chat.id, plain);
	}

	/** Starts the worker and loads the chat's model (once). */
	ensureEngine(): Promise<EngineHandle> {
		if (this.engine && this.engineState === 'ready') return Promise.resolve(this.engine);
		if (this.loading) return this.loading;
		this.engineState = 'loading';
		this.problem = null;
		this.loading = (async () => {
			try {
				const mod = await (engineModule ??= import('$lib/engine'));
				this.engine ??= mod.WorkerEngine.start();
				this.engineInfo = await this.engine.load(this.chat?.modelId ?? mod.DEFAULT_MODEL, (p) => {
					this.loadText = p.text;
					this.loadProgress = p.progress;
				});
				this.engineState = 'ready';
				return this.engine;
			} catch (e) {
				engineModule = null;
				this.engineState = 'error';
				this.problem = problemOf(e);
				throw e;
			} finally {
				this.loading = null;
			}
		})();
		return this.loading;
	}

	/** Starts a fresh worker (after a lost device or a crash). */
	async restartEngine(): Promise<void> {
		this.engine?.dispose();
		this.engine = null;
		this.engineState = 'idle';
		await this.ensureEngine().catch(() => undefined);
	}

	private async reload(): Promise<void> {
		if (!this.chat) return;
		this.messages = await chatMessages(this.db, this.chat.id);
		const chat = await this.db.chats.get(this.chat.id);
		if (chat) this.chat = chat;
	}

	private setLocal(id: string, changes: Partial<ChatMessage>) {
		this.messages = this.messages.map((m) => (m.id === id ? { ...m, ...changes } : m));
	}

	async send(text: string): Promise<void> {
		if (!text.trim() || this.generating) return;
		if (!this.chat) await this.newChat();
		const chat = this.chat!;
		const user = await addMessage(this.db, { chatId: chat.id, parentId: chat.activeLeafId, role: 'user', content: text, state: 'manual' });
		await this.reload();
		await this.refreshList();
		await this.reply(user.id);
	}

	/** A new reply to the prompt `parentId` (a sibling of any earlier one). */
	async reply(parentId: string): Promise<void> {
		if (!this.chat || this.generating) return;
		const msg = await addMessage(this.db, { chatId: this.chat.id, parentId, role: 'assistant', content: '', state: 'streaming', model: this.chat.modelId });
		await this.reload();
		await this.stream(msg.id, '');
	}

	regenerate(assistant: ChatMessage): Promise<void> {
		return assistant.parentId ? this.reply(assistant.parentId) : Promise.resolve();
	}

	/** Continues a cut-off or stopped reply in place. */
	async continueReply(assistant: ChatMessage): Promise<void> {
		if (this.generating) return;
		await this.stream(assistant.id, assistant.content);
	}

	/** An edited prompt becomes a sibling of the original, with a new reply. */
	async editPrompt(user: ChatMessage, text: string): Promise<void> {
		if (!this.chat || this.generating || !text.trim()) return;
		const edited = await addMessage(this.db, { chatId: this.chat.id, parentId: user.parentId, role: 'user', content: text, state: 'manual' });
		await this.reload();
		await this.reply(edited.id);
	}

	async switchBranch(messageId: string, delta: number): Promise<void> {
		if (!this.chat || this.generating) return;
		const leaf = switchSibling(this.messages, messageId, delta);
		if (!leaf) return;
		await activate(this.db, this.chat.id, leaf);
		this.chat = { ...this.chat, activeLeafId: leaf };
	}

	stop(): void {
		this.abort?.abort();
	}

	/** Generates into message `id`, which already holds `prefix` (empty for a new reply). */
	private async stream(id: string, prefix: string): Promise<void> {
		const chat = this.chat!;
		const thread = threadTo(this.messages, id);
		const messages: ChatCompletionMessage[] = thread.map((m) => ({ role: m.role, content: m.content }));
		if (!prefix) messages.pop(); // the new, empty reply
		if (chat.systemPrompt.trim()) messages.unshift({ role: 'system', content: chat.systemPrompt });
		const sampling = samplingFor(chat.preset, chat.custom, chat.maxTokens);

		this.generating = id;
		this.abort = new AbortController();
		let content = prefix;
		let lastSave = performance.now();
		this.setLocal(id, { state: 'streaming', error: undefined });
		try {
			const engine = await this.ensureEngine();
			const chunks = await engine.chat.completions.create({ messages, stream: true, ...sampling, continue_final_message: !!prefix }, { signal: this.abort.signal });
			let finish: ChatMessage['state'] = 'complete';
			for await (const c of chunks) {
				const choice = c.choices[0];
				if (choice?.delta.content) {
					content += choice.delta.content;
					this.setLocal(id, { content });
					if (performance.now() - lastSave > SAVE_EVERY_MS) {
						lastSave = performance.now();
						void updateMessage(this.db, id, { content });
					}
				}
				if (choice?.finish_reason) finish = choice.finish_reason === 'abort' ? 'aborted' : choice.finish_reason === 'length' ? 'length' : 'complete';
			}
			await updateMessage(this.db, id, { content, state: finish });
			this.setLocal(id, { content, state: finish });
		} catch (e) {
			// The chat is kept: the partial reply stays, marked with what went wrong.
			const p = problemOf(e);
			this.problem = p;
			if (p.code === 'device-lost' || p.code === 'worker-crashed' || p.code === 'not-loaded') this.engineState = 'error';
			await updateMessage(this.db, id, { content, state: 'error', error: p.message });
			this.setLocal(id, { content, state: 'error', error: p.message });
		} finally {
			this.generating = null;
			this.abort = null;
		}
	}
}
