/**
 * The tree manager's configuration: every key of upstream's `TreeManagerConfiguration` with
 * its default, stored per deployment in `app_setting` under `tree_manager` (only the keys an
 * admin changed; defaults fill the rest, so new keys get their default on old deployments).
 */
import { z } from 'zod';
import type { Db } from '../env.js';

const p = z.number().min(0).max(1);
const count = z.number().int().min(0);

/** Every setting, validated (no defaults here: an update names only what it changes). */
export const treeSettingsSchema = z.object({
	max_active_trees: count,
	max_initial_prompt_review: count,
	max_tree_depth: count,
	max_children_count: count.min(1),
	num_prompter_replies: count.min(1),
	goal_tree_size: count.min(1),
	random_goal_tree_size: z.boolean(),
	min_goal_tree_size: count.min(1),
	num_reviews_initial_prompt: count.min(1),
	num_reviews_reply: count.min(1),
	auto_mod_enabled: z.boolean(),
	auto_mod_max_skip_reply: count,
	auto_mod_red_flags: count,
	p_full_labeling_review_prompt: p,
	p_full_labeling_review_reply_assistant: p,
	p_full_labeling_review_reply_prompter: p,
	acceptance_threshold_initial_prompt: p,
	acceptance_threshold_reply: p,
	num_required_rankings: count.min(1),
	rank_prompter_replies: z.boolean(),
	lonely_children_count: count,
	p_lonely_child_extension: p,
	recent_tasks_span_sec: count,
	max_pending_tasks_per_user: count,
	max_prompt_lottery_waiting: count,
	p_activate_backlog_tree: p,
	min_active_rankings_per_lang: count
});

export type TreeSettings = z.infer<typeof treeSettingsSchema>;

/** An update: some settings. Unknown keys are refused. */
export const treeSettingsPatchSchema = treeSettingsSchema.partial().strict();

/** The spec's defaults (upstream `config.py: TreeManagerConfiguration`). */
export const DEFAULT_TREE_SETTINGS: TreeSettings = {
	max_active_trees: 10,
	max_initial_prompt_review: 100,
	max_tree_depth: 3,
	max_children_count: 3,
	num_prompter_replies: 1,
	goal_tree_size: 12,
	random_goal_tree_size: false,
	min_goal_tree_size: 5,
	num_reviews_initial_prompt: 3,
	num_reviews_reply: 3,
	auto_mod_enabled: true,
	auto_mod_max_skip_reply: 25,
	auto_mod_red_flags: 4,
	// Upstream silently used 0.1 for prompter replies in `next_task`; Oasis honours this value.
	p_full_labeling_review_prompt: 1.0,
	p_full_labeling_review_reply_assistant: 1.0,
	p_full_labeling_review_reply_prompter: 0.25,
	acceptance_threshold_initial_prompt: 0.6,
	acceptance_threshold_reply: 0.6,
	num_required_rankings: 3,
	rank_prompter_replies: false,
	lonely_children_count: 2,
	p_lonely_child_extension: 0.75,
	recent_tasks_span_sec: 300,
	max_pending_tasks_per_user: 8,
	max_prompt_lottery_waiting: 250,
	p_activate_backlog_tree: 0.1,
	min_active_rankings_per_lang: 0
};

const KEY = 'tree_manager';

/**
 * Settings are read on every task request and submission, and change rarely: each database
 * handle keeps the last value it read for CACHE_TTL_MS. A change made in this process
 * (`updateTreeSettings`) is seen at once by every handle; one made by another process (the
 * CLI, a second server) within CACHE_TTL_MS.
 */
const CACHE_TTL_MS = 1000;
const cache = new WeakMap<Db, { value: TreeSettings; generation: number; readAt: number }>();
/** Bumped by every update in this process, so cached values are re-read. */
let generation = 0;

async function readTreeSettings(db: Db): Promise<TreeSettings> {
	const row = await db.selectFrom('app_setting').select('value').where('key', '=', KEY).executeTakeFirst();
	if (!row) return DEFAULT_TREE_SETTINGS;
	return treeSettingsSchema.parse({ ...DEFAULT_TREE_SETTINGS, ...(JSON.parse(row.value) as object) });
}

/** This deployment's settings: stored overrides over the defaults. */
export async function getTreeSettings(db: Db): Promise<TreeSettings> {
	const now = Date.now();
	const cached = cache.get(db);
	if (cached && cached.generation === generation && now - cached.readAt < CACHE_TTL_MS) return cached.value;
	const readGeneration = generation;
	const value = await readTreeSettings(db);
	if (readGeneration === generation) cache.set(db, { value, generation, readAt: now });
	return value;
}

/** Change some settings (validated); returns the full result. Pass `{}` with `reset` to restore defaults. */
export async function updateTreeSettings(db: Db, changes: Partial<TreeSettings>, options: { reset?: boolean } = {}): Promise<TreeSettings> {
	generation++;
	try {
		const row = await db.selectFrom('app_setting').select('value').where('key', '=', KEY).executeTakeFirst();
		const stored = options.reset || !row ? {} : (JSON.parse(row.value) as Record<string, unknown>);
		const merged = { ...stored, ...changes };
		const parsed = treeSettingsSchema.parse({ ...DEFAULT_TREE_SETTINGS, ...merged });
		const known = Object.keys(treeSettingsSchema.shape);
		const value = JSON.stringify(Object.fromEntries(Object.entries(merged).filter(([k]) => known.includes(k))));
		const updated_at = new Date().toISOString();
		if (row) await db.updateTable('app_setting').set({ value, updated_at }).where('key', '=', KEY).execute();
		else await db.insertInto('app_setting').values({ key: KEY, value, updated_at }).execute();
		return parsed;
	} finally {
		generation++;
	}
}
