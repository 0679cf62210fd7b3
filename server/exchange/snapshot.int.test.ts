import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf } from '../testing/harness.js';
import { createCallerFactory, CSRF_HEADER, router } from '../trpc.js';
import { SESSION_COOKIE } from '../users/cookies.js';
import { FsBlobStore } from './blob-store.js';
import { exchangeRouter, snapshotRouter } from './exchange.router.js';
import { exportOasst } from './export.js';
import { importOasst } from './import.js';
import { SnapshotIntegrityError, SnapshotNotFoundError, createSnapshot, getSnapshot, listSnapshots, readSnapshot } from './snapshot.js';

const HF_ROWS = new URL('./__fixtures__/hf-rows.jsonl', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'oasis-snapshots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const collect = async (lines: AsyncIterable<string>) => {
	const out: string[] = [];
	for await (const line of lines) out.push(line);
	return out;
};

describeEachDialect('snapshots and the exchange API', (handle, dialect) => {
	const store = new FsBlobStore(join(dir, dialect));

	it('a snapshot has a stable content hash and gives back its content', async () => {
		const db = handle.current.db;
		await importOasst(db, HF_ROWS);
		const a = await createSnapshot(db, store, { format: 'messages', anonymizeSeed: 's' }, { createdBy: 'u-1' });
		const b = await createSnapshot(db, store, { format: 'messages', anonymizeSeed: 's' });
		expect(b.id).not.toBe(a.id);
		expect(b.content_hash).toBe(a.content_hash);
		expect(a).toMatchObject({ format: 'messages', tree_count: 1, message_count: 3, created_by: 'u-1', blob: `${a.id}.jsonl.gz` });
		expect(a.filters).toMatchObject({ format: 'messages', anonymized: true });
		expect(JSON.stringify(a.filters)).not.toContain('"s"'); // the seed is not kept

		const expected = await collect(exportOasst(db, { format: 'messages', anonymizeSeed: 's' }));
		expect(await collect(readSnapshot(db, store, a.id))).toEqual(expected);
		expect(a.byte_size).toBe(Buffer.byteLength(expected.join('\n') + '\n'));
		expect((await listSnapshots(db)).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
		expect(await getSnapshot(db, a.id)).toEqual(a);
		await expect(getSnapshot(db, 'nope')).rejects.toBeInstanceOf(SnapshotNotFoundError);

		// Content that no longer matches its hash is refused.
		writeFileSync(join(store.root, b.blob), gzipSync('{"message_id": "forged"}\n'));
		await expect(collect(readSnapshot(db, store, b.id))).rejects.toBeInstanceOf(SnapshotIntegrityError);
	});

	it('moderators import, export and snapshot through tRPC; others are refused', async () => {
		const h = harness(handle.current);
		process.env.OASIS_SNAPSHOT_DIR = join(dir, `${dialect}-api`);
		const callerOf = createCallerFactory(router({ exchange: exchangeRouter, snapshot: snapshotRouter }));
		const as = async (token: string) => {
			const headers = new Headers({ cookie: `${SESSION_COOKIE}=${token}`, [CSRF_HEADER]: '1' });
			return callerOf(await createContext({ db: h.env.db, dialect: h.env.dialect, headers, now: h.env.now, limiter: h.env.limiter }));
		};
		const mod = await as((await h.user('exchange-mod', 'moderator')).token);
		const general = await as((await h.user('exchange-user')).token);

		const line = JSON.stringify({ message_tree_id: 'api-1', tree_state: 'ready_for_export', prompt: { message_id: 'api-1', text: 'Hi', role: 'prompter', review_result: true } });
		expect(await mod.exchange.import({ jsonl: `${line}\n` })).toMatchObject({ imported: 1, skipped: 0, trees: 1, orphans: [] });
		await expect(mod.exchange.import({ jsonl: '{"nope": 1}' })).rejects.toThrow(/upload: line 1/);
		const exported = await mod.exchange.export({ state: 'all', everything: true });
		expect(exported.jsonl).toContain('"api-1"');
		expect(exported.jsonl.endsWith('\n')).toBe(true);
		const snap = await mod.snapshot.create({ format: 'trees' });
		expect(snap.created_by).not.toBeNull();
		expect((await mod.snapshot.list()).map((s) => s.id)).toContain(snap.id);
		expect(await mod.snapshot.get({ id: snap.id })).toEqual(snap);

		expect(await ruleOf(general.exchange.export({}))).toBe('role_required');
		expect(await ruleOf(general.exchange.import({ jsonl: line }))).toBe('role_required');
		expect(await ruleOf(general.snapshot.list())).toBe('role_required');
		delete process.env.OASIS_SNAPSHOT_DIR;
	});
});
