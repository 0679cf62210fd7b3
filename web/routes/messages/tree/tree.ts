/**
 * Pure helpers of the tree view: replies under their parents (ranked first, then oldest), the
 * visual indentation cap, and a small local copy of recently viewed trees for offline reading.
 */

/** What the tree view needs of a message. */
export interface TreeNodeLike {
	id: string;
	parentId: string | null;
	rank: number | null;
	createdDate: string;
}

/** Children by parent id (`null`: the roots), each list ranked first (best first), then by date and id. */
export function childrenByParent<T extends TreeNodeLike>(messages: readonly T[]): Map<string | null, T[]> {
	const ids = new Set(messages.map((m) => m.id));
	const out = new Map<string | null, T[]>();
	for (const m of messages) {
		// A message whose parent is hidden (deleted, for non-moderators) is shown as a root.
		const key = m.parentId !== null && ids.has(m.parentId) ? m.parentId : null;
		out.set(key, [...(out.get(key) ?? []), m]);
	}
	for (const list of out.values()) {
		list.sort((a, b) => {
			if (a.rank !== null && b.rank !== null && a.rank !== b.rank) return a.rank - b.rank;
			if (a.rank !== null && b.rank === null) return -1;
			if (a.rank === null && b.rank !== null) return 1;
			return a.createdDate < b.createdDate ? -1 : a.createdDate > b.createdDate ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
		});
	}
	return out;
}

/** Deeper levels are not indented further, so a deep tree never scrolls sideways on a phone. */
export const MAX_INDENT_LEVELS = 4;

/** The indentation level to draw for a message at `depth` (0 = root). */
export function indentLevel(depth: number): number {
	return Math.max(0, Math.min(depth, MAX_INDENT_LEVELS));
}

const CACHE_PREFIX = 'oasis.tree.';
const CACHE_INDEX = 'oasis.trees';
/** How many trees the device keeps. */
export const CACHE_LIMIT = 20;

/** A tree as kept on the device, with when it was fetched. */
export interface CachedTree<T> {
	savedAt: string;
	tree: T;
}

/** Keep `tree` under `key` (a message id), dropping the oldest beyond CACHE_LIMIT. Quota errors are ignored. */
export function saveTree<T>(storage: Storage, key: string, tree: T, now = new Date()): void {
	try {
		const index = (JSON.parse(storage.getItem(CACHE_INDEX) ?? '[]') as string[]).filter((k) => k !== key);
		index.unshift(key);
		for (const old of index.splice(CACHE_LIMIT)) storage.removeItem(CACHE_PREFIX + old);
		storage.setItem(CACHE_PREFIX + key, JSON.stringify({ savedAt: now.toISOString(), tree } satisfies CachedTree<T>));
		storage.setItem(CACHE_INDEX, JSON.stringify(index));
	} catch {
		// Storage full or unavailable: the page still works online.
	}
}

/** The kept copy for `key`, or null. */
export function loadTree<T>(storage: Storage, key: string): CachedTree<T> | null {
	try {
		return JSON.parse(storage.getItem(CACHE_PREFIX + key) ?? 'null') as CachedTree<T> | null;
	} catch {
		return null;
	}
}
