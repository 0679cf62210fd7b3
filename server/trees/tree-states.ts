/**
 * The tree state machine (upstream `models/message_tree_state.py`, `tree_manager.py`): the ten
 * states, which moves are legal, and which states are terminal (entering one clears `active`).
 * Pure, so the rules can be tested without a database.
 */
import type { TreeState } from './trees.table.js';

export { TREE_STATES, type TreeState } from './trees.table.js';

/** States in which a tree no longer takes work (`active = false`). */
export const INACTIVE_STATES: ReadonlySet<TreeState> = new Set<TreeState>([
	'ready_for_export',
	'aborted_low_grade',
	'scoring_failed',
	'halted_by_moderator',
	'backlog_ranking',
	'prompt_lottery_waiting'
]);

/** Legal moves. A moderator may also halt any tree and resume a halted one (see moderation). */
export const TRANSITIONS: Readonly<Record<TreeState, readonly TreeState[]>> = {
	initial_prompt_review: ['prompt_lottery_waiting', 'aborted_low_grade', 'halted_by_moderator'],
	prompt_lottery_waiting: ['growing', 'aborted_low_grade', 'halted_by_moderator'],
	growing: ['ranking', 'aborted_low_grade', 'halted_by_moderator'],
	ranking: ['ready_for_scoring', 'aborted_low_grade', 'halted_by_moderator'],
	ready_for_scoring: ['ready_for_export', 'scoring_failed', 'halted_by_moderator'],
	scoring_failed: ['ranking', 'halted_by_moderator'],
	backlog_ranking: ['ranking', 'aborted_low_grade', 'halted_by_moderator'],
	ready_for_export: ['halted_by_moderator'],
	aborted_low_grade: ['halted_by_moderator'],
	halted_by_moderator: ['initial_prompt_review', 'prompt_lottery_waiting', 'growing', 'ranking', 'backlog_ranking', 'ready_for_export', 'aborted_low_grade']
};

/** Whether `from → to` is a legal move. */
export function canTransition(from: TreeState, to: TreeState): boolean {
	return TRANSITIONS[from].includes(to);
}

/** Whether a tree in `state` is active (takes tasks). */
export function isActiveState(state: TreeState): boolean {
	return !INACTIVE_STATES.has(state);
}

/** States whose trees still need work, so an imported tree in one of them enters backlog ranking. */
export const NEEDS_WORK_STATES: ReadonlySet<TreeState> = new Set<TreeState>([
	'initial_prompt_review',
	'prompt_lottery_waiting',
	'growing',
	'ranking',
	'ready_for_scoring',
	'scoring_failed',
	'backlog_ranking'
]);
