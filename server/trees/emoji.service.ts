/**
 * Emoji reactions on messages: user reactions (`messages.emoji`) and the hidden skip markers a
 * nack leaves. The decision is pure (emojis.ts); this writes it: `message_emoji` rows, the
 * `message.emojis` counts, the flagged queue, and the auto-moderation that follows.
 */
import { DomainError, fail } from '../errors.js';
import { inTransaction, type ServiceEnv } from '../env.js';
import { applyEmojiDeltas, OwnMessageThumbError, planEmojiChange, type EmojiChange, type EmojiCode, type EmojiOp } from './emojis.js';
import { writeJournal } from './journal.js';
import { emojiCounts, lockMessage } from './messages.repo.js';
import { getTreeSettings } from './settings.js';
import { autoModerate } from './tree-manager.js';
import type { Message } from './trees.table.js';

/** Write one planned change for `userId` on `message`; returns the new counts. */
export async function applyEmojiChange(tx: ServiceEnv, message: Message, userId: string, change: EmojiChange): Promise<Record<string, number>> {
	const now = tx.now().toISOString();
	if (change.remove.length > 0) {
		await tx.db.deleteFrom('message_emoji').where('message_id', '=', message.id).where('user_id', '=', userId).where('emoji', 'in', change.remove).execute();
	}
	for (const emoji of change.insert) {
		await tx.db.insertInto('message_emoji').values({ message_id: message.id, user_id: userId, emoji, created_date: now }).execute();
	}
	const counts = applyEmojiDeltas(emojiCounts(message), change.deltas);
	await tx.db.updateTable('message').set({ emojis: JSON.stringify(counts) }).where('id', '=', message.id).execute();
	if (change.flagged) {
		const existing = await tx.db.selectFrom('flagged_message').select('message_id').where('message_id', '=', message.id).executeTakeFirst();
		if (existing) await tx.db.updateTable('flagged_message').set({ processed: 0, created_date: now }).where('message_id', '=', message.id).execute();
		else await tx.db.insertInto('flagged_message').values({ message_id: message.id, processed: 0, created_date: now }).execute();
	}
	return counts;
}

async function currentCodes(tx: ServiceEnv, messageId: string, userId: string): Promise<Set<EmojiCode>> {
	const rows = await tx.db.selectFrom('message_emoji').select('emoji').where('message_id', '=', messageId).where('user_id', '=', userId).execute();
	return new Set(rows.map((r) => r.emoji as EmojiCode));
}

/** Add a hidden skip marker (`_skip_reply` …) for `userId`, inside the caller's transaction. */
export async function addSkipMarker(tx: ServiceEnv, messageId: string, userId: string, code: '_skip_reply' | '_skip_ranking' | '_skip_labeling'): Promise<void> {
	const message = await lockMessage(tx.db, tx.dialect, messageId);
	if (!message) return;
	const change = planEmojiChange({ op: 'add', emoji: code, current: await currentCodes(tx, messageId, userId), ownMessage: false });
	const counts = await applyEmojiChange(tx, message, userId, change);
	await autoModerate(tx, await getTreeSettings(tx.db), { ...message, emojis: JSON.stringify(counts) });
}

/** A user's reaction: toggle, add or remove one emoji. Returns the message's new counts and the user's codes. */
export async function react(
	env: ServiceEnv,
	userId: string,
	input: { messageId: string; emoji: EmojiCode; op: EmojiOp }
): Promise<{ emojis: Record<string, number>; mine: string[] }> {
	if (input.emoji.startsWith('_')) fail('emoji_not_allowed', input.emoji);
	return inTransaction(env, async (tx) => {
		const message = await lockMessage(tx.db, tx.dialect, input.messageId);
		if (!message || message.deleted) fail('message_not_found');
		const current = await currentCodes(tx, message.id, userId);
		let change: EmojiChange;
		try {
			change = planEmojiChange({ op: input.op, emoji: input.emoji, current, ownMessage: message.user_id === userId });
		} catch (error) {
			if (error instanceof OwnMessageThumbError) throw new DomainError('own_message_vote');
			throw error;
		}
		const counts = await applyEmojiChange(tx, message, userId, change);
		if (change.insert.length + change.remove.length > 0) {
			await writeJournal(tx.db, { type: 'emoji', now: tx.now(), userId, messageId: message.id, payload: { emoji: input.emoji, op: input.op } });
		}
		if (change.flagged) await autoModerate(tx, await getTreeSettings(tx.db), { ...message, emojis: JSON.stringify(counts) });
		for (const c of change.remove) current.delete(c);
		for (const c of change.insert) current.add(c);
		return { emojis: visibleCounts(counts), mine: [...current].filter((c) => !c.startsWith('_')).sort() };
	});
}

/** Counts without the hidden skip markers (what clients are shown). */
export function visibleCounts(counts: Record<string, number>): Record<string, number> {
	return Object.fromEntries(Object.entries(counts).filter(([code]) => !code.startsWith('_')));
}
