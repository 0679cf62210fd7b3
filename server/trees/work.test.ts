import { describe, expect, it } from 'vitest';
import { seededRandom } from '../testing/random.js';
import { DEFAULT_TREE_SETTINGS as S } from './settings.js';
import type { Message, MessageTreeState } from './trees.table.js';
import { CATEGORY_WEIGHTS, chooseTask, countWork, findWork, type WorkView } from './work.js';

let n = 0;
function msg(over: Partial<Message> & Pick<Message, 'message_tree_id'>): Message {
	n++;
	return {
		id: `m${String(n).padStart(3, '0')}`,
		parent_id: null,
		task_id: null,
		user_id: 'author',
		role: 'prompter',
		frontend_message_id: null,
		created_date: '2026-01-01T00:00:00.000Z',
		text: 't',
		lang: 'en',
		depth: 0,
		children_count: 0,
		deleted: 0,
		review_count: 3,
		review_result: 1,
		ranking_count: 0,
		rank: null,
		synthetic: 0,
		edited: 0,
		model_name: null,
		emojis: '{}',
		label_totals: null,
		...over
	};
}
function tree(id: string, state: MessageTreeState['state']): MessageTreeState {
	return { message_tree_id: id, goal_tree_size: 12, max_depth: 3, max_children_count: 3, state, active: 1, origin: null, won_prompt_lottery_date: null, lang: 'en' };
}
function view(trees: MessageTreeState[], messages: Message[], over: Partial<WorkView> = {}): WorkView {
	const none = new Set<string>();
	const messagesByTree = new Map<string, Message[]>();
	for (const m of messages) messagesByTree.set(m.message_tree_id, [...(messagesByTree.get(m.message_tree_id) ?? []), m]);
	return { userId: 'me', trees, messagesByTree, labelled: none, skipped: { reply: none, ranking: none, labeling: none }, ranked: none, rankingCounts: new Map(), recentReplyParents: none, inReview: 0, inLottery: 0, ...over };
}

describe('findWork', () => {
	const root = msg({ message_tree_id: 'T1' });
	root.message_tree_id = root.id;
	const a1 = msg({ message_tree_id: root.id, parent_id: root.id, role: 'assistant', depth: 1, user_id: 'u1' });
	const pending = msg({ message_tree_id: root.id, parent_id: root.id, role: 'assistant', depth: 1, user_id: 'u2', review_result: null, review_count: 0 });
	const t = tree(root.id, 'growing');

	it('offers reply parents with room, label items, and marks lonely children', () => {
		const work = findWork(view([t], [root, a1, pending]), S);
		expect(work.replyParents.assistant_reply.map((m) => m.id)).toEqual([root.id]);
		expect(work.replyParents.prompter_reply.map((m) => m.id)).toEqual([a1.id]);
		expect(work.lonely).toEqual([]); // root has 2 live children (the pending one counts), not < 2
		expect(work.labelItems.label_assistant_reply.map((m) => m.id)).toEqual([pending.id]);
	});

	it('excludes own messages, recently handed-out parents, replied-to parents and skip markers', () => {
		const own = findWork(view([t], [root, a1, pending], { userId: 'u2' }), S);
		expect(own.labelItems.label_assistant_reply).toEqual([]);
		expect(own.replyParents.assistant_reply).toEqual([]); // u2 already replied to root
		const recent = findWork(view([t], [root, a1, pending], { recentReplyParents: new Set([a1.id]) }), S);
		expect(recent.replyParents.prompter_reply).toEqual([]);
		const skipped = findWork(view([t], [root, a1, pending], { skipped: { reply: new Set([root.id]), ranking: new Set(), labeling: new Set([pending.id]) } }), S);
		expect(skipped.replyParents.assistant_reply).toEqual([]);
		expect(skipped.labelItems.label_assistant_reply).toEqual([]);
	});

	it('offers ranking of parents with ≥2 accepted replies until enough rankings, never to their authors', () => {
		const a2 = msg({ message_tree_id: root.id, parent_id: root.id, role: 'assistant', depth: 1, user_id: 'u3' });
		const rt = tree(root.id, 'ranking');
		expect(findWork(view([rt], [root, a1, a2]), S).rankItems.rank_assistant_replies).toHaveLength(1);
		expect(findWork(view([rt], [root, a1, a2], { userId: 'u3' }), S).rankItems.rank_assistant_replies).toHaveLength(0);
		expect(findWork(view([rt], [root, a1, a2], { rankingCounts: new Map([[root.id, 3]]) }), S).rankItems.rank_assistant_replies).toHaveLength(0);
		expect(findWork(view([rt], [root, a1, a2], { ranked: new Set([root.id]) }), S).rankItems.rank_assistant_replies).toHaveLength(0);
	});

	it('caps initial prompts by review and lottery limits', () => {
		expect(findWork(view([], [], { inReview: 99 }), S).initialPrompts).toBe(1);
		expect(findWork(view([], [], { inReview: 100 }), S).initialPrompts).toBe(0);
		expect(findWork(view([], [], { inLottery: 250 }), S).initialPrompts).toBe(0);
	});
});

describe('chooseTask', () => {
	const root = msg({ message_tree_id: 'R' });
	const lonelyParent = msg({ message_tree_id: 'R', id: 'lonely' });
	const plain = msg({ message_tree_id: 'R', id: 'plain' });
	const labelMe = msg({ message_tree_id: 'R', parent_id: 'x', role: 'assistant', id: 'label' });
	const base = { initialPrompts: 5, labelItems: { label_initial_prompt: [root], label_prompter_reply: [], label_assistant_reply: [labelMe] }, replyParents: { prompter_reply: [], assistant_reply: [lonelyParent, plain] }, lonely: [lonelyParent], rankItems: { rank_prompter_replies: [], rank_assistant_replies: [{ parent: root, replies: [labelMe, plain] }] } };

	it('draws categories by their weights among those with work', () => {
		const random = seededRandom(9);
		const seen: Record<string, number> = {};
		for (let i = 0; i < 20_000; i++) {
			const c = chooseTask(base, 'random', S, random)!;
			const cat = c.type.startsWith('rank') ? 'ranking' : c.type === 'label_initial_prompt' ? 'label_prompt' : c.type.startsWith('label') ? 'label_reply' : c.type === 'initial_prompt' ? 'prompt' : 'reply';
			seen[cat] = (seen[cat] ?? 0) + 1;
		}
		const total = Object.values(CATEGORY_WEIGHTS).reduce((a, b) => a + b, 0);
		for (const [cat, w] of Object.entries(CATEGORY_WEIGHTS)) expect(Math.abs((seen[cat] ?? 0) / 20_000 - w / total)).toBeLessThan(0.015);
	});

	it('prefers lonely children with p_lonely_child_extension', () => {
		const random = seededRandom(4);
		let lonely = 0;
		for (let i = 0; i < 10_000; i++) if ((chooseTask(base, 'assistant_reply', S, random) as { parent: { id: string } }).parent.id === 'lonely') lonely++;
		// 0.75 from the preference + 0.25 × 1/2 from the uniform draw.
		expect(lonely / 10_000).toBeCloseTo(0.875, 1);
	});

	it('returns null without work, and leaves rate-limited types out of random', () => {
		const empty = { ...base, initialPrompts: 0, labelItems: { label_initial_prompt: [], label_prompter_reply: [], label_assistant_reply: [] }, rankItems: { rank_prompter_replies: [], rank_assistant_replies: [] } };
		expect(chooseTask(empty, 'random', S, Math.random, new Set(['assistant_reply']))).toBeNull();
		expect(chooseTask(empty, 'rank_assistant_replies', S, Math.random)).toBeNull();
		expect(countWork(empty).assistant_reply).toBe(2);
	});
});
