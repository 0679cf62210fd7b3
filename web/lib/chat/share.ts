/**
 * Sharing a chat with the community: the branch on screen becomes the turns of a new
 * conversation tree (`messages.share`), which enters initial prompt review like any prompt.
 *
 * What is sent, decided here once so the preview shows exactly the request:
 * - the thread from the first prompt to the active leaf, nothing from other branches;
 * - prompts as prompter turns; replies as assistant turns, marked synthetic by the server, with
 *   the model that wrote them (`modelName`);
 * - NOT the system prompt: the dataset's trees have no system turns, and a system prompt is an
 *   instruction to the model, not part of the conversation;
 * - NOT the thumbs: the server files every shared turn under the sharer's account and refuses
 *   +1/−1 on one's own messages, so ratings stay on this device;
 * - a trailing reply that is empty (failed before any token) is left out.
 *
 * The plan's notes and problems are worded in the interface language when it is made.
 */
import { z } from 'zod';
import { t } from '../i18n/catalogue/chat';
import type { ChatMessage } from './db';

/** The longest text the server accepts per turn, in code points (server/trees/text-rules.ts). */
export const MAX_TURN_LENGTH = 2000;
/** The most turns one request may carry (messages.share). */
export const MAX_TURNS = 64;

/** One turn as `messages.share` takes it. */
export const sharedTurnSchema = z.object({
	role: z.enum(['prompter', 'assistant']),
	text: z.string().max(20_000),
	modelName: z.string().trim().min(1).max(200).optional()
});
export type SharedTurn = z.infer<typeof sharedTurnSchema>;

/** The whole request, as validated by the server's router. */
export const shareRequestSchema = z.object({
	clientId: z.string().trim().min(1).max(200),
	lang: z.string().trim().min(2).max(32),
	turns: z.array(sharedTurnSchema).min(1).max(MAX_TURNS)
});
export type ShareRequest = z.infer<typeof shareRequestSchema>;

/** Languages offered for a shared conversation (BCP 47 codes, as the dataset's `lang`). */
export const SHARE_LANGUAGES: readonly { code: string; name: string }[] = [
	{ code: 'en', name: 'English' },
	{ code: 'es', name: 'Español' },
	{ code: 'de', name: 'Deutsch' },
	{ code: 'fr', name: 'Français' },
	{ code: 'it', name: 'Italiano' },
	{ code: 'pt-BR', name: 'Português (Brasil)' },
	{ code: 'ru', name: 'Русский' },
	{ code: 'uk-UA', name: 'Українська' },
	{ code: 'pl', name: 'Polski' },
	{ code: 'nl', name: 'Nederlands' },
	{ code: 'sv', name: 'Svenska' },
	{ code: 'da', name: 'Dansk' },
	{ code: 'fi', name: 'Suomi' },
	{ code: 'ca', name: 'Català' },
	{ code: 'eu', name: 'Euskara' },
	{ code: 'eo', name: 'Esperanto' },
	{ code: 'tr', name: 'Türkçe' },
	{ code: 'ar', name: 'العربية' },
	{ code: 'fa', name: 'فارسی' },
	{ code: 'hi', name: 'हिन्दी' },
	{ code: 'bn', name: 'বাংলা' },
	{ code: 'th', name: 'ไทย' },
	{ code: 'vi', name: 'Tiếng Việt' },
	{ code: 'id', name: 'Bahasa Indonesia' },
	{ code: 'zh', name: '中文' },
	{ code: 'ja', name: '日本語' },
	{ code: 'ko', name: '한국어' }
];

/** What the preview shows and the dialog sends; `problems` non-empty means it cannot be sent. */
export interface SharePlan {
	turns: SharedTurn[];
	/** The ids of the chat messages behind `turns`, in order. */
	messageIds: string[];
	/** Why the branch cannot be shared, in words that say what to do. */
	problems: string[];
	/** What was left out on purpose and why (shown in the preview). */
	notes: string[];
}

const codePoints = (s: string) => [...s].length;

/**
 * The turns for the branch `thread` (root → leaf, as on screen). `fallbackModel` names replies
 * stored without a model (older chats).
 */
export function planShare(thread: readonly ChatMessage[], options: { fallbackModel: string; systemPrompt?: string }): SharePlan {
	const notes: string[] = [];
	const problems: string[] = [];
	let messages = [...thread];
	const last = messages.at(-1);
	if (last?.role === 'assistant' && !last.content.trim()) {
		messages = messages.slice(0, -1);
		notes.push(t('noteEmptyReply'));
	}
	if (options.systemPrompt?.trim()) notes.push(t('noteSystemPrompt'));
	if (messages.some((m) => m.role === 'assistant' && m.rating)) notes.push(t('noteThumbs'));

	const turns: SharedTurn[] = messages.map((m) =>
		m.role === 'user' ? { role: 'prompter', text: m.content } : { role: 'assistant', text: m.content, modelName: m.model?.trim() || options.fallbackModel }
	);
	if (turns.length === 0) problems.push(t('problemNothing'));
	else if (turns[0].role !== 'prompter') problems.push(t('problemStart'));
	if (turns.length > MAX_TURNS) problems.push(t('problemTooMany', { count: String(turns.length), max: String(MAX_TURNS) }));
	turns.forEach((turn, i) => {
		if (!turn.text.trim()) problems.push(t('problemEmpty', { who: turn.role, n: String(i + 1) }));
		else if (codePoints(turn.text) > MAX_TURN_LENGTH) problems.push(t('problemTooLong', { who: turn.role, n: String(i + 1), length: String(codePoints(turn.text)), max: String(MAX_TURN_LENGTH) }));
		if (i > 0 && turn.role === turns[i - 1].role) problems.push(t('problemAlternate', { a: String(i), b: String(i + 1) }));
	});
	return { turns, messageIds: messages.map((m) => m.id), problems, notes };
}

/**
 * The request for a plan. The client id names the chat and the branch's leaf, so sending the
 * same branch twice (a lost answer, a retry) creates one tree.
 */
export function shareRequest(chatId: string, plan: SharePlan, lang: string): ShareRequest {
	const leaf = plan.messageIds.at(-1) ?? 'empty';
	return shareRequestSchema.parse({ clientId: `chat:${chatId}:${leaf}`, lang, turns: plan.turns });
}
