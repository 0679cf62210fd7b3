/**
 * Exporting stored trees in the oasst formats (spec §3; issue 3 item 6), as a stream of JSONL
 * lines: tree lines (`format: 'trees'`) or flat message lines (`format: 'messages'`).
 *
 * By default the original's dataset filters apply: trees in `ready_for_export`; no deleted
 * message, none that is not accepted (`review_result` not true: rejected, or never reviewed, as
 * upstream's default "no spam" export), none labelled spam by most labellers, no synthetic one —
 * and a message left out takes its replies with it. Labels are always written as
 * `{name: {value, count}}` (live labels averaged per user, merged with imported totals), emojis
 * as `{code: count}` including the `_skip_*` markers, replies sorted by rank.
 *
 * `everything` is a backup: every stored message of every tree (unless narrowed by an explicit
 * state, lang, user or since), every field — `review_result` always, imported events and
 * Detoxify scores, and messages whose parent is not stored, written as message lines after the
 * tree lines so that nothing is lost.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/schema.js';
import { TREE_STATES } from '../trees/tree-states.js';
import type { AbsentField, ExchangeTables } from './exchange.table.js';
import { type OasstRecord, anonymize, buildTrees, orphanRecords, toMessageNode, type LabelAvgValue } from './oasst-format.js';

/** Export filters, as the CLI and the API take them. */
export const exportOptionsSchema = z
	.object({
		format: z.enum(['trees', 'messages']).default('trees'),
		/** A tree state, or `all`. Default `ready_for_export` (`all` with `everything`). */
		state: z.enum([...TREE_STATES, 'all'], { error: `expected a tree state (${TREE_STATES.join(', ')}) or all` }).optional(),
		lang: z.string().min(1).max(32).optional(),
		includeDeleted: z.boolean().default(false),
		/** Keep messages that are not accepted or are labelled spam. */
		includeSpam: z.boolean().default(false),
		includeSynthetic: z.boolean().default(false),
		/** Only this author's messages (messages form) or the trees they wrote in (trees form). */
		user: z.string().min(1).optional(),
		/** Only messages created at or after this instant (messages form), or trees with one. */
		since: z
			.string()
			.refine((s) => !Number.isNaN(Date.parse(s)), 'since must be an ISO 8601 date or date-time')
			.transform((s) => new Date(s).toISOString())
			.optional(),
		/** Re-key message, tree and user ids deterministically from this seed. */
		anonymizeSeed: z.string().min(1).optional(),
		everything: z.boolean().default(false)
	})
	.strict();

export type ExportOptions = z.input<typeof exportOptionsSchema>;
export type ExportFilters = z.output<typeof exportOptionsSchema>;

/** What has been written so far; final once the stream is consumed. */
export interface ExportStats {
	trees: number;
	messages: number;
}

/** A JSONL line stream (lines without their `\n`) with running counts. */
export interface ExportStream extends AsyncIterable<string> {
	readonly filters: ExportFilters;
	readonly stats: ExportStats;
}

type ExchangeDb = Kysely<Database & ExchangeTables>;

/** Trees read per query page. */
const PAGE = 200;
const ID_BATCH = 1000;

/**
 * Export stored trees as JSONL lines, streamed page by page of trees in tree-id order (so the
 * same data always gives the same bytes).
 *
 * @throws ZodError when `options` are invalid (before anything is read).
 */
export function exportOasst(database: Kysely<Database>, options: ExportOptions = {}): ExportStream {
	const filters = exportOptionsSchema.parse(options);
	const stats: ExportStats = { trees: 0, messages: 0 };
	const db: ExchangeDb = database.withTables<ExchangeTables>();
	return {
		filters,
		stats,
		[Symbol.asyncIterator]: () => exportLines(db, filters, stats)[Symbol.asyncIterator]()
	};
}

async function* exportLines(db: ExchangeDb, f: ExportFilters, stats: ExportStats): AsyncGenerator<string> {
	const state = f.state ?? (f.everything ? 'all' : 'ready_for_export');
	let after: string | null = null;
	for (;;) {
		let q = db
			.selectFrom('message as m')
			.leftJoin('message_tree_state as s', 's.message_tree_id', 'm.message_tree_id')
			.leftJoin('tree_import as ti', 'ti.message_tree_id', 'm.message_tree_id')
			.select('m.message_tree_id')
			.distinct();
		if (state !== 'all') q = q.where((eb) => eb(eb.fn.coalesce('s.state', 'ti.source_state'), '=', state));
		if (f.lang !== undefined) q = q.where('m.lang', '=', f.lang);
		if (f.user !== undefined) q = q.where('m.user_id', '=', f.user);
		if (f.since !== undefined) {
			// Imported messages the file gave no date carry their import time: not "created" then.
			q = q
				.leftJoin('message_import as mi', 'mi.message_id', 'm.id')
				.where('m.created_date', '>=', f.since)
				.where((eb) => eb.or([eb('mi.absent', 'is', null), eb('mi.absent', 'not like', '%created_date%')]));
		}
		if (after !== null) q = q.where('m.message_tree_id', '>', after);
		const page = (await q.orderBy('m.message_tree_id').limit(PAGE).execute()).map((r) => r.message_tree_id);
		if (page.length === 0) return;
		after = page[page.length - 1];

		const records = await loadRecords(db, page, f.everything);
		let kept = select(records, f);
		if (f.anonymizeSeed !== undefined) kept = anonymize(kept, f.anonymizeSeed);
		const write = { everything: f.everything };
		if (f.format === 'trees') {
			for (const tree of buildTrees(kept, write)) {
				stats.trees++;
				stats.messages += countNodes(tree.prompt);
				yield JSON.stringify(tree);
			}
			if (f.everything) {
				for (const orphan of orphanRecords(kept)) {
					stats.messages++;
					yield JSON.stringify(toMessageNode(orphan, { ...write, flat: true }));
				}
			}
		} else {
			const trees = new Set<string>();
			for (const r of kept) {
				stats.messages++;
				if (r.treeId !== null) trees.add(r.treeId);
				yield JSON.stringify(toMessageNode(r, { ...write, flat: true }));
			}
			stats.trees += trees.size;
		}
	}
}

const countNodes = (node: { replies?: unknown[] }): number =>
	1 + (node.replies ?? []).reduce<number>((n, r) => n + countNodes(r as { replies?: unknown[] }), 0);

/** Stored messages of `treeIds` as records, in tree order, then file order, then date and id. */
async function loadRecords(db: ExchangeDb, treeIds: string[], everything: boolean): Promise<OasstRecord[]> {
	const rows = await db
		.selectFrom('message as m')
		.leftJoin('message_import as mi', 'mi.message_id', 'm.id')
		.leftJoin('message_tree_state as s', 's.message_tree_id', 'm.message_tree_id')
		.leftJoin('tree_import as ti', 'ti.message_tree_id', 'm.message_tree_id')
		.select([
			'm.id',
			'm.parent_id',
			'm.message_tree_id',
			'm.user_id',
			'm.created_date',
			'm.text',
			'm.role',
			'm.lang',
			'm.review_count',
			'm.review_result',
			'm.deleted',
			'm.rank',
			'm.synthetic',
			'm.model_name',
			'm.emojis',
			'm.label_totals',
			'mi.seq',
			'mi.absent',
			'mi.events',
			'mi.detoxify',
			's.state',
			's.origin',
			'ti.source_state'
		])
		.where('m.message_tree_id', 'in', treeIds)
		.execute();
	const live = await liveLabels(db, rows.map((r) => r.id));
	const treeOrder = new Map(treeIds.map((id, i) => [id, i]));
	rows.sort(
		(a, b) =>
			(treeOrder.get(a.message_tree_id) ?? 0) - (treeOrder.get(b.message_tree_id) ?? 0) ||
			(a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER) ||
			(a.created_date < b.created_date ? -1 : a.created_date > b.created_date ? 1 : 0) ||
			(a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
	);
	return rows.map((row): OasstRecord => {
		const absent = new Set(JSON.parse(row.absent ?? '[]') as AbsentField[]);
		const given = (field: AbsentField) => !absent.has(field);
		const emojis = JSON.parse(row.emojis) as Record<string, number>;
		const imported = row.seq !== null;
		return {
			messageId: row.id,
			parentId: row.parent_id,
			treeId: given('message_tree_id') ? row.message_tree_id : null,
			treeState: row.state ?? row.source_state,
			treeOrigin: row.origin,
			userId: row.user_id,
			createdDate: given('created_date') ? row.created_date : null,
			text: row.text,
			role: row.role,
			lang: given('lang') ? row.lang : null,
			reviewCount: given('review_count') ? row.review_count : null,
			reviewResult: row.review_result === null ? null : row.review_result === 1,
			deleted: given('deleted') ? row.deleted === 1 : null,
			rank: row.rank,
			synthetic: given('synthetic') ? row.synthetic === 1 : null,
			modelName: row.model_name,
			// A live message with no reactions has `{}`; an import keeps what it was given.
			emojis: !given('emojis') || (!imported && Object.keys(emojis).length === 0) ? null : emojis,
			labels: mergeLabels(row.label_totals === null ? null : (JSON.parse(row.label_totals) as Record<string, LabelAvgValue>), live.get(row.id)),
			events: everything && row.events !== null ? JSON.parse(row.events) : null,
			detoxify: row.detoxify === null ? null : JSON.parse(row.detoxify),
			lineNo: 0
		};
	});
}

/**
 * Label aggregates from `text_labels`: each user's values for a label are averaged first, then
 * `value` is the mean over users and `count` the number of users (upstream's export).
 */
async function liveLabels(db: ExchangeDb, messageIds: string[]): Promise<Map<string, Record<string, LabelAvgValue>>> {
	const perUser = new Map<string, Map<string, Map<string, number[]>>>();
	for (let i = 0; i < messageIds.length; i += ID_BATCH) {
		const rows = await db
			.selectFrom('text_labels')
			.select(['message_id', 'user_id', 'labels'])
			.where('message_id', 'in', messageIds.slice(i, i + ID_BATCH))
			.execute();
		for (const row of rows) {
			const byName = perUser.get(row.message_id) ?? new Map<string, Map<string, number[]>>();
			perUser.set(row.message_id, byName);
			for (const [name, value] of Object.entries(JSON.parse(row.labels) as Record<string, number>)) {
				const byUser = byName.get(name) ?? new Map<string, number[]>();
				byName.set(name, byUser);
				byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), value]);
			}
		}
	}
	const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
	const out = new Map<string, Record<string, LabelAvgValue>>();
	for (const [messageId, byName] of perUser) {
		const labels: Record<string, LabelAvgValue> = {};
		for (const [name, byUser] of byName) {
			labels[name] = { value: mean([...byUser.values()].map(mean)), count: byUser.size };
		}
		out.set(messageId, labels);
	}
	return out;
}

/** Imported totals and live aggregates together: a count-weighted mean per label. */
function mergeLabels(totals: Record<string, LabelAvgValue> | null, live: Record<string, LabelAvgValue> | undefined): Record<string, LabelAvgValue> | null {
	if (live === undefined) return totals;
	if (totals === null) return live;
	const merged: Record<string, LabelAvgValue> = { ...totals };
	for (const [name, l] of Object.entries(live)) {
		const t = merged[name];
		const count = (t?.count ?? 0) + l.count;
		if (t === undefined || t.count === 0) merged[name] = l;
		// An unknown imported mean stays unknown once mixed.
		else if (t.value === null || l.value === null) merged[name] = { value: null, count };
		else merged[name] = { value: (t.value * t.count + l.value * l.count) / count, count };
	}
	return merged;
}

/** Whether most labellers called it spam. */
const isSpam = (r: OasstRecord) => (r.labels?.spam?.value ?? 0) > 0.5 && (r.labels?.spam?.count ?? 0) > 0;

/**
 * The records that pass the filters. Quality filters (deleted, not accepted or spam, synthetic,
 * language) drop a message and its replies; `user` and `since` then pick messages (messages
 * form) — in trees form they already picked the trees.
 */
function select(records: OasstRecord[], f: ExportFilters): OasstRecord[] {
	const passes = (r: OasstRecord) =>
		f.everything
			? f.lang === undefined || r.lang === f.lang
			: (f.includeDeleted || r.deleted !== true) &&
				(f.includeSpam || (r.reviewResult === true && !isSpam(r))) &&
				(f.includeSynthetic || r.synthetic !== true) &&
				(f.lang === undefined || r.lang === f.lang);
	const stored = new Set(records.map((r) => r.messageId));
	const kept = new Set<string>();
	// Records come parents first within a file, but not always (live trees, several imports).
	const byParent = new Map<string | null, OasstRecord[]>();
	for (const r of records) {
		const key = r.parentId !== null && stored.has(r.parentId) ? r.parentId : null;
		const siblings = byParent.get(key);
		if (siblings) siblings.push(r);
		else byParent.set(key, [r]);
	}
	const stack = [...(byParent.get(null) ?? [])];
	while (stack.length > 0) {
		const r = stack.pop() as OasstRecord;
		if (!passes(r)) continue;
		kept.add(r.messageId);
		stack.push(...(byParent.get(r.messageId) ?? []));
	}
	let out = records.filter((r) => kept.has(r.messageId));
	if (f.format === 'messages') {
		if (f.user !== undefined) out = out.filter((r) => r.userId === f.user);
		if (f.since !== undefined) {
			const since = f.since;
			out = out.filter((r) => r.createdDate !== null && Date.parse(r.createdDate) >= Date.parse(since));
		}
	}
	return out;
}
