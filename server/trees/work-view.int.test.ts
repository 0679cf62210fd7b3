/**
 * The task request's cache of active trees (work-view.ts): on SQLite a view built from the
 * cache equals one read afresh (inside a transaction, which bypasses the cache) after every
 * step of a simulated crowd, after moderator edits, deletes and undeletes, and after writes
 * through another connection to the same file (as another server process or the CLI makes).
 * PostgreSQL reads afresh every time and must give the same views.
 */
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { openDatabase } from '../db/database.js';
import type { Db } from '../env.js';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, type Harness } from '../testing/harness.js';
import { simulate } from '../testing/simulation.js';
import { label, write } from '../testing/flows.js';
import { getTreeSettings, updateTreeSettings } from './settings.js';
import { loadWorkView, workViewCacheStats } from './work-view.js';
import { WORK_MESSAGE_COLUMNS } from './work.js';
import { migrations } from '../db/migrations/index.js';

describeEachDialect('work view cache', (handle, dialect) => {
	let h: Harness;
	let observers: { id: string }[];
	beforeAll(async () => {
		h = harness(handle.current, { seed: 11 });
		await updateTreeSettings(h.env.db, { num_reviews_initial_prompt: 2, num_reviews_reply: 1, goal_tree_size: 12, num_required_rankings: 2 });
		observers = await Promise.all(['volunteer-0', 'volunteer-3', 'observer'].map((n) => h.user(n)));
		// Several trees from the start (the crowd itself rarely draws a prompt task).
		for (let i = 0; i < 5; i++) await write((await h.user(`author-${i}`)).caller, 'initial_prompt', 'en');
	});

	/** The view of `userId` through `db` (cached where it can be) and read afresh in a transaction. */
	async function bothViews(db: Db, userId: string, lang = 'en') {
		const settings = await getTreeSettings(db);
		const now = new Date(h.clock.ms);
		const cached = await loadWorkView(db, userId, lang, now, settings);
		const fresh = await db.transaction().execute((tx) => loadWorkView(tx, userId, lang, now, settings));
		return { cached, fresh };
	}

	async function expectSameViews(db: Db = h.env.db, lang = 'en'): Promise<void> {
		for (const o of observers) {
			const { cached, fresh } = await bothViews(db, o.id, lang);
			expect(cached).toEqual(fresh);
		}
	}

	/** A growing tree in `lang`: a prompt, accepted by two reviewers, and two replies to it. */
	async function growingTree(lang: string) {
		const [author, r1, r2] = await Promise.all(['author', 'reviewer1', 'reviewer2'].map((n) => h.user(`${lang}-${n}`)));
		const rootId = await write(author.caller, 'initial_prompt', lang);
		await label(r1.caller, 'label_initial_prompt', lang);
		await label(r2.caller, 'label_initial_prompt', lang);
		const replies = [await write(r1.caller, 'assistant_reply', lang), await write(r2.caller, 'assistant_reply', lang)];
		await expectSameViews(h.env.db, lang);
		return { rootId, replies };
	}

	/** The message `id` in the cached view of `lang` (undefined when its tree is not active). */
	async function cachedMessage(lang: string, id: string) {
		const { cached } = await bothViews(h.env.db, observers[2].id, lang);
		return [...cached.messagesByTree.values()].flat().find((m) => m.id === id);
	}

	// PostgreSQL has no triggers (the cache is off there).
	if (dialect === 'sqlite') {
		it('has every column the view reads watched by the stamp trigger', async () => {
			const { rows } = await sql<{ sql: string }>`select sql from sqlite_master where type = 'trigger' and name = 'work_stamp_message_update'`.execute(h.env.db);
			const watched = /after update of ([^]*?) on message/i.exec(rows[0]?.sql ?? '')?.[1].split(',').map((c) => c.trim());
			expect(watched).toEqual(expect.arrayContaining([...WORK_MESSAGE_COLUMNS, 'created_date']));
		});
	}

	it('equals a fresh read after every step of a simulated crowd', async () => {
		const before = workViewCacheStats(h.env.db);
		let checks = 0;
		let mostTrees = 0;
		const result = await simulate(h, {
			users: 8,
			seed: 5,
			maxCycles: 160,
			checkEvery: 1,
			until: async () => {
				await expectSameViews();
				checks++;
				mostTrees = Math.max(mostTrees, (await bothViews(h.env.db, observers[2].id)).cached.trees.length);
				return false;
			}
		});
		expect(result.cycles).toBeGreaterThan(100);
		expect(checks).toBe(result.cycles);
		expect(mostTrees).toBeGreaterThanOrEqual(4);
		const stats = workViewCacheStats(h.env.db);
		if (dialect === 'sqlite') {
			// Most trees come from the cache; the ones a step changed are read again.
			expect(stats.reused - before.reused).toBeGreaterThan(stats.read - before.read);
			expect(stats.read - before.read).toBeGreaterThan(0);
		} else expect(stats).toEqual({ reused: 0, read: 0 });
	});

	it('sees moderator edits, deletes and undeletes at once', async () => {
		const lang = 'fr';
		const mod = await h.user('moderator', 'moderator');
		const { rootId, replies } = await growingTree(lang);
		await mod.caller.moderation.editMessage({ messageId: replies[0], text: 'Edited by a moderator.' });
		await expectSameViews(h.env.db, lang);
		expect((await cachedMessage(lang, replies[0]))?.text).toBe('Edited by a moderator.');
		await mod.caller.moderation.deleteMessage({ messageId: replies[1] });
		await expectSameViews(h.env.db, lang);
		expect((await cachedMessage(lang, replies[1]))?.deleted).toBe(1);
		await mod.caller.moderation.undeleteMessage({ messageId: replies[1] });
		await expectSameViews(h.env.db, lang);
		expect((await cachedMessage(lang, replies[1]))?.deleted).toBe(0);
		await mod.caller.moderation.haltTree({ treeId: rootId });
		await expectSameViews(h.env.db, lang);
		expect(await cachedMessage(lang, rootId)).toBeUndefined();
		await mod.caller.moderation.resumeTree({ treeId: rootId });
		await expectSameViews(h.env.db, lang);
		expect((await cachedMessage(lang, replies[0]))?.text).toBe('Edited by a moderator.');
	});

	it('sees writes made through another connection to the same database', async () => {
		const lang = 'it';
		const { replies } = await growingTree(lang);
		const other = await openDatabase(handle.url, { migrate: false });
		try {
			const before = (await cachedMessage(lang, replies[0]))!;
			await other.db.updateTable('message').set({ text: 'Changed elsewhere.', review_count: before.review_count + 1 }).where('id', '=', replies[0]).execute();
			expect(await cachedMessage(lang, replies[0])).toMatchObject({ text: 'Changed elsewhere.', review_count: before.review_count + 1 });
			await expectSameViews(h.env.db, lang);
			await other.db.deleteFrom('message').where('id', '=', replies[1]).execute();
			expect(await cachedMessage(lang, replies[1])).toBeUndefined();
			await expectSameViews(h.env.db, lang);
		} finally {
			await other.close();
		}
	});

	if (dialect === 'sqlite') {
		it('stamps the trees a database already holds when the migration runs', async () => {
			const { Migrator } = await import('kysely');
			const migrator = new Migrator({ db: h.env.db, provider: { getMigrations: async () => migrations } });
			expect((await migrator.migrateTo('2026_11_28_0001_rate_limits')).error).toBeUndefined();
			expect((await migrator.migrateToLatest()).error).toBeUndefined();
			const unstamped = await h.env.db
				.selectFrom('message')
				.select('message_tree_id')
				.distinct()
				.where('message_tree_id', 'not in', h.env.db.selectFrom('work_stamp').select('message_tree_id'))
				.execute();
			expect(unstamped).toEqual([]);
			expect(Number((await h.env.db.selectFrom('work_stamp').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBeGreaterThan(3);
			await expectSameViews();
		});
	}
});
