/**
 * Conversations shared from the chat: a signed-in user submits the turns of a chat as a new
 * tree. Prompter turns are theirs; assistant turns are marked synthetic with the model's
 * name. The tree enters initial prompt review like any other, so the crowd reviews it, and
 * the replies are labelled once it grows. Rate-limited per user (LIMITS.sharedConversations).
 */
import { randomUUID } from 'node:crypto';
import { fail } from '../errors.js';
import { inTransaction, type ServiceEnv } from '../env.js';
import { LIMITS } from '../users/rate-limit.js';
import { writeJournal } from './journal.js';
import { recentTextsOf } from './messages.repo.js';
import { getTreeSettings } from './settings.js';
import { checkText, REPEAT_SPAN_MS } from './text-rules.js';

/** One turn of a shared chat. */
export interface SharedTurn {
	role: 'prompter' | 'assistant';
	text: string;
	/** The model that wrote an assistant turn. */
	modelName?: string;
}

/** Store a chat as a new tree in review; returns its id. Repeating `clientId` returns the first tree. */
export function shareConversation(env: ServiceEnv, userId: string, input: { clientId: string; lang: string; turns: SharedTurn[] }): Promise<{ messageTreeId: string }> {
	return inTransaction(env, async (tx) => {
		const existing = await tx.db.selectFrom('message').select('message_tree_id').where('user_id', '=', userId).where('frontend_message_id', '=', input.clientId).executeTakeFirst();
		if (existing) return { messageTreeId: existing.message_tree_id };
		const settings = await getTreeSettings(tx.db);
		if (input.turns[0]?.role !== 'prompter') fail('role_alternation', 'a conversation starts with a prompter turn');
		if (input.turns.length > settings.max_tree_depth + 1) fail('max_depth');
		input.turns.forEach((t, i) => {
			if (i > 0 && t.role === input.turns[i - 1].role) fail('role_alternation');
		});
		const now = tx.now();
		const recent = await recentTextsOf(tx.db, userId, new Date(now.getTime() - REPEAT_SPAN_MS));
		for (const t of input.turns) {
			const error = checkText(t.text, t.role === 'prompter' ? recent : []);
			if (error) throw error;
		}
		if (!(await tx.limiter.hit(tx.db, LIMITS.sharedConversations, userId, now.getTime()))) fail('rate_limited', LIMITS.sharedConversations.name);

		const ids = input.turns.map(() => randomUUID());
		const treeId = ids[0];
		for (const [i, t] of input.turns.entries()) {
			const synthetic = t.role === 'assistant';
			await tx.db
				.insertInto('message')
				.values({
					id: ids[i],
					parent_id: i === 0 ? null : ids[i - 1],
					message_tree_id: treeId,
					task_id: null,
					// Assistant turns were written by a model; the sharer is kept as their submitter.
					user_id: userId,
					role: t.role,
					frontend_message_id: i === 0 ? input.clientId : null,
					created_date: new Date(now.getTime() + i).toISOString(),
					text: t.text,
					lang: input.lang,
					depth: i,
					children_count: i < input.turns.length - 1 ? 1 : 0,
					review_result: null,
					rank: null,
					synthetic: synthetic ? 1 : 0,
					model_name: synthetic ? (t.modelName ?? null) : null,
					label_totals: null
				})
				.execute();
		}
		await tx.db
			.insertInto('message_tree_state')
			.values({ message_tree_id: treeId, goal_tree_size: settings.goal_tree_size, max_depth: settings.max_tree_depth, max_children_count: settings.max_children_count, state: 'initial_prompt_review', active: 1, origin: 'chat', won_prompt_lottery_date: null, lang: input.lang })
			.execute();
		await writeJournal(tx.db, { type: 'text_reply', now, userId, messageId: treeId, payload: { shared: true, turns: input.turns.length } });
		return { messageTreeId: treeId };
	});
}
