/**
 * Reading the oasst exchange formats (spec §3) into flat, normalised records, one per message.
 *
 * Three line kinds are recognised without being told: a tree (`{message_tree_id, tree_state,
 * prompt, origin}`), a message (flat, or nested with `replies` as in upstream's
 * `en_100_message.jsonl`) and a Hugging Face row (labels and emojis as parallel arrays). Values
 * are kept exactly as given — texts byte for byte, ids as opaque strings, totals as totals.
 * Writing lives in `oasst-write.ts`, re-keying in `anonymize.ts`; both are re-exported here.
 */
import type { z } from 'zod';
import {
	type Detoxify,
	type ExportMessageEvent,
	type ExportMessageNodeInput,
	type LabelAvgValue,
	exportMessageNodeSchema,
	exportMessageTreeSchema,
	hfRowSchema
} from './oasst-schemas.js';

export * from './oasst-schemas.js';
export { buildTrees, orphanRecords, toMessageLines, toMessageNode, type WriteOptions } from './oasst-write.js';
export { anonymize, anonymousId } from './anonymize.js';

/** One message, flattened out of whichever form it came in. */
export interface OasstRecord {
	messageId: string;
	parentId: string | null;
	/**
	 * Root id of the message's tree. Null only for a flat message line that gave no
	 * `message_tree_id` and has a parent; `resolveTreeIds` fills it from the parent chain.
	 */
	treeId: string | null;
	treeState: string | null;
	/** The tree line's `origin`, on every message of that tree. */
	treeOrigin: string | null;
	userId: string | null;
	/** As given (ISO 8601 text upstream); never reparsed, so it round-trips exactly. */
	createdDate: string | null;
	text: string;
	role: 'prompter' | 'assistant';
	lang: string | null;
	reviewCount: number | null;
	reviewResult: boolean | null;
	deleted: boolean | null;
	rank: number | null;
	synthetic: boolean | null;
	modelName: string | null;
	/** Emoji totals `{code: count}`, skip markers included. */
	emojis: Record<string, number> | null;
	/** Label aggregates `{name: {value, count}}`. */
	labels: Record<string, LabelAvgValue> | null;
	events: Record<string, ExportMessageEvent[]> | null;
	detoxify: Detoxify | null;
	/** 1-based line of the source file, for reports. */
	lineNo: number;
}

/** The kind of an oasst line. */
export type OasstForm = 'tree' | 'message' | 'hf_row';

/** Result of reading one line. `form` is null for a blank line (no records). */
export type ParsedLine =
	| { ok: true; form: OasstForm | null; records: OasstRecord[] }
	| { ok: false; lineNo: number; message: string };

const HF_COLUMNS = [
	'message_id',
	'parent_id',
	'user_id',
	'created_date',
	'text',
	'role',
	'lang',
	'review_count',
	'review_result',
	'deleted',
	'rank',
	'synthetic',
	'model_name',
	'detoxify',
	'message_tree_id',
	'tree_state',
	'emojis',
	'labels'
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const hasArrayNames = (v: unknown) => isObject(v) && Array.isArray(v.name);

/**
 * Which form a parsed JSON line is in, or null when it is none of them. A Hugging Face row is
 * told from a message by its parallel-array emojis/labels; with neither emojis nor labels, by
 * carrying all 18 columns (nulls spelled out) and no `replies` — such a row reads the same
 * either way.
 */
export function detectForm(line: unknown): OasstForm | null {
	if (!isObject(line)) return null;
	if ('message_id' in line) {
		const shapes = [line.emojis, line.labels].map((v) => (v == null ? 'none' : hasArrayNames(v) ? 'arrays' : 'map'));
		if (shapes.includes('arrays')) return 'hf_row';
		if (shapes.includes('map')) return 'message';
		const allColumns = HF_COLUMNS.every((c) => c in line);
		return allColumns && !('replies' in line) ? 'hf_row' : 'message';
	}
	if ('prompt' in line || 'message_tree_id' in line) return 'tree';
	return null;
}

const orNull = <T>(v: T | null | undefined): T | null => (v === undefined ? null : v);

interface TreeContext {
	treeId: string | null;
	treeState: string | null;
	treeOrigin: string | null;
	lineNo: number;
}

function recordOf(node: ExportMessageNodeInput, ctx: TreeContext): OasstRecord {
	return {
		messageId: node.message_id,
		parentId: orNull(node.parent_id),
		treeId: orNull(node.message_tree_id) ?? ctx.treeId,
		treeState: orNull(node.tree_state) ?? ctx.treeState,
		treeOrigin: ctx.treeOrigin,
		userId: orNull(node.user_id),
		createdDate: orNull(node.created_date),
		text: node.text,
		role: node.role,
		lang: orNull(node.lang),
		reviewCount: orNull(node.review_count),
		reviewResult: orNull(node.review_result),
		deleted: orNull(node.deleted),
		rank: orNull(node.rank),
		synthetic: orNull(node.synthetic),
		modelName: orNull(node.model_name),
		emojis: orNull(node.emojis),
		labels: orNull(node.labels),
		events: orNull(node.events),
		detoxify: orNull(node.detoxify),
		lineNo: ctx.lineNo
	};
}

/** Depth-first, pre-order: a parent always comes before its replies. */
function flatten(node: ExportMessageNodeInput, ctx: TreeContext, out: OasstRecord[]): void {
	out.push(recordOf(node, ctx));
	for (const reply of node.replies ?? []) {
		// A nested reply belongs to its parent even if it does not say so.
		flatten({ ...reply, parent_id: reply.parent_id ?? node.message_id }, ctx, out);
	}
}

function describeIssues(error: z.ZodError, lineNo: number): string {
	const issue = error.issues[0];
	const where = issue.path.length > 0 ? issue.path.join('.') : '(line)';
	const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
	return `line ${lineNo}: ${where}: ${issue.message}${more}`;
}

function zipRow(row: z.infer<typeof hfRowSchema>, lineNo: number): ExportMessageNodeInput | string {
	const { emojis, labels, created_date, ...rest } = row;
	if (emojis && emojis.name.length !== emojis.count.length) {
		return `line ${lineNo}: emojis: name and count have different lengths`;
	}
	if (labels && (labels.name.length !== labels.value.length || labels.name.length !== labels.count.length)) {
		return `line ${lineNo}: labels: name, value and count have different lengths`;
	}
	return {
		...rest,
		created_date: typeof created_date === 'number' ? new Date(created_date).toISOString() : created_date,
		emojis: emojis ? Object.fromEntries(emojis.name.map((n, i) => [n, emojis.count[i]])) : emojis,
		labels: labels
			? Object.fromEntries(labels.name.map((n, i) => [n, { value: labels.value[i], count: labels.count[i] }]))
			: labels
	};
}

/**
 * Read one line of an oasst JSONL file into flat records (a tree line gives all its messages,
 * parents first). Errors name the line and the offending field, e.g.
 * `line 7: prompt.replies.0.role: Invalid option: expected one of "prompter"|"assistant"`.
 */
export function parseOasstLine(text: string, lineNo: number): ParsedLine {
	if (text.trim() === '') return { ok: true, form: null, records: [] };
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (e) {
		return { ok: false, lineNo, message: `line ${lineNo}: not valid JSON (${(e as Error).message})` };
	}
	const form = detectForm(json);
	const records: OasstRecord[] = [];
	if (form === null) {
		const hint = isObject(json) && 'thread_id' in json ? ' (thread lines are not supported)' : '';
		return { ok: false, lineNo, message: `line ${lineNo}: neither a message nor a tree: no message_id or message_tree_id${hint}` };
	}
	if (form === 'tree') {
		const parsed = exportMessageTreeSchema.safeParse(json);
		if (!parsed.success) return { ok: false, lineNo, message: describeIssues(parsed.error, lineNo) };
		const tree = parsed.data;
		if (tree.prompt) {
			const ctx = { treeId: tree.message_tree_id, treeState: orNull(tree.tree_state), treeOrigin: orNull(tree.origin), lineNo };
			flatten(tree.prompt, ctx, records);
		}
		return { ok: true, form, records };
	}
	let node: ExportMessageNodeInput;
	if (form === 'hf_row') {
		const parsed = hfRowSchema.safeParse(json);
		if (!parsed.success) return { ok: false, lineNo, message: describeIssues(parsed.error, lineNo) };
		const zipped = zipRow(parsed.data, lineNo);
		if (typeof zipped === 'string') return { ok: false, lineNo, message: zipped };
		node = zipped;
	} else {
		const parsed = exportMessageNodeSchema.safeParse(json);
		if (!parsed.success) return { ok: false, lineNo, message: describeIssues(parsed.error, lineNo) };
		node = parsed.data;
	}
	// A root names its own tree; a nested message's replies share its tree.
	const treeId = orNull(node.message_tree_id) ?? (node.parent_id == null ? node.message_id : null);
	flatten(node, { treeId, treeState: orNull(node.tree_state), treeOrigin: null, lineNo }, records);
	return { ok: true, form, records };
}

/**
 * Fill missing `treeId`s (flat message lines without `message_tree_id`) by walking up the
 * parent chain within `records`. Records whose chain leaves the file keep `treeId: null`.
 * Returns new records; the input is not changed.
 */
export function resolveTreeIds(records: readonly OasstRecord[]): OasstRecord[] {
	const byId = new Map(records.map((r) => [r.messageId, r]));
	const memo = new Map<string, string | null>();
	const treeOf = (r: OasstRecord): string | null => {
		const seen: OasstRecord[] = [];
		let cur: OasstRecord | undefined = r;
		let found: string | null = null;
		while (cur !== undefined) {
			const known = memo.get(cur.messageId);
			if (known !== undefined || cur.treeId !== null) {
				found = known ?? cur.treeId;
				break;
			}
			if (cur.parentId === null) {
				found = cur.messageId;
				break;
			}
			if (seen.includes(cur)) break; // a parent cycle: give up on this chain
			seen.push(cur);
			cur = byId.get(cur.parentId);
		}
		for (const s of seen) memo.set(s.messageId, found);
		return found;
	};
	return records.map((r) => (r.treeId !== null ? r : { ...r, treeId: treeOf(r) }));
}
