/**
 * A chat is a tree of messages, like the dataset's conversation trees: regenerating a reply adds
 * a sibling, editing a prompt starts a new branch, and the chat remembers the leaf it shows.
 * These helpers are pure: they take the chat's messages and return ids or paths.
 */
export interface TreeNode {
	id: string;
	parentId: string | null;
	createdAt: number;
}

function children<T extends TreeNode>(messages: readonly T[]): Map<string | null, T[]> {
	const by = new Map<string | null, T[]>();
	for (const m of messages) {
		const list = by.get(m.parentId);
		if (list) list.push(m);
		else by.set(m.parentId, [m]);
	}
	for (const list of by.values()) list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
	return by;
}

/** Root → `leafId`. Empty when the leaf is unknown; stops at a missing parent. */
export function threadTo<T extends TreeNode>(messages: readonly T[], leafId: string | null): T[] {
	const byId = new Map(messages.map((m) => [m.id, m]));
	const path: T[] = [];
	const seen = new Set<string>();
	for (let m = leafId ? byId.get(leafId) : undefined; m && !seen.has(m.id); m = m.parentId ? byId.get(m.parentId) : undefined) {
		seen.add(m.id);
		path.push(m);
	}
	return path.reverse();
}

/** Messages sharing `id`'s parent (itself included), oldest first. */
export function siblingsOf<T extends TreeNode>(messages: readonly T[], id: string): T[] {
	const m = messages.find((x) => x.id === id);
	if (!m) return [];
	return children(messages).get(m.parentId) ?? [m];
}

/** The leaf reached from `id` by following the newest child at each step. */
export function newestLeaf<T extends TreeNode>(messages: readonly T[], id: string): string {
	const by = children(messages);
	let cur = id;
	for (let kids = by.get(cur); kids?.length; kids = by.get(cur)) cur = kids[kids.length - 1].id;
	return cur;
}

/** The active leaf after moving `id` to its sibling `delta` steps away (clamped), or null. */
export function switchSibling<T extends TreeNode>(messages: readonly T[], id: string, delta: number): string | null {
	const sibs = siblingsOf(messages, id);
	const i = sibs.findIndex((s) => s.id === id);
	const j = Math.min(sibs.length - 1, Math.max(0, i + delta));
	if (i < 0 || j === i) return null;
	return newestLeaf(messages, sibs[j].id);
}

/** The active leaf to show: the stored one if it still exists, else the newest leaf of the tree. */
export function resolveLeaf<T extends TreeNode>(messages: readonly T[], stored: string | null): string | null {
	if (stored && messages.some((m) => m.id === stored)) return stored;
	const roots = children(messages).get(null);
	return roots?.length ? newestLeaf(messages, roots[roots.length - 1].id) : null;
}

/** Position among siblings, for "◀ 2/3 ▶". */
export function siblingPosition<T extends TreeNode>(messages: readonly T[], id: string): { index: number; count: number } {
	const sibs = siblingsOf(messages, id);
	return { index: sibs.findIndex((s) => s.id === id), count: sibs.length };
}
