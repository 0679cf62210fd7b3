/**
 * Importing oasst files (spec §3; issue 3 item 7): tree lines, message lines (flat or nested) and
 * Hugging Face rows, told apart line by line by `parseOasstLine`.
 *
 * Import is faithful: ids, author ids (opaque: no accounts are created, `message.user_id` has no
 * foreign key), texts, review fields, ranks, flags, model names and the label and emoji totals are
 * stored as given, never recomputed; what the `message` columns cannot hold (fields the file left
 * out, events, Detoxify scores, the file's tree state) goes to `message_import` / `tree_import`.
 * The live-submission rules do not apply. A message whose parent is not in the file (nor already
 * stored) is kept with its `parent_id` and reported as an orphan. A tree whose root is stored gets
 * a `message_tree_state`: its own state when that state needs no more work, else
 * `backlog_ranking`. Re-importing skips every message already stored.
 *
 * The file is streamed: records are written in chunks, one transaction per chunk, so a large
 * import neither holds the file in memory nor locks the database for its whole length. If a line
 * is invalid the import stops there (`ImportLineError`); what came before it stays imported and a
 * re-run skips it.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { getTreeSettings } from '../trees/settings.js';
import type { NewMessage } from '../trees/trees.table.js';
import { NEEDS_WORK_STATES, TREE_STATES, isActiveState, type TreeState } from '../trees/tree-states.js';
import type { AbsentField, ExchangeTables } from './exchange.table.js';
import { readLines } from './files.js';
import { isSeedFile, seedLines } from './seed.js';
import { type OasstForm, type OasstRecord, parseOasstLine } from './oasst-format.js';

/**
 * Where lines come from: one or more file paths (`.jsonl`, gzip-compressed or not, or a `.json`
 * array in upstream's seed format), or lines themselves: an async iterable, or `{lines, name}`
 * (`name` labels them in errors).
 */
export type ImportSource = string | readonly string[] | AsyncIterable<string> | { lines: AsyncIterable<string> | Iterable<string>; name?: string };

export interface ImportOptions {
	/** Records per insert transaction (default 1,000). */
	chunkSize?: number;
	now?: () => Date;
	/** Called after each chunk with the running count of imported messages. */
	onProgress?: (imported: number) => void;
}

export interface ImportResult {
	/** Messages written. */
	imported: number;
	/** Messages already stored (or repeated in the input), left as they were. */
	skipped: number;
	/** Messages whose parent is neither in the input nor stored: kept, with their parent_id. */
	orphans: { message_id: string; parent_id: string }[];
	/** Trees that received messages. */
	trees: number;
	/** Of those, trees given a state by this import that enter backlog ranking. */
	backlog: number;
	/** Lines read, blank ones included. */
	lines: number;
	/** How many lines of each form were read. */
	forms: Partial<Record<OasstForm, number>>;
	seconds: number;
	messages_per_second: number;
}

/** A line that is not valid oasst JSON; the import stopped there (`result`: what came before). */
export class ImportLineError extends Error {
	override name = 'ImportLineError';
	result?: ImportResult;
	constructor(
		message: string,
		readonly source: string,
		readonly lineNo: number,
		readonly imported: number
	) {
		super(message);
	}
}

type ExchangeDb = Kysely<Database & ExchangeTables>;

interface Placed {
	parentId: string | null;
	/** The tree id the input gave (or the root's own id), null when it gave none. */
	givenTree: string | null;
	tree: string;
	treeKnown: boolean;
	depth: number;
	/** Whether tree or depth was guessed because the parent was not known yet. */
	provisional: boolean;
}

interface TreeSeen {
	state: string | null;
	origin: string | null;
	fresh: boolean;
}

const ID_BATCH = 1000;
/** Rows per insert: 1,000 × 23 message columns stays below SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const MAX_ROWS = 1000;

function* batches<T>(items: readonly T[], size: number): Generator<T[]> {
	for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function* sources(source: ImportSource): AsyncGenerator<{ name: string; lines: AsyncIterable<string> | Iterable<string> }> {
	const file = async (path: string) => ({ name: path, lines: (await isSeedFile(path)) ? await seedLines(path) : readLines(path) });
	if (typeof source === 'string') yield await file(source);
	else if (Symbol.asyncIterator in source) yield { name: '(input)', lines: source };
	else if ('lines' in source) yield { name: source.name ?? '(input)', lines: source.lines };
	else for (const path of source) yield await file(path);
}

const bool = (v: boolean | null) => (v === null ? null : v ? 1 : 0);

/**
 * Import oasst lines into `db` from files or from lines (see `ImportSource`).
 *
 * @throws ImportLineError at the first invalid line, after finishing the trees read so far.
 */
export async function importOasst(database: Kysely<Database>, source: ImportSource, options: ImportOptions = {}): Promise<ImportResult> {
	const db: ExchangeDb = database.withTables<ExchangeTables>();
	const now = options.now ?? (() => new Date());
	const chunkSize = options.chunkSize ?? 1000;
	const started = performance.now();
	const importedDate = now().toISOString();

	const placed = new Map<string, Placed>();
	const trees = new Map<string, TreeSeen>();
	const newIds: string[] = [];
	let pendingFix = false;
	let imported = 0;
	let skipped = 0;
	let lines = 0;
	let seq = 0;
	const forms: Partial<Record<OasstForm, number>> = {};

	const flush = async (chunk: OasstRecord[]) => {
		if (chunk.length === 0) return;
		const ids = [...new Set(chunk.map((r) => r.messageId))];
		const stored = new Map(
			(await db.selectFrom('message').select(['id', 'parent_id', 'message_tree_id', 'depth']).where('id', 'in', ids).execute()).map((m) => [m.id, m])
		);
		const chunkIds = new Set(ids);
		const outside = [...new Set(chunk.map((r) => r.parentId).filter((p): p is string => p !== null && !placed.has(p) && !chunkIds.has(p) && !stored.has(p)))];
		const parents = new Map<string, { message_tree_id: string; depth: number }>();
		for (const batch of batches(outside, ID_BATCH)) {
			for (const m of await db.selectFrom('message').select(['id', 'message_tree_id', 'depth']).where('id', 'in', batch).execute()) parents.set(m.id, m);
		}

		const messages: NewMessage[] = [];
		const extras: ExchangeTables['message_import'][] = [];
		for (const r of chunk) {
			if (placed.has(r.messageId)) {
				skipped++;
				continue;
			}
			const old = stored.get(r.messageId);
			if (old) {
				skipped++;
				placed.set(r.messageId, { parentId: old.parent_id, givenTree: old.message_tree_id, tree: old.message_tree_id, treeKnown: true, depth: old.depth, provisional: false });
				continue;
			}
			const parent = r.parentId === null ? undefined : (placed.get(r.parentId) ?? parents.get(r.parentId));
			const parentPlaced = parent && 'tree' in parent ? parent : undefined;
			const parentStored = parent && 'message_tree_id' in parent ? parent : undefined;
			const parentTree = parentPlaced ? (parentPlaced.treeKnown ? parentPlaced.tree : null) : (parentStored?.message_tree_id ?? null);
			const givenTree = r.treeId;
			const tree = givenTree ?? parentTree;
			const provisional = r.parentId !== null && (parent === undefined || parentPlaced?.provisional === true);
			const depth = r.parentId === null ? 0 : parentPlaced ? parentPlaced.depth + 1 : parentStored ? parentStored.depth + 1 : 1;
			const node: Placed = { parentId: r.parentId, givenTree, tree: tree ?? (r.parentId as string), treeKnown: tree !== null, depth, provisional };
			placed.set(r.messageId, node);
			if (provisional) pendingFix = true;
			newIds.push(r.messageId);

			const absent: AbsentField[] = [];
			if (r.createdDate === null) absent.push('created_date');
			if (r.lang === null) absent.push('lang');
			if (r.reviewCount === null) absent.push('review_count');
			if (r.deleted === null) absent.push('deleted');
			if (r.synthetic === null) absent.push('synthetic');
			if (r.emojis === null) absent.push('emojis');
			if (!node.treeKnown) absent.push('message_tree_id');
			messages.push({
				id: r.messageId,
				parent_id: r.parentId,
				message_tree_id: node.tree,
				task_id: null,
				user_id: r.userId,
				role: r.role,
				frontend_message_id: null,
				created_date: r.createdDate ?? importedDate,
				text: r.text,
				lang: r.lang ?? 'en',
				depth,
				children_count: 0,
				deleted: bool(r.deleted) ?? 0,
				review_count: r.reviewCount ?? 0,
				review_result: bool(r.reviewResult),
				ranking_count: 0,
				rank: r.rank,
				synthetic: bool(r.synthetic) ?? 0,
				edited: 0,
				model_name: r.modelName,
				emojis: JSON.stringify(r.emojis ?? {}),
				label_totals: r.labels === null ? null : JSON.stringify(r.labels)
			});
			extras.push({
				message_id: r.messageId,
				seq: seq++,
				absent: JSON.stringify(absent),
				events: r.events === null ? null : JSON.stringify(r.events),
				detoxify: r.detoxify === null ? null : JSON.stringify(r.detoxify),
				imported_date: importedDate
			});
			if (node.treeKnown) {
				const seen = trees.get(node.tree) ?? { state: null, origin: null, fresh: false };
				seen.fresh = true;
				seen.state ??= r.treeState;
				seen.origin ??= r.treeOrigin;
				trees.set(node.tree, seen);
			}
		}
		if (messages.length > 0) {
			await db.transaction().execute(async (trx) => {
				// One tree line can hold more messages than a chunk: keep each statement's parameters in bounds.
				for (const rows of batches(messages, MAX_ROWS)) await trx.insertInto('message').values(rows).onConflict((oc) => oc.column('id').doNothing()).execute();
				for (const rows of batches(extras, MAX_ROWS)) await trx.insertInto('message_import').values(rows).onConflict((oc) => oc.column('message_id').doNothing()).execute();
			});
			imported += messages.length;
			options.onProgress?.(imported);
		}
	};

	let failure: ImportLineError | undefined;
	read: for await (const { name, lines: input } of sources(source)) {
		let lineNo = 0;
		let chunk: OasstRecord[] = [];
		for await (const text of input) {
			lineNo++;
			lines++;
			const parsed = parseOasstLine(text, lineNo);
			if (!parsed.ok) {
				await flush(chunk);
				failure = new ImportLineError(`${name}: ${parsed.message}`, name, lineNo, imported);
				break read;
			}
			if (parsed.form !== null) forms[parsed.form] = (forms[parsed.form] ?? 0) + 1;
			chunk.push(...parsed.records);
			if (chunk.length >= chunkSize) {
				await flush(chunk);
				chunk = [];
			}
		}
		await flush(chunk);
	}

	if (pendingFix) await settleProvisional(db, placed, trees);
	const orphans = await findOrphans(db, placed, newIds);
	await updateChildrenCounts(db, placed, newIds);
	const backlog = await createTreeStates(db, trees, importedDate);
	const seconds = (performance.now() - started) / 1000;
	const result: ImportResult = {
		imported,
		skipped,
		orphans,
		trees: [...trees.values()].filter((t) => t.fresh).length,
		backlog,
		lines,
		forms,
		seconds: Math.round(seconds * 1000) / 1000,
		messages_per_second: seconds > 0 ? Math.round(imported / seconds) : imported
	};
	if (failure) {
		failure.result = result;
		throw failure;
	}
	return result;
}

/**
 * Children read before their parent got a guessed tree and depth. Now that the whole input is
 * in, walk every such message up to a known ancestor and correct its row.
 */
async function settleProvisional(db: ExchangeDb, placed: Map<string, Placed>, trees: Map<string, TreeSeen>): Promise<void> {
	const missing = [...new Set([...placed.values()].filter((p) => p.provisional && p.parentId !== null && !placed.has(p.parentId)).map((p) => p.parentId as string))];
	const outside = new Map<string, { message_tree_id: string; depth: number }>();
	for (const batch of batches(missing, ID_BATCH)) {
		for (const m of await db.selectFrom('message').select(['id', 'message_tree_id', 'depth']).where('id', 'in', batch).execute()) outside.set(m.id, m);
	}
	const settled = new Map<string, { tree: string; treeKnown: boolean; depth: number }>();
	const settle = (id: string): { tree: string; treeKnown: boolean; depth: number } => {
		const chain: string[] = [];
		let cur: string | null = id;
		let base: { tree: string; treeKnown: boolean; depth: number } | undefined;
		while (cur !== null) {
			const done = settled.get(cur);
			if (done) {
				base = done;
				break;
			}
			const p = placed.get(cur);
			if (!p) {
				const o = outside.get(cur);
				// A missing parent: its children sit at depth 1 below it, in the tree it would head.
				base = o ? { tree: o.message_tree_id, treeKnown: true, depth: o.depth } : { tree: cur, treeKnown: false, depth: 0 };
				break;
			}
			if (!p.provisional || chain.includes(cur)) {
				base = { tree: p.tree, treeKnown: p.treeKnown, depth: p.depth };
				settled.set(cur, base);
				break;
			}
			chain.push(cur);
			cur = p.parentId;
		}
		base ??= { tree: id, treeKnown: false, depth: 0 };
		for (const link of chain.reverse()) {
			const p = placed.get(link) as Placed;
			const tree: string = p.givenTree ?? base.tree;
			base = { tree, treeKnown: p.givenTree !== null || base.treeKnown, depth: base.depth + 1 };
			settled.set(link, base);
		}
		return settled.get(id) ?? base;
	};
	for (const [id, p] of placed) {
		if (!p.provisional) continue;
		const s = settle(id);
		if (s.tree === p.tree && s.depth === p.depth && s.treeKnown === p.treeKnown) continue;
		await db.transaction().execute(async (trx) => {
			await trx.updateTable('message').set({ message_tree_id: s.tree, depth: s.depth }).where('id', '=', id).execute();
			if (s.treeKnown && !p.treeKnown) {
				const row = await trx.selectFrom('message_import').select('absent').where('message_id', '=', id).executeTakeFirst();
				const absent = (JSON.parse(row?.absent ?? '[]') as AbsentField[]).filter((f) => f !== 'message_tree_id');
				await trx.updateTable('message_import').set({ absent: JSON.stringify(absent) }).where('message_id', '=', id).execute();
			}
		});
		if (s.treeKnown) {
			const seen = trees.get(s.tree) ?? { state: null, origin: null, fresh: true };
			trees.set(s.tree, seen);
		}
		placed.set(id, { ...p, tree: s.tree, treeKnown: s.treeKnown, depth: s.depth, provisional: false });
	}
}

/** Imported messages whose parent is neither imported nor stored. */
async function findOrphans(db: ExchangeDb, placed: Map<string, Placed>, newIds: string[]): Promise<ImportResult['orphans']> {
	const candidates = newIds.filter((id) => {
		const parent = placed.get(id)?.parentId;
		return parent != null && !placed.has(parent);
	});
	const stored = new Set<string>();
	const parentIds = [...new Set(candidates.map((id) => placed.get(id)?.parentId as string))];
	for (const batch of batches(parentIds, ID_BATCH)) {
		for (const m of await db.selectFrom('message').select('id').where('id', 'in', batch).execute()) stored.add(m.id);
	}
	return candidates.filter((id) => !stored.has(placed.get(id)?.parentId as string)).map((id) => ({ message_id: id, parent_id: placed.get(id)?.parentId as string }));
}

/**
 * `children_count` of every message that gained children: parents of imported messages, and
 * imported messages that earlier imports' orphans were waiting for. Counts all stored children.
 */
async function updateChildrenCounts(db: ExchangeDb, placed: Map<string, Placed>, newIds: string[]): Promise<void> {
	const fresh = new Set(newIds);
	const counts = new Map<string, number>();
	for (const id of newIds) {
		const parent = placed.get(id)?.parentId;
		if (parent != null) counts.set(parent, (counts.get(parent) ?? 0) + 1);
	}
	// A parent imported now has exactly the children imported with it (unless it adopts orphans
	// of an earlier import): set those counts directly, grouped by value — few statements.
	const adopting = new Set(await adoptedParents(db, placed, newIds));
	const byCount = new Map<number, string[]>();
	const recount: string[] = [...adopting];
	for (const [parent, n] of counts) {
		if (adopting.has(parent)) continue;
		if (!fresh.has(parent)) recount.push(parent);
		else {
			const same = byCount.get(n);
			if (same) same.push(parent);
			else byCount.set(n, [parent]);
		}
	}
	for (const [n, parents] of byCount) {
		for (const batch of batches(parents, ID_BATCH)) await db.updateTable('message').set({ children_count: n }).where('id', 'in', batch).execute();
	}
	for (const batch of batches(recount, ID_BATCH)) {
		await db
			.updateTable('message')
			.set((eb) => ({
				children_count: eb.selectFrom('message as c').select((c) => c.fn.countAll<number>().as('n')).whereRef('c.parent_id', '=', 'message.id')
			}))
			.where('id', 'in', batch)
			.execute();
	}
}

/**
 * Messages stored by an earlier import as orphans whose parent this import brought: move each
 * such subtree under its parent (depth, and the tree id where the file gave none). Returns the
 * adopting parents.
 */
async function adoptedParents(db: ExchangeDb, placed: Map<string, Placed>, newIds: string[]): Promise<string[]> {
	const fresh = new Set(newIds);
	const adopting = new Set<string>();
	for (const batch of batches(newIds, ID_BATCH)) {
		const children = await db.selectFrom('message').select(['id', 'parent_id']).where('parent_id', 'in', batch).execute();
		for (const child of children) {
			if (fresh.has(child.id)) continue;
			const parent = placed.get(child.parent_id as string) as Placed;
			adopting.add(child.parent_id as string);
			let level = [{ id: child.id, depth: parent.depth + 1 }];
			while (level.length > 0) {
				const next: typeof level = [];
				for (const m of level) {
					const row = await db.selectFrom('message_import').select('absent').where('message_id', '=', m.id).executeTakeFirst();
					const absent = JSON.parse(row?.absent ?? '[]') as AbsentField[];
					const moveTree = absent.includes('message_tree_id') && parent.treeKnown;
					await db.transaction().execute(async (trx) => {
						await trx
							.updateTable('message')
							.set({ depth: m.depth, ...(moveTree && { message_tree_id: parent.tree }) })
							.where('id', '=', m.id)
							.execute();
						if (moveTree) {
							const rest = absent.filter((f) => f !== 'message_tree_id');
							await trx.updateTable('message_import').set({ absent: JSON.stringify(rest) }).where('message_id', '=', m.id).execute();
						}
					});
					for (const c of await db.selectFrom('message').select('id').where('parent_id', '=', m.id).execute()) next.push({ id: c.id, depth: m.depth + 1 });
				}
				level = next;
			}
		}
	}
	return [...adopting];
}

/** State for an imported tree: its own when it needs no more work, else backlog ranking. */
export function importedTreeState(given: string | null): TreeState {
	const known = TREE_STATES.find((s) => s === given);
	return known === undefined || NEEDS_WORK_STATES.has(known) ? 'backlog_ranking' : known;
}

/**
 * Give every tree that received messages and whose root is stored a `message_tree_state` (when
 * it has none yet), and record what the file said in `tree_import`. Returns how many new states
 * are backlog ranking.
 */
async function createTreeStates(db: ExchangeDb, trees: Map<string, TreeSeen>, importedDate: string): Promise<number> {
	const settings = await getTreeSettings(db);
	let backlog = 0;
	const ids = [...trees.keys()];
	for (const batch of batches(ids, ID_BATCH / 2)) {
		const hasState = new Set((await db.selectFrom('message_tree_state').select('message_tree_id').where('message_tree_id', 'in', batch).execute()).map((r) => r.message_tree_id));
		const roots = new Map(
			(await db.selectFrom('message').select(['id', 'lang']).where('id', 'in', batch).where('parent_id', 'is', null).execute()).map((r) => [r.id, r.lang])
		);
		const states = batch
			.filter((id) => !hasState.has(id) && roots.has(id))
			.map((id) => {
				const state = importedTreeState(trees.get(id)?.state ?? null);
				if (state === 'backlog_ranking') backlog++;
				return {
					message_tree_id: id,
					goal_tree_size: settings.goal_tree_size,
					max_depth: settings.max_tree_depth,
					max_children_count: settings.max_children_count,
					state,
					active: isActiveState(state) ? 1 : 0,
					origin: trees.get(id)?.origin ?? null,
					won_prompt_lottery_date: null,
					lang: roots.get(id) as string
				};
			});
		const sources = batch.map((id) => ({ message_tree_id: id, source_state: trees.get(id)?.state ?? null, imported_date: importedDate }));
		await db.transaction().execute(async (trx) => {
			if (states.length > 0) await trx.insertInto('message_tree_state').values(states).onConflict((oc) => oc.column('message_tree_id').doNothing()).execute();
			await trx.insertInto('tree_import').values(sources).onConflict((oc) => oc.column('message_tree_id').doNothing()).execute();
		});
	}
	return backlog;
}
