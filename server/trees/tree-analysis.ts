/**
 * Pure figures about one tree, from its messages: what is live, accepted or awaiting review,
 * which parents can still take replies, and which parents need ranking. Trees are small
 * (goal size 12 by default), so the tree manager loads a whole tree and decides here.
 */
import type { TreeSettings } from './settings.js';
import type { Message, MessageTreeState } from './trees.table.js';

type M = Pick<Message, 'id' | 'parent_id' | 'role' | 'deleted' | 'review_result' | 'depth' | 'user_id'>;
type T = Pick<MessageTreeState, 'max_depth' | 'max_children_count' | 'goal_tree_size'>;

/** Not deleted and not rejected: counts toward children limits and the tree size. */
export function isLive(m: Pick<M, 'deleted' | 'review_result'>): boolean {
	return !m.deleted && m.review_result !== 0;
}

/** Not deleted and accepted by review. */
export function isAccepted(m: Pick<M, 'deleted' | 'review_result'>): boolean {
	return !m.deleted && m.review_result === 1;
}

/** How many replies a parent may have: an assistant message takes `num_prompter_replies`. */
export function childCap(parent: M, tree: T, settings: TreeSettings): number {
	return parent.role === 'assistant' ? settings.num_prompter_replies : tree.max_children_count;
}

/** A parent whose replies need ranking. */
export interface RankableParent<X extends M = M> {
	parent: X;
	/** The accepted, live replies to rank (assistant replies unless `rank_prompter_replies`). */
	replies: X[];
}

/** The figures `analyseTree` computes. */
export interface TreeAnalysis<X extends M = M> {
	live: X[];
	accepted: X[];
	awaitingReview: X[];
	/** Live children count per parent id. */
	liveChildren: Map<string, number>;
	/** Accepted parents that can still take a reply (depth and children limits). */
	extendable: X[];
	rankableParents: RankableParent<X>[];
}

/** Analyse one tree's messages under its limits and the settings. */
export function analyseTree<X extends M>(messages: readonly X[], tree: T, settings: TreeSettings): TreeAnalysis<X> {
	const live = messages.filter(isLive);
	const accepted = messages.filter(isAccepted);
	const awaitingReview = messages.filter((m) => !m.deleted && m.review_result === null);
	const liveChildren = new Map<string, number>();
	for (const m of live) if (m.parent_id) liveChildren.set(m.parent_id, (liveChildren.get(m.parent_id) ?? 0) + 1);
	const extendable = accepted.filter((p) => p.depth < tree.max_depth && (liveChildren.get(p.id) ?? 0) < childCap(p, tree, settings));
	const rankableParents: RankableParent<X>[] = [];
	for (const parent of accepted) {
		if (parent.role === 'assistant' && !settings.rank_prompter_replies) continue;
		const replies = accepted.filter((c) => c.parent_id === parent.id);
		if (replies.length >= 2) rankableParents.push({ parent, replies });
	}
	return { live, accepted, awaitingReview, liveChildren, extendable, rankableParents };
}

/**
 * growing → ranking: enough accepted messages and none awaiting review. Oasis adds one case
 * upstream left to a periodic cleanup: a tree that can no longer grow (every parent at its
 * depth or children limit) with nothing awaiting review moves on too, instead of idling.
 */
export function readyForRanking(a: TreeAnalysis, tree: T): boolean {
	if (a.awaitingReview.length > 0) return false;
	return a.accepted.length >= tree.goal_tree_size || a.extendable.length === 0;
}
