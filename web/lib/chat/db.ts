/**
 * Chats on this device only (IndexedDB through Dexie, database `oasis-chat`); nothing here
 * reaches the server unless the user shares a chat. Messages form a tree per chat (tree.ts).
 * Values must be plain data: store `$state.snapshot(x)`, never a Svelte proxy.
 */
import { Dexie, type DexieOptions, type EntityTable } from 'dexie';
import { DEFAULT_PRESET, NEUTRAL, type PresetId, type SamplingValues } from './presets';
import { newestLeaf, resolveLeaf } from './tree';

export interface Chat {
	id: string;
	title: string;
	systemPrompt: string;
	preset: PresetId;
	custom: SamplingValues;
	maxTokens: number;
	modelId: string;
	/** The leaf of the thread on screen. */
	activeLeafId: string | null;
	createdAt: number;
	updatedAt: number;
	/** Branches of this chat shared with the community (share.ts), oldest first. */
	shares?: ChatShare[];
	/** Best-of-n: replies generated per prompt (1–4; absent = 1), scored by `rewardModel`. */
	bestOfN?: number;
	/** The reward model that picks the best of n replies (a reward job's adapter on this device). */
	rewardModel?: RewardModelRef;
}

/** A reward job's adapter as the chat names it (adapters.ts stores it under `adapterModelId`). */
export interface RewardModelRef {
	baseModel: string;
	jobId: string;
	version: number;
	/** The job's name, for people. */
	name: string;
	/**
	 * The job's sequence length, the window its head was trained on and scores with. Absent in
	 * chats saved before it was kept: scoring falls back to reward.ts's `REWARD_MAX_TOKENS`, and
	 * RewardPicker fills it in once the server or the model store knows it.
	 */
	sequenceTokens?: number;
}

/** A reply's score from a reward model, one of `of` candidates to the same prompt. */
export interface ReplyReward {
	value: number;
	/** How many candidates were generated and scored together. */
	of: number;
	/** The highest-scoring candidate of its batch (the one shown). */
	best: boolean;
	/** The reward model's adapter id (adapters.ts `adapterModelId`). */
	model: string;
}

/** One branch of a chat submitted to the server as a new conversation tree. */
export interface ChatShare {
	/** The leaf of the shared branch. */
	leafId: string;
	messageTreeId: string;
	lang: string;
	at: number;
}

/** The user's verdict on an assistant reply; kept on this device only. */
export type Rating = 'up' | 'down';

/**
 * manual: written by the user; streaming: being generated (or interrupted by a reload);
 * complete: the model stopped; length: cut off at max tokens; aborted: stopped by the user;
 * error: generation failed (see `error`).
 */
export type MessageState = 'manual' | 'streaming' | 'complete' | 'length' | 'aborted' | 'error';

export interface ChatMessage {
	id: string;
	chatId: string;
	parentId: string | null;
	role: 'user' | 'assistant';
	content: string;
	state: MessageState;
	error?: string;
	model?: string;
	/** Thumbs up or down from the user (assistant replies). */
	rating?: Rating;
	/** How fast the last generation into this reply ran (as seen by the page). */
	timing?: ReplyTiming;
	/** Best-of-n: the reward model's score of this reply (not indexed, so no schema version). */
	reward?: ReplyReward;
	createdAt: number;
}

/** Speed of one generation: request → first token, and the tokens after it. */
export interface ReplyTiming {
	/** ms from the request to the first text chunk (prompt processing + first token + messaging). */
	firstTokenMs: number;
	/** Tokens generated (the engine's `usage.completion_tokens`). */
	tokens: number;
	/** ms from the first to the last text chunk. */
	decodeMs: number;
}

export class ChatDb extends Dexie {
	chats!: EntityTable<Chat, 'id'>;
	messages!: EntityTable<ChatMessage, 'id'>;
	constructor(options?: DexieOptions) {
		super('oasis-chat', options);
		this.version(1).stores({ chats: 'id, updatedAt', messages: 'id, chatId, parentId' });
	}
}

let instance: ChatDb | null = null;
export function chatDb(): ChatDb {
	return (instance ??= new ChatDb());
}

const now = () => Date.now();
const newId = () => crypto.randomUUID();
/** Strictly increasing within this page, so siblings created in one millisecond keep their order. */
let lastStamp = 0;
const stamp = () => (lastStamp = Math.max(now(), lastStamp + 1));

export type ChatDefaults = Pick<Chat, 'systemPrompt' | 'preset' | 'maxTokens' | 'modelId'>;

export async function createChat(db: ChatDb, defaults: Partial<ChatDefaults> = {}): Promise<Chat> {
	const t = now();
	const chat: Chat = {
		id: newId(),
		title: 'New chat',
		systemPrompt: defaults.systemPrompt ?? '',
		preset: defaults.preset ?? DEFAULT_PRESET,
		custom: { ...NEUTRAL },
		maxTokens: defaults.maxTokens ?? 256,
		modelId: defaults.modelId ?? 'oasis-tiny',
		activeLeafId: null,
		createdAt: t,
		updatedAt: t
	};
	await db.chats.add(chat);
	return chat;
}

export function listChats(db: ChatDb): Promise<Chat[]> {
	return db.chats.orderBy('updatedAt').reverse().toArray();
}

export async function deleteChat(db: ChatDb, chatId: string): Promise<void> {
	await db.transaction('rw', db.chats, db.messages, async () => {
		await db.messages.where('chatId').equals(chatId).delete();
		await db.chats.delete(chatId);
	});
}

export function chatMessages(db: ChatDb, chatId: string): Promise<ChatMessage[]> {
	return db.messages.where('chatId').equals(chatId).toArray();
}

export async function updateChat(db: ChatDb, chatId: string, changes: Partial<Omit<Chat, 'id'>>): Promise<void> {
	await db.chats.update(chatId, { ...changes, updatedAt: now() });
}

/** Adds a message under `parentId` and makes it the active leaf; the first prompt names the chat. */
export async function addMessage(db: ChatDb, m: Pick<ChatMessage, 'chatId' | 'parentId' | 'role' | 'content' | 'state'> & { model?: string }): Promise<ChatMessage> {
	const message: ChatMessage = { ...m, id: newId(), createdAt: stamp() };
	await db.transaction('rw', db.chats, db.messages, async () => {
		await db.messages.add(message);
		const chat = await db.chats.get(m.chatId);
		const changes: Partial<Chat> = { activeLeafId: message.id, updatedAt: now() };
		if (chat && chat.title === 'New chat' && m.role === 'user' && m.parentId === null) changes.title = titleFrom(m.content);
		await db.chats.update(m.chatId, changes);
	});
	return message;
}

export async function updateMessage(db: ChatDb, id: string, changes: Partial<Pick<ChatMessage, 'content' | 'state' | 'error' | 'timing' | 'reward'>>): Promise<void> {
	await db.messages.update(id, changes);
}

/** Sets (or with null clears) the user's thumbs on a reply. */
export async function rateMessage(db: ChatDb, id: string, rating: Rating | null): Promise<void> {
	await db.messages.update(id, { rating: rating ?? undefined });
}

/** Remembers that a branch was shared; returns the chat's shares. */
export async function recordShare(db: ChatDb, chatId: string, share: ChatShare): Promise<ChatShare[]> {
	return db.transaction('rw', db.chats, async () => {
		const chat = await db.chats.get(chatId);
		const shares = [...(chat?.shares ?? []).filter((s) => s.leafId !== share.leafId), share];
		await db.chats.update(chatId, { shares });
		return shares;
	});
}

/** Shows the thread through `messageId` (its newest descendants). */
export async function activate(db: ChatDb, chatId: string, messageId: string): Promise<string> {
	const leaf = newestLeaf(await chatMessages(db, chatId), messageId);
	await db.chats.update(chatId, { activeLeafId: leaf });
	return leaf;
}

/** After a reload: replies left `streaming` were cut off, so they read as stopped. */
export async function settleInterrupted(db: ChatDb, chatId: string): Promise<void> {
	await db.messages
		.where('chatId')
		.equals(chatId)
		.filter((m) => m.state === 'streaming')
		.modify({ state: 'aborted' });
}

export { resolveLeaf };

export function titleFrom(text: string): string {
	const line = text.trim().split('\n')[0].replace(/\s+/g, ' ');
	return line.length > 60 ? line.slice(0, 57) + '…' : line || 'New chat';
}
