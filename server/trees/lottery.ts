/**
 * The prompt lottery (upstream `TreeManager._prompt_lottery`), run on every task request:
 * while fewer than `max_active_trees` trees of a language are growing, accepted prompts
 * waiting in the lottery are activated. The author is drawn with weight = last month's
 * `reply_ranked_1` + 1, then one of that author's waiting prompts at random.
 */
import { inTransaction, type ServiceEnv } from '../env.js';
import { countTreesInState, lockTreeState } from './messages.repo.js';
import type { TreeSettings } from './settings.js';
import { enterState } from './tree-manager.js';

/** Pick an index with probability proportional to `weights` (all ≥ 0, some > 0). */
export function weightedIndex(weights: readonly number[], random: () => number): number {
	const total = weights.reduce((s, w) => s + w, 0);
	let r = random() * total;
	for (let i = 0; i < weights.length; i++) {
		r -= weights[i];
		if (r < 0) return i;
	}
	return weights.length - 1;
}

/**
 * Activate up to `maxActivate` waiting trees of `lang`; returns how many were activated.
 * `known` passes counts the caller just read (growing and waiting trees of `lang`), saving
 * the queries; with none waiting there is nothing to draw.
 */
export async function promptLottery(env: ServiceEnv, settings: TreeSettings, lang: string, maxActivate: number, known?: { growing: number; waiting: number }): Promise<number> {
	const growing = known?.growing ?? (await countTreesInState(env.db, 'growing', lang));
	if (known && known.waiting === 0) return 0;
	let activated = 0;
	while (growing + activated < settings.max_active_trees && activated < maxActivate) {
		const waiting = await env.db
			.selectFrom('message_tree_state as t')
			.innerJoin('message as m', 'm.id', 't.message_tree_id')
			.leftJoin('user_stats as s', (j) => j.onRef('s.user_id', '=', 'm.user_id').on('s.time_frame', '=', 'month'))
			.select(['t.message_tree_id', 'm.user_id', 's.reply_ranked_1'])
			.where('t.state', '=', 'prompt_lottery_waiting')
			.where('t.lang', '=', lang)
			.orderBy('t.message_tree_id')
			.limit(5000)
			.execute();
		if (waiting.length === 0) break;
		const byAuthor = new Map<string, { weight: number; trees: string[] }>();
		for (const w of waiting) {
			const key = w.user_id ?? '';
			const entry = byAuthor.get(key) ?? { weight: Number(w.reply_ranked_1 ?? 0) + 1, trees: [] };
			entry.trees.push(w.message_tree_id);
			byAuthor.set(key, entry);
		}
		const authors = [...byAuthor.values()];
		const author = authors[weightedIndex(authors.map((a) => a.weight), env.random)];
		const treeId = author.trees[Math.floor(env.random() * author.trees.length)];
		const won = await inTransaction(env, async (tx) => {
			const tree = await lockTreeState(tx.db, tx.dialect, treeId);
			if (tree?.state !== 'prompt_lottery_waiting') return false; // another request won it
			await enterState(tx, settings, tree, 'growing', 'won the prompt lottery');
			return true;
		});
		if (won) activated++;
		else break;
	}
	return activated;
}
