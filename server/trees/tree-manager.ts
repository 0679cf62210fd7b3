/**
 * The tree manager: moves trees through their states as work comes in (upstream
 * `tree_manager.py`). Every function runs inside the caller's transaction (`tx`).
 */
import { prepared } from '../db/prepared.js';
import { consensusForParent, type RankingBallot } from './ranked-pairs.js';
import type { ServiceEnv } from '../env.js';
import { acceptance, type SubmittedLabels } from './labels.js';
import { writeJournal } from './journal.js';
import { emojiCounts, lockTreeState, treeMessages } from './messages.repo.js';
import type { TreeSettings } from './settings.js';
import { analyseTree, readyForRanking, type RankableParent } from './tree-analysis.js';
import { canTransition, isActiveState } from './tree-states.js';
import type { Message, MessageTreeState, TreeState } from './trees.table.js';

/**
 * Move a tree to `to` (no-op when already there): sets `active`, journals the change, and when
 * an active tree stops, may activate a backlog tree of its language (p_activate_backlog_tree).
 */
export async function enterState(
	tx: ServiceEnv,
	settings: TreeSettings,
	tree: MessageTreeState,
	to: TreeState,
	reason: string,
	options: { force?: boolean; activateBacklog?: boolean } = {}
): Promise<MessageTreeState> {
	if (tree.state === to) return tree;
	if (!options.force && !canTransition(tree.state, to)) throw new Error(`illegal tree state change ${tree.state} → ${to}`);
	const now = tx.now();
	const next: MessageTreeState = {
		...tree,
		state: to,
		active: isActiveState(to) ? 1 : 0,
		won_prompt_lottery_date: tree.state === 'prompt_lottery_waiting' && to === 'growing' ? now.toISOString() : tree.won_prompt_lottery_date
	};
	await tx.db
		.updateTable('message_tree_state')
		.set({ state: next.state, active: next.active, won_prompt_lottery_date: next.won_prompt_lottery_date })
		.where('message_tree_id', '=', tree.message_tree_id)
		.execute();
	await writeJournal(tx.db, { type: 'tree_state', now, messageId: tree.message_tree_id, payload: { from: tree.state, to, reason } });
	if (tree.active && !next.active && to !== 'prompt_lottery_waiting' && options.activateBacklog !== false) {
		await maybeActivateBacklog(tx, settings, tree.lang);
	}
	return next;
}

/** Ballots of one parent (every recorded ranking, not-rankable ones marked). */
async function ballotsFor(tx: ServiceEnv, parentId: string): Promise<RankingBallot[]> {
	const rows = await tx.db.selectFrom('message_reaction').select(['payload', 'not_rankable']).where('message_id', '=', parentId).where('kind', '=', 'ranking').orderBy('created_date').orderBy('id').execute();
	return rows.map((r) => ({ rankedIds: (JSON.parse(r.payload) as { ranked_message_ids: string[] }).ranked_message_ids, notRankable: r.not_rankable === 1 }));
}

/** Ranks from ranked pairs written onto each rankable parent's replies; throws if scoring fails. */
async function scoreTree(tx: ServiceEnv, messages: readonly Message[], parents: readonly RankableParent<Message>[]): Promise<void> {
	const updates: [string, number | null][] = [];
	for (const { parent } of parents) {
		const siblings = messages.filter((m) => m.parent_id === parent.id).map((m) => m.id);
		const { ranks } = consensusForParent(await ballotsFor(tx, parent.id), siblings);
		updates.push(...ranks);
	}
	for (const [id, rank] of updates) await tx.db.updateTable('message').set({ rank }).where('id', '=', id).execute();
}

const rankingCountsOfTree = prepared(1, (db, treeId: string) =>
	db
		.selectFrom('message_reaction')
		.select(['message_id', (eb) => eb.fn.countAll<number>().as('n')])
		.where('message_tree_id', '=', treeId)
		.where('kind', '=', 'ranking')
		.where('not_rankable', '=', 0)
		.groupBy('message_id')
);

/** Counted (rankable) rankings per parent id in one tree. */
async function rankingCounts(tx: ServiceEnv, treeId: string): Promise<Map<string, number>> {
	const rows = await rankingCountsOfTree(tx.db, treeId);
	return new Map(rows.map((r) => [r.message_id, Number(r.n)]));
}

/**
 * Re-evaluate a tree after a change: all deleted → halted; growing → ranking; ranking →
 * ready_for_scoring → (scored) ready_for_export, or scoring_failed if scoring throws.
 */
export async function checkTreeProgress(tx: ServiceEnv, settings: TreeSettings, treeId: string): Promise<MessageTreeState | undefined> {
	let tree = await lockTreeState(tx.db, tx.dialect, treeId);
	if (!tree) return undefined;
	const messages = await treeMessages(tx.db, treeId);
	const a = analyseTree(messages, tree, settings);
	if (messages.length > 0 && messages.every((m) => m.deleted) && tree.state !== 'halted_by_moderator') {
		return enterState(tx, settings, tree, 'halted_by_moderator', 'every message deleted', { force: true });
	}
	if (tree.state === 'growing' && readyForRanking(a, tree)) tree = await enterState(tx, settings, tree, 'ranking', 'tree complete');
	if (tree.state !== 'ranking') return tree;
	const counts = await rankingCounts(tx, treeId);
	if (a.rankableParents.some((p) => (counts.get(p.parent.id) ?? 0) < settings.num_required_rankings)) return tree;
	tree = await enterState(tx, settings, tree, 'ready_for_scoring', 'rankings complete');
	try {
		await scoreTree(tx, messages, a.rankableParents);
	} catch (error) {
		return enterState(tx, settings, tree, 'scoring_failed', `scoring failed: ${(error as Error).message}`);
	}
	return enterState(tx, settings, tree, 'ready_for_export', 'scored');
}

/**
 * After a label submission raised `review_count`: once enough reviews exist, accept or reject
 * (acceptance = 1 − (mean spam + mean lang_mismatch) > threshold). An accepted reply is never
 * rejected later. A prompt decides its tree: prompt lottery waiting, or aborted low grade.
 */
const setReviewResult = prepared(2, (db, id: string, result: number) => db.updateTable('message').set({ review_result: result }).where('id', '=', id));
const reviewLabels = prepared(1, (db, messageId: string) => db.selectFrom('text_labels').select('labels').where('message_id', '=', messageId).where('is_report', '=', 0));

export async function applyReview(tx: ServiceEnv, settings: TreeSettings, message: Message): Promise<void> {
	const isPrompt = message.parent_id === null;
	const needed = isPrompt ? settings.num_reviews_initial_prompt : settings.num_reviews_reply;
	if (message.review_count < needed) return;
	const rows = await reviewLabels(tx.db, message.id);
	if (rows.length === 0) return;
	const value = acceptance(rows.map((r) => JSON.parse(r.labels) as SubmittedLabels));
	const accepted = value > (isPrompt ? settings.acceptance_threshold_initial_prompt : settings.acceptance_threshold_reply);
	const result = accepted ? 1 : message.review_result === 1 ? 1 : 0;
	if (result !== message.review_result) await setReviewResult(tx.db, message.id, result);
	if (isPrompt) {
		const tree = await lockTreeState(tx.db, tx.dialect, message.message_tree_id);
		if (tree?.state === 'initial_prompt_review') {
			await enterState(tx, settings, tree, result ? 'prompt_lottery_waiting' : 'aborted_low_grade', `prompt review: acceptance ${value.toFixed(2)}`);
		}
	} else {
		await checkTreeProgress(tx, settings, message.message_tree_id);
	}
}

/**
 * Auto-moderation after an emoji change on `message` (counts already updated): ≥
 * auto_mod_red_flags red flags on a prompt abort its tree (in review, waiting or growing);
 * ≥ auto_mod_max_skip_reply skip markers on a message halt a growing tree.
 */
export async function autoModerate(tx: ServiceEnv, settings: TreeSettings, message: Message): Promise<void> {
	if (!settings.auto_mod_enabled) return;
	const counts = emojiCounts(message);
	const tree = await lockTreeState(tx.db, tx.dialect, message.message_tree_id);
	if (!tree) return;
	const redFlags = counts.red_flag ?? 0;
	if (message.parent_id === null && redFlags >= settings.auto_mod_red_flags && ['initial_prompt_review', 'prompt_lottery_waiting', 'growing'].includes(tree.state)) {
		await enterState(tx, settings, tree, 'aborted_low_grade', `auto-mod: ${redFlags} red flags on the prompt`);
		return;
	}
	const skips = counts._skip_reply ?? 0;
	if (skips >= settings.auto_mod_max_skip_reply && tree.state === 'growing') {
		await enterState(tx, settings, tree, 'halted_by_moderator', `auto-mod: ${skips} reply skips`);
	}
}

/**
 * When a tree stops, activate a backlog tree of the same language with probability
 * p_activate_backlog_tree (always while fewer than min_active_rankings_per_lang trees are in
 * ranking). A backlog tree with nothing to rank is aborted instead.
 */
export async function maybeActivateBacklog(tx: ServiceEnv, settings: TreeSettings, lang: string): Promise<void> {
	const ranking = await tx.db
		.selectFrom('message_tree_state')
		.select((eb) => eb.fn.countAll<number>().as('n'))
		.where('state', '=', 'ranking')
		.where('lang', '=', lang)
		.executeTakeFirstOrThrow();
	if (!(tx.random() < settings.p_activate_backlog_tree || Number(ranking.n) < settings.min_active_rankings_per_lang)) return;
	const backlog = await tx.db.selectFrom('message_tree_state').selectAll().where('state', '=', 'backlog_ranking').where('lang', '=', lang).orderBy('message_tree_id').limit(1000).execute();
	if (backlog.length === 0) return;
	const tree = backlog[Math.floor(tx.random() * backlog.length)];
	await activateBacklogTree(tx, settings, tree);
}

/** backlog_ranking → ranking (then checked at once), or aborted_low_grade with nothing to rank. */
export async function activateBacklogTree(tx: ServiceEnv, settings: TreeSettings, tree: MessageTreeState): Promise<void> {
	const a = analyseTree(await treeMessages(tx.db, tree.message_tree_id), tree, settings);
	if (a.rankableParents.length === 0) {
		await enterState(tx, settings, tree, 'aborted_low_grade', 'backlog tree has nothing to rank', { activateBacklog: false });
		return;
	}
	await enterState(tx, settings, tree, 'ranking', 'backlog tree activated', { activateBacklog: false });
	await checkTreeProgress(tx, settings, tree.message_tree_id);
}
