/**
 * Writing records back out in the oasst formats (upstream `backend/oasst_backend/utils/tree_export.py`):
 * null fields left out, replies sorted by rank with unranked ones last, keys in upstream's field
 * order, and `review_result` only when true or after more than 2 reviews — unless `everything`.
 */
import type { OasstRecord } from './oasst-format.js';
import type { ExportMessageNode, ExportMessageTree } from './oasst-schemas.js';

/** How records are written. */
export interface WriteOptions {
	/**
	 * Keep every field as stored (a backup). Without it `review_result` is written only when it
	 * is true or `review_count > 2`, as upstream's export did.
	 */
	everything?: boolean;
}

/**
 * One record as an export node, keys in upstream's field order, null fields omitted;
 * `message_tree_id` / `tree_state` only with `flat` (in tree form they sit on the tree line),
 * `replies` only when given.
 */
export function toMessageNode(
	r: OasstRecord,
	options: WriteOptions & { flat?: boolean } = {},
	replies?: ExportMessageNode[]
): ExportMessageNode {
	const showReview = options.everything || r.reviewResult === true || (r.reviewCount ?? 0) > 2;
	const flat = options.flat === true;
	return {
		message_id: r.messageId,
		...(r.parentId !== null && { parent_id: r.parentId }),
		...(r.userId !== null && { user_id: r.userId }),
		...(r.createdDate !== null && { created_date: r.createdDate }),
		text: r.text,
		role: r.role,
		...(r.lang !== null && { lang: r.lang }),
		...(r.reviewCount !== null && { review_count: r.reviewCount }),
		...(showReview && r.reviewResult !== null && { review_result: r.reviewResult }),
		...(r.deleted !== null && { deleted: r.deleted }),
		...(r.rank !== null && { rank: r.rank }),
		...(r.synthetic !== null && { synthetic: r.synthetic }),
		...(r.modelName !== null && { model_name: r.modelName }),
		...(r.emojis !== null && { emojis: r.emojis }),
		...(replies !== undefined && { replies }),
		...(r.labels !== null && { labels: r.labels }),
		...(r.events !== null && { events: r.events }),
		...(r.detoxify !== null && { detoxify: r.detoxify }),
		...(flat && r.treeId !== null && { message_tree_id: r.treeId }),
		...(flat && r.treeState !== null && { tree_state: r.treeState })
	};
}

/** Milliseconds of a creation date; missing or unreadable dates sort last. */
const time = (d: string | null) => {
	const t = d === null ? Number.NaN : Date.parse(d);
	return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
};

/**
 * Reply order: by rank, unranked last; then by creation time, undated last; then the order the
 * records were given in (Array.prototype.sort is stable). A total preorder, so the sort is
 * well defined.
 */
function compareReplies(a: OasstRecord, b: OasstRecord): number {
	const ra = a.rank ?? Number.POSITIVE_INFINITY;
	const rb = b.rank ?? Number.POSITIVE_INFINITY;
	if (ra !== rb) return ra < rb ? -1 : 1;
	const ta = time(a.createdDate);
	const tb = time(b.createdDate);
	return ta === tb ? 0 : ta < tb ? -1 : 1;
}

interface Forest {
	roots: OasstRecord[];
	children: Map<string, OasstRecord[]>;
}

/** Roots (parentless records that head their tree) and children by parent, children sorted. */
function forest(records: readonly OasstRecord[]): Forest {
	const ids = new Set(records.map((r) => r.messageId));
	const children = new Map<string, OasstRecord[]>();
	const roots: OasstRecord[] = [];
	for (const r of records) {
		if (r.parentId === null) roots.push(r);
		else if (ids.has(r.parentId)) children.set(r.parentId, [...(children.get(r.parentId) ?? []), r]);
	}
	for (const list of children.values()) list.sort(compareReplies);
	return { roots, children };
}

/** Records in tree order: each root, then its replies depth-first in reply order. */
function* walk(f: Forest): Generator<{ record: OasstRecord; root: OasstRecord }> {
	for (const root of f.roots) {
		const stack = [root];
		while (stack.length > 0) {
			const record = stack.pop() as OasstRecord;
			yield { record, root };
			stack.push(...[...(f.children.get(record.messageId) ?? [])].reverse());
		}
	}
}

/**
 * Records that `buildTrees` cannot place: their parent chain does not reach a parentless record
 * in `records` (parent missing from the export, or a cycle). The caller reports or writes them
 * as message lines; they are never silently lost.
 */
export function orphanRecords(records: readonly OasstRecord[]): OasstRecord[] {
	const placed = new Set<string>();
	for (const { record } of walk(forest(records))) placed.add(record.messageId);
	return records.filter((r) => !placed.has(r.messageId));
}

/**
 * Nest records into tree lines, one per parentless record, in the order the roots come. The tree
 * takes its id, state and origin from the root record (`treeId` falls back to the root's id).
 * Records listed by `orphanRecords` are left out.
 */
export function buildTrees(records: readonly OasstRecord[], options: WriteOptions = {}): ExportMessageTree[] {
	const f = forest(records);
	// Upstream writes `replies: []` on leaves, so every node gets the key.
	const nest = (r: OasstRecord): ExportMessageNode =>
		toMessageNode(r, options, (f.children.get(r.messageId) ?? []).map(nest));
	return f.roots.map(
		(root): ExportMessageTree => ({
			message_tree_id: root.treeId ?? root.messageId,
			...(root.treeState !== null && { tree_state: root.treeState }),
			prompt: nest(root),
			...(root.treeOrigin !== null && { origin: root.treeOrigin })
		})
	);
}

/**
 * Records as flat message lines (JSON text, no trailing newline): trees depth-first in reply
 * order, then orphans in the order given; each line carries `message_tree_id` and `tree_state`.
 */
export function toMessageLines(records: readonly OasstRecord[], options: WriteOptions = {}): string[] {
	const f = forest(records);
	const lines: string[] = [];
	for (const { record } of walk(f)) lines.push(JSON.stringify(toMessageNode(record, { ...options, flat: true })));
	for (const r of orphanRecords(records)) lines.push(JSON.stringify(toMessageNode(r, { ...options, flat: true })));
	return lines;
}
