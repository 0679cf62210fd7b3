/**
 * The chat page's state: the chat list, the open chat's message tree and the thread on screen,
 * and generation through the engine worker (loaded on first use with a dynamic import, so the
 * ML code is neither in the shell nor in the precache).
 */
import { addMessage, activate, chatDb, chatMessages, createChat, deleteChat, listChats, rateMessage, recordShare, settleInterrupted, updateChat, updateMessage, type Chat, type ChatMessage, type ChatShare, type Rating, type ReplyTiming } from '$lib/chat/db';
import { samplingFor } from '$lib/chat/presets';
import { smallerModel } from '$lib/chat/recovery';
import { resolveLeaf, switchSibling, threadTo } from '$lib/chat/tree';
import { adapterModelId } from '$lib/engine/adapters';
import { localizeEngineError } from '$lib/engine/errors';
import type { ChatCompletionMessage, Engine, EngineInfo, Scorer } from '$lib/engine/types';
import { t } from '$lib/i18n/catalogue/chat';
import { plannedCandidates, rewardsFor, scoreRequestFor, supersededBest } from './best-of-n';

export interface EngineProblem {
	code: string;
	/** What went wrong and what to do, in the interface language at the time of the failure. */
	message: string;
	remedy: 'reload' | 'smaller-model' | 'retry' | 'none';
	/** For out-of-memory: a smaller catalogue model this device can run, if there is one. */
	smaller?: { id: string; name: string };
}

type EngineHandle = Engine & Scorer & { dispose(): void };
let engineModule: Promise<typeof import('$lib/engine')> | null = null;

function problemOf(e: unknown): EngineProblem {
	const err = e as { code?: string; message?: string; remedy?: EngineProblem['remedy'] };
	return { code: err?.code ?? 'internal', message: localizeEngineError(e), remedy: err?.remedy ?? 'reload' };
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
	/** Best-of-n under way: candidates done of n, and whether the reward model is scoring them. */
	bestOf = $state.raw<{ done: number; n: number; scoring: boolean } | null>(null);
	/** A generation or a best-of-n batch is running (controls are disabled, Stop is offered). */
	busy = $derived(!!this.generating || !!this.bestOf);
	/** What the live region says once a best-of-n batch is decided (screen readers hear it). */
	announcement = $state('');
	/** Why best-of-n did not run for the last prompt ('greedy': temperature 0), or null. */
	bestOfNote = $state<'greedy' | null>(null);

	private readonly db = chatDb();
	private engine: EngineHandle | null = null;
	private loading: Promise<EngineHandle> | null = null;
	private abort: AbortController | null = null;
	/** Set by Stop during a best-of-n batch: no further candidate starts. */
	private batchStopped = false;
	private scoreAbort: AbortController | null = null;

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

	async saveSettings(changes: Partial<Pick<Chat, 'systemPrompt' | 'preset' | 'custom' | 'maxTokens' | 'bestOfN' | 'rewardModel'>>): Promise<void> {
		if (!this.chat) return;
		// Plain data only: IndexedDB cannot clone Svelte proxies.
		const plain = $state.snapshot(changes) as typeof changes;
		this.chat = { ...this.chat, ...plain };
		await updateChat(this.db, this.chat.id, plain);
	}

	/** Starts the worker and loads the chat's model (once). */
	ensureEngine(): Promise<EngineHandle> {
		// Ready with this chat's model (a chat without one uses the default, whatever is loaded).
		const wanted = this.chat?.modelId;
		if (this.engine && this.engineState === 'ready' && (!wanted || this.engineInfo?.modelId === wanted)) return Promise.resolve(this.engine);
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
				await this.fail(e);
				this.engineState = 'error';
				// A chunk that failed to import (offline before first use) is tried again next time.
				if (!(await engineModule?.then(() => true, () => false))) engineModule = null;
				throw e;
			} finally {
				this.loading = null;
			}
		})();
		return this.loading;
	}

	/**
	 * Records a failure so the page can offer a way on: out of memory offers a smaller model when
	 * the catalogue has one this device can run (else a reload), a lost device or a crashed worker
	 * drops the worker so the next load starts a fresh one with a new GPU device.
	 */
	private async fail(e: unknown): Promise<EngineProblem> {
		const p = problemOf(e);
		if (p.code === 'device-lost' || p.code === 'worker-crashed') {
			this.engine?.dispose();
			this.engine = null;
		}
		if (p.code !== 'busy' && p.code !== 'bad-request') this.engineState = 'error';
		if (p.code === 'out-of-memory') {
			const mod = await engineModule?.catch(() => null);
			const caps = { webgpu: typeof navigator !== 'undefined' && 'gpu' in navigator, f16: this.engineInfo?.f16 ?? false };
			const m = mod ? smallerModel(mod.CATALOGUE, this.chat?.modelId ?? mod.DEFAULT_MODEL, caps) : null;
			if (m) p.smaller = { id: m.id, name: m.name };
			else p.remedy = 'reload';
		}
		this.problem = p;
		return p;
	}

	/** Moves the open chat to another model and loads it (the smaller-model remedy). */
	async switchModel(modelId: string): Promise<void> {
		if (!this.chat || this.generating) return;
		this.chat = { ...this.chat, modelId };
		await updateChat(this.db, this.chat.id, { modelId });
		await this.restartEngine();
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
		if (!text.trim() || this.busy) return;
		if (!this.chat) await this.newChat();
		const chat = this.chat!;
		const user = await addMessage(this.db, { chatId: chat.id, parentId: chat.activeLeafId, role: 'user', content: text, state: 'manual' });
		await this.reload();
		await this.refreshList();
		await this.reply(user.id);
	}

	/**
	 * A new reply to the prompt `parentId` (a sibling of any earlier one) — or, with best-of-n and a
	 * reward model, n replies as sibling branches, each scored, the best one shown.
	 */
	async reply(parentId: string): Promise<void> {
		if (!this.chat || this.busy) return;
		const chat = this.chat;
		const temperature = samplingFor(chat.preset, chat.custom, chat.maxTokens).temperature;
		const plan = plannedCandidates(chat.bestOfN, temperature, !!chat.rewardModel);
		this.bestOfNote = plan.reason === 'greedy' ? 'greedy' : null;
		if (plan.n > 1 && chat.rewardModel) return this.replyBestOf(parentId, plan.n, chat.rewardModel);
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

	/** Thumbs on a reply; choosing the pressed one again clears it. Kept in IndexedDB with the chat. */
	async rate(id: string, rating: Rating): Promise<void> {
		const m = this.messages.find((x) => x.id === id);
		if (!m || m.role !== 'assistant') return;
		const next = m.rating === rating ? null : rating;
		// Stored first, so a pressed button on screen is a rating on disk.
		await rateMessage(this.db, id, next);
		this.setLocal(id, { rating: next ?? undefined });
	}

	/** Remembers that a branch of the open chat was shared. */
	async markShared(share: ChatShare): Promise<void> {
		if (!this.chat) return;
		const shares = await recordShare(this.db, this.chat.id, $state.snapshot(share));
		this.chat = { ...this.chat, shares };
	}

	stop(): void {
		if (this.bestOf) this.batchStopped = true;
		this.abort?.abort();
		this.scoreAbort?.abort();
	}

	/**
	 * Best-of-n: `n` candidates generated one after another as siblings under `parentId`, then
	 * scored together by the reward model (our engine, in the worker); the scores are stored with
	 * the replies and the highest-scoring one becomes the branch on screen. Stop ends the batch:
	 * the candidates that have text are still scored and the best of them is shown.
	 */
	private async replyBestOf(parentId: string, n: number, reward: NonNullable<Chat['rewardModel']>): Promise<void> {
		const chat = this.chat!;
		this.batchStopped = false;
		this.announcement = '';
		this.bestOf = { done: 0, n, scoring: false };
		const ids: string[] = [];
		try {
			for (let i = 0; i < n && !this.batchStopped; i++) {
				const msg = await addMessage(this.db, { chatId: chat.id, parentId, role: 'assistant', content: '', state: 'streaming', model: chat.modelId });
				ids.push(msg.id);
				await this.reload();
				await this.stream(msg.id, '');
				this.bestOf = { done: i + 1, n, scoring: false };
				if (this.messages.find((m) => m.id === msg.id)?.state === 'error') break;
			}
			const candidates = ids.map((id) => this.messages.find((m) => m.id === id)!).filter((m) => m.content.trim() && m.state !== 'error');
			if (candidates.length === 0) return;
			this.bestOf = { done: ids.length, n, scoring: true };
			const engine = await this.ensureEngine();
			const system = chat.systemPrompt.trim() ? [{ role: 'system' as const, content: chat.systemPrompt }] : [];
			const conversations: ChatCompletionMessage[][] = candidates.map((m) => [...system, ...threadTo(this.messages, m.id).map((x) => ({ role: x.role, content: x.content }))]);
			this.scoreAbort = new AbortController();
			const scores = await engine.score(scoreRequestFor(reward, conversations), { signal: this.scoreAbort.signal });
			const model = adapterModelId(reward.baseModel, reward.jobId, reward.version);
			const rewards = rewardsFor(scores, model);
			for (const [i, m] of candidates.entries()) {
				const r = rewards[i];
				if (!r) continue;
				await updateMessage(this.db, m.id, { reward: r });
				this.setLocal(m.id, { reward: r });
			}
			const best = candidates[rewards.findIndex((r) => r?.best)];
			if (best) {
				// An earlier batch under this prompt gives up its "picked": the new winner is the one shown.
				for (const old of supersededBest(this.messages, parentId, ids)) {
					const r = { ...old.reward!, best: false };
					await updateMessage(this.db, old.id, { reward: r });
					this.setLocal(old.id, { reward: r });
				}
				const leaf = await activate(this.db, chat.id, best.id);
				if (this.chat?.id === chat.id) this.chat = { ...this.chat, activeLeafId: leaf };
				this.announcement = t('bestOfAnnounce', { count: candidates.length });
			}
		} catch (e) {
			// Stopped while scoring: the candidates stay, unscored, with no error to report.
			if (!(this.batchStopped && this.scoreAbort?.signal.aborted)) await this.fail(e);
		} finally {
			this.scoreAbort = null;
			this.bestOf = null;
			this.batchStopped = false;
		}
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
			const t0 = performance.now();
			let tFirst = 0;
			let tLast = 0;
			let tokens = 0;
			const chunks = await engine.chat.completions.create({ messages, stream: true, ...sampling, continue_final_message: !!prefix }, { signal: this.abort.signal });
			let finish: ChatMessage['state'] = 'complete';
			for await (const c of chunks) {
				const choice = c.choices[0];
				if (c.usage) tokens = c.usage.completion_tokens;
				if (choice?.delta.content) {
					tLast = performance.now();
					tFirst ||= tLast;
					content += choice.delta.content;
					this.setLocal(id, { content });
					if (performance.now() - lastSave > SAVE_EVERY_MS) {
						lastSave = performance.now();
						void updateMessage(this.db, id, { content });
					}
				}
				if (choice?.finish_reason) finish = choice.finish_reason === 'abort' ? 'aborted' : choice.finish_reason === 'length' ? 'length' : 'complete';
			}
			const timing: ReplyTiming | undefined = tFirst ? { firstTokenMs: tFirst - t0, tokens, decodeMs: tLast - tFirst } : undefined;
			await updateMessage(this.db, id, { content, state: finish, timing });
			this.setLocal(id, { content, state: finish, timing });
		} catch (e) {
			// The chat is kept: the partial reply stays, marked with what went wrong.
			const p = await this.fail(e);
			await updateMessage(this.db, id, { content, state: 'error', error: p.message });
			this.setLocal(id, { content, state: 'error', error: p.message });
		} finally {
			this.generating = null;
			this.abort = null;
		}
	}
}
