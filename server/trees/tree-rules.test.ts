import { describe, expect, it } from 'vitest';
import { DEFAULT_TREE_SETTINGS as S, treeSettingsPatchSchema } from './settings.js';
import { analyseTree, readyForRanking } from './tree-analysis.js';
import { canTransition, INACTIVE_STATES, isActiveState, TRANSITIONS, TREE_STATES } from './tree-states.js';
import { checkText } from './text-rules.js';
import { isPermutation } from './submit.service.js';
import { buildPayload, shuffle } from './task-payloads.js';
import { weightedIndex } from './lottery.js';
import type { Message } from './trees.table.js';

describe('tree states', () => {
	it('has the ten states; terminal ones are inactive', () => {
		expect(TREE_STATES).toHaveLength(10);
		expect([...INACTIVE_STATES].sort()).toEqual(['aborted_low_grade', 'backlog_ranking', 'halted_by_moderator', 'prompt_lottery_waiting', 'ready_for_export', 'scoring_failed']);
		expect(isActiveState('growing')).toBe(true);
		for (const s of TREE_STATES) expect(Object.keys(TRANSITIONS)).toContain(s);
	});
	it('allows the spec transitions only', () => {
		expect(canTransition('initial_prompt_review', 'prompt_lottery_waiting')).toBe(true);
		expect(canTransition('prompt_lottery_waiting', 'growing')).toBe(true);
		expect(canTransition('growing', 'ranking')).toBe(true);
		expect(canTransition('ranking', 'ready_for_scoring')).toBe(true);
		expect(canTransition('ready_for_scoring', 'scoring_failed')).toBe(true);
		expect(canTransition('scoring_failed', 'ranking')).toBe(true);
		expect(canTransition('backlog_ranking', 'ranking')).toBe(true);
		expect(canTransition('growing', 'ready_for_export')).toBe(false);
		expect(canTransition('ready_for_export', 'growing')).toBe(false);
	});
});

describe('text rules', () => {
	it('refuses empty, too long and repeated texts', () => {
		expect(checkText('  \n')?.rule).toBe('text_empty');
		expect(checkText('x'.repeat(2000))).toBeNull();
		expect(checkText('x'.repeat(2001))?.rule).toBe('text_too_long');
		expect(checkText('😀'.repeat(2000))).toBeNull(); // code points, not UTF-16 units
		expect(checkText('hello ', ['hello'])?.rule).toBe('text_repeated');
		expect(checkText('hello', ['hello there'])).toBeNull();
	});
	it('names the rule in the message', () => {
		expect(checkText('')?.message).toBe('the text must not be empty or only whitespace');
	});
});

describe('rankings and settings', () => {
	it('accepts only permutations of 0..n−1', () => {
		expect(isPermutation([2, 0, 1], 3)).toBe(true);
		expect(isPermutation([0, 0, 1], 3)).toBe(false);
		expect(isPermutation([0, 1], 3)).toBe(false);
		expect(isPermutation([0, 1, 3], 3)).toBe(false);
		expect(isPermutation([0.5, 1, 2], 3)).toBe(false);
	});
	it('has every TreeManagerConfiguration default and refuses unknown keys', () => {
		expect(Object.keys(S)).toHaveLength(27);
		expect(S).toMatchObject({ max_active_trees: 10, goal_tree_size: 12, p_lonely_child_extension: 0.75, p_full_labeling_review_reply_prompter: 0.25, auto_mod_red_flags: 4, max_prompt_lottery_waiting: 250 });
		expect(treeSettingsPatchSchema.safeParse({ goal_tree_sise: 3 }).success).toBe(false);
		expect(treeSettingsPatchSchema.safeParse({ p_activate_backlog_tree: 2 }).success).toBe(false);
	});
	it('draws weighted indices', () => {
		expect(weightedIndex([0, 1, 0], () => 0.99)).toBe(1);
		expect(weightedIndex([1, 1], () => 0.6)).toBe(1);
		expect(shuffle([1, 2, 3], () => 0)).toHaveLength(3);
	});
});

describe('tree analysis and payloads', () => {
	const m = (id: string, parent: string | null, role: 'prompter' | 'assistant', depth: number, review_result: number | null = 1, synthetic = 0) =>
		({ id, parent_id: parent, role, depth, review_result, deleted: 0, user_id: id, synthetic, message_tree_id: 'r', text: id, lang: 'en' }) as Message;
	const tree = { max_depth: 3, max_children_count: 3, goal_tree_size: 4 };

	it('moves to ranking at the goal size with nothing awaiting review, or when it cannot grow', () => {
		const msgs = [m('r', null, 'prompter', 0), m('a', 'r', 'assistant', 1), m('b', 'r', 'assistant', 1), m('c', 'r', 'assistant', 1)];
		expect(readyForRanking(analyseTree(msgs, tree, S), tree)).toBe(true);
		expect(readyForRanking(analyseTree([...msgs, m('p', 'a', 'prompter', 2, null)], tree, S), tree)).toBe(false);
		const a = analyseTree(msgs, tree, S);
		expect(a.rankableParents.map((p) => p.parent.id)).toEqual(['r']);
		expect(a.extendable.map((p) => p.id).sort()).toEqual(['a', 'b', 'c']); // the root is full
		const small = [m('r', null, 'prompter', 0), m('a', 'r', 'assistant', 1)];
		expect(readyForRanking(analyseTree(small, { ...tree, max_depth: 1, max_children_count: 1 }, S), tree)).toBe(true);
	});

	it('hides synthetic on ranking replies unless all are synthetic', () => {
		const parent = m('r', null, 'prompter', 0);
		const mixed = buildPayload({ type: 'rank_assistant_replies', item: { parent, replies: [m('a', 'r', 'assistant', 1, 1, 1), m('b', 'r', 'assistant', 1)] } }, () => [parent], () => 0.3, true);
		expect(mixed.type === 'rank_assistant_replies' && mixed.replyMessages.map((r) => r.synthetic)).toEqual([undefined, undefined]);
		const all = buildPayload({ type: 'rank_assistant_replies', item: { parent, replies: [m('a', 'r', 'assistant', 1, 1, 1), m('b', 'r', 'assistant', 1, 1, 1)] } }, () => [parent], () => 0.3, true);
		expect(all.type === 'rank_assistant_replies' && all.revealSynthetic).toBe(true);
	});

	it('builds label tasks in full or simple mode', () => {
		const msg = m('a', 'r', 'assistant', 1, null);
		const full = buildPayload({ type: 'label_assistant_reply', message: msg }, () => [msg], Math.random, true);
		const simple = buildPayload({ type: 'label_assistant_reply', message: msg }, () => [msg], Math.random, false);
		expect(full.type === 'label_assistant_reply' && full.validLabels).toHaveLength(13);
		expect(simple.type === 'label_assistant_reply' && simple.validLabels).toEqual(['spam', 'lang_mismatch', 'quality']);
	});
});
