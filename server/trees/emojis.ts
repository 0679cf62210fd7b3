/**
 * Emoji reactions on messages (spec §1, "Emoji"): the codes, and what a toggle / add / remove
 * does to one user's reactions on one message, as a pure decision the database layer applies.
 *
 * Upstream semantics (`PromptRepository.handle_message_emoji`): `add` of an existing reaction
 * and `remove` of a missing one do nothing; `toggle` becomes `remove` or `add`; adding +1 first
 * removes that user's −1 and vice versa; nobody may thumb their own message; counts in
 * `message.emojis` move by one and a count that drops to 0 disappears from the map.
 */
import { z } from 'zod';

/** Reactions a user can pick. */
export const USER_EMOJI_CODES = [
	'+1',
	'-1',
	'red_flag',
	'100',
	'rofl',
	'clap',
	'diamond',
	'heart_eyes',
	'disappointed',
	'poop',
	'skull'
] as const;

/** Hidden markers written when a user skips (nacks) a task on a message; they feed auto-moderation. */
export const SYSTEM_EMOJI_CODES = ['_skip_reply', '_skip_ranking', '_skip_labeling'] as const;

/** Every emoji code upstream's `EmojiCode` knows. */
export const EMOJI_CODES = [...USER_EMOJI_CODES, ...SYSTEM_EMOJI_CODES] as const;

/** A user-pickable emoji code. */
export type UserEmojiCode = (typeof USER_EMOJI_CODES)[number];
/** A system (skip) marker. */
export type SystemEmojiCode = (typeof SYSTEM_EMOJI_CODES)[number];
/** Any emoji code. */
export type EmojiCode = (typeof EMOJI_CODES)[number];
/** What to do with a reaction. */
export type EmojiOp = 'toggle' | 'add' | 'remove';

/** The codes the website shows (upstream rendered only these). */
export const VISIBLE_EMOJI_CODES: readonly UserEmojiCode[] = ['+1', '-1', 'red_flag'];

/** Any emoji code, as stored and exported. */
export const emojiCodeSchema = z.enum(EMOJI_CODES);
/** A code a user may send; the skip markers are only ever written by a nack. */
export const userEmojiCodeSchema = z.enum(USER_EMOJI_CODES, {
	error: (issue) => `"${String(issue.input)}" is not an emoji you can react with`
});
/** Input of the react procedure. */
export const emojiReactionInputSchema = z.object({
	messageId: z.uuid(),
	emoji: userEmojiCodeSchema,
	op: z.enum(['toggle', 'add', 'remove']).default('toggle')
});
/** Emoji counts on a message, `{code: count}`. */
export const emojiCountsSchema = z.record(z.string(), z.number().int().nonnegative());

/** The skip marker a nack of each task family leaves. */
export function skipMarkerFor(task: 'reply' | 'ranking' | 'labeling'): SystemEmojiCode {
	return `_skip_${task}`;
}

/** Thrown when a user thumbs their own message. */
export class OwnMessageThumbError extends Error {
	constructor() {
		super('you cannot give +1 or -1 to your own message');
		this.name = 'OwnMessageThumbError';
	}
}

/** Rows to write and count changes for one reaction request. */
export interface EmojiChange {
	/** Reactions of this user to insert (message_emoji rows). */
	insert: EmojiCode[];
	/** Reactions of this user to delete. */
	remove: EmojiCode[];
	/** Change of each code's count in `message.emojis`. */
	deltas: Partial<Record<EmojiCode, number>>;
	/** A red flag was raised: upsert the message into the moderators' flagged queue. */
	flagged: boolean;
}

const OPPOSITE: Partial<Record<EmojiCode, EmojiCode>> = { '+1': '-1', '-1': '+1' };

/**
 * Decide what a reaction request does, given the codes this user already put on the message.
 *
 * @throws OwnMessageThumbError when adding +1/−1 to one's own message.
 */
export function planEmojiChange(request: {
	op: EmojiOp;
	emoji: EmojiCode;
	current: ReadonlySet<EmojiCode>;
	ownMessage: boolean;
}): EmojiChange {
	const { emoji, current, ownMessage } = request;
	const has = current.has(emoji);
	const op = request.op === 'toggle' ? (has ? 'remove' : 'add') : request.op;
	const change: EmojiChange = { insert: [], remove: [], deltas: {}, flagged: false };
	if (op === 'add' ? has : !has) return change; // nothing to do, as upstream

	if (op === 'remove') {
		change.remove.push(emoji);
		change.deltas[emoji] = -1;
		return change;
	}
	const opposite = OPPOSITE[emoji];
	// Upstream removed the opposite thumb before checking ownership; a user can never hold a
	// thumb on their own message, so the order does not matter — check first and write nothing.
	if (opposite !== undefined && ownMessage) throw new OwnMessageThumbError();
	if (opposite !== undefined && current.has(opposite)) {
		change.remove.push(opposite);
		change.deltas[opposite] = -1;
	}
	change.insert.push(emoji);
	change.deltas[emoji] = 1;
	change.flagged = emoji === 'red_flag';
	return change;
}

/** Apply count deltas to `{code: count}`, dropping codes whose count falls to 0 or below. */
export function applyEmojiDeltas(
	counts: Readonly<Record<string, number>>,
	deltas: Readonly<Partial<Record<string, number>>>
): Record<string, number> {
	const next: Record<string, number> = { ...counts };
	for (const [code, delta] of Object.entries(deltas)) {
		if (delta === undefined) continue;
		const value = (next[code] ?? 0) + delta;
		if (value > 0) next[code] = value;
		else delete next[code];
	}
	return next;
}
