/**
 * Upstream's development seed format (`backend/test_data/*.json`): one JSON array of
 * `{task_message_id, user_message_id, parent_message_id, text, role, tree_state?}`, parents
 * before children. Read as oasst message lines so the ordinary import takes it: the message id
 * is `user_message_id`, the tree id its root's, and `tree_state` (given on roots) the tree's.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const seedEntrySchema = z.object({
	task_message_id: z.string().nullish(),
	user_message_id: z.string().min(1),
	parent_message_id: z.string().nullish(),
	text: z.string(),
	role: z.enum(['prompter', 'assistant']),
	tree_state: z.string().nullish()
});

/** Whether `path` holds a JSON array (the seed format) rather than JSONL. */
export async function isSeedFile(path: string): Promise<boolean> {
	if (!path.endsWith('.json')) return false;
	const head = (await readFile(path, 'utf8')).trimStart();
	return head.startsWith('[');
}

/**
 * The seed file's entries as oasst message lines.
 *
 * @throws Error naming the entry when one does not fit the seed format.
 */
export async function seedLines(path: string): Promise<string[]> {
	const entries = z.array(seedEntrySchema).safeParse(JSON.parse(await readFile(path, 'utf8')));
	if (!entries.success) {
		const issue = entries.error.issues[0];
		throw new Error(`${path}: entry ${issue.path.join('.')}: ${issue.message}`);
	}
	const treeOf = new Map<string, string>();
	return entries.data.map((e) => {
		const parent = e.parent_message_id ?? null;
		const tree = parent === null ? e.user_message_id : (treeOf.get(parent) ?? null);
		if (tree !== null) treeOf.set(e.user_message_id, tree);
		return JSON.stringify({
			message_id: e.user_message_id,
			...(parent !== null && { parent_id: parent }),
			text: e.text,
			role: e.role,
			...(tree !== null && { message_tree_id: tree }),
			...(e.tree_state != null && { tree_state: e.tree_state })
		});
	});
}
