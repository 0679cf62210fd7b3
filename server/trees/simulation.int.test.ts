import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness } from '../testing/harness.js';
import { simulate } from '../testing/simulation.js';
import type { Db } from '../env.js';
import { DEFAULT_TREE_SETTINGS as S } from './settings.js';

/** Rules that must hold in every tree, however the volunteers raced. */
async function expectTreeInvariants(db: Db) {
	const messages = await db.selectFrom('message').selectAll().execute();
	const byId = new Map(messages.map((m) => [m.id, m]));
	for (const m of messages) {
		expect(m.depth).toBeLessThanOrEqual(S.max_tree_depth);
		const children = messages.filter((c) => c.parent_id === m.id);
		const live = children.filter((c) => !c.deleted && c.review_result !== 0);
		expect(live.length).toBeLessThanOrEqual(m.role === 'assistant' ? S.num_prompter_replies : S.max_children_count);
		const authors = children.map((c) => c.user_id);
		expect(new Set(authors).size).toBe(authors.length); // one reply per user per parent
		if (m.parent_id) expect(byId.get(m.parent_id)!.role).not.toBe(m.role);
	}
}

// The show: 30 volunteers take trees from initial prompt to ready_for_export through the
// tRPC API alone, with the spec's default tree-manager settings and seeded randomness.
describeEachDialect('30 simulated volunteers', (handle) => {
	it('take trees from initial prompt to ready_for_export with the default settings', async () => {
		const h = harness(handle.current, { seed: 42 });
		const db = handle.current.db;
		const exported = async () =>
			(await db.selectFrom('message_tree_state').select('message_tree_id').where('state', '=', 'ready_for_export').execute()).length;
		const started = Date.now();
		const result = await simulate(h, { users: 30, seed: 7, until: async () => (await exported()) >= 2, maxCycles: 4000 });
		const states = await db.selectFrom('message_tree_state').select(['state', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('state').execute();
		console.info(`simulation: ${result.cycles} cycles in ${Date.now() - started} ms`, result.byType, states);
		expect(result.finished).toBe(true);

		// Every exported tree is complete and ranked.
		const trees = await db.selectFrom('message_tree_state').selectAll().where('state', '=', 'ready_for_export').execute();
		for (const tree of trees) {
			const messages = await db.selectFrom('message').selectAll().where('message_tree_id', '=', tree.message_tree_id).execute();
			const accepted = messages.filter((m) => m.review_result === 1 && !m.deleted);
			expect(accepted.length).toBeGreaterThanOrEqual(12);
			expect(tree.active).toBe(0);
			expect(tree.won_prompt_lottery_date).not.toBeNull();
			// Replies under the prompt were ranked: ranks 0..k-1 among accepted siblings.
			const root = messages.find((m) => m.parent_id === null)!;
			const ranks = accepted.filter((m) => m.parent_id === root.id).map((m) => m.rank);
			expect([...ranks].sort()).toEqual(ranks.map((_, i) => i));
			// Roles alternate along every edge.
			for (const m of messages) if (m.parent_id) expect(messages.find((p) => p.id === m.parent_id)!.role).not.toBe(m.role);
		}
		await expectTreeInvariants(db);
		const journal = await db.selectFrom('journal').select('event_type').where('event_type', '=', 'tree_state').execute();
		expect(journal.length).toBeGreaterThan(0);
	});
});

describeEachDialect('concurrent volunteers', (handle) => {
	it('keep every tree rule when 8 of them work at once', async () => {
		const h = harness(handle.current, { seed: 9 });
		const db = handle.current.db;
		const result = await simulate(h, {
			users: 30,
			seed: 13,
			concurrency: 8,
			maxCycles: 160,
			until: async () => (await db.selectFrom('message_tree_state').select('message_tree_id').where('state', '=', 'ready_for_export').execute()).length >= 1
		});
		console.info('concurrent:', result.cycles, 'cycles; refused:', result.refused);
		expect(result.cycles).toBeGreaterThan(100);
		await expectTreeInvariants(db);
	});
});
