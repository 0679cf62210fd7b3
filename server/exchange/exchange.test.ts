import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError, FsBlobStore } from './blob-store.js';
import { exportOptionsSchema } from './export.js';
import { importedTreeState } from './import.js';

describe('importedTreeState', () => {
	it('keeps states that need no more work; everything else enters backlog ranking', () => {
		const kept = ['ready_for_export', 'aborted_low_grade', 'halted_by_moderator'];
		for (const s of kept) expect(importedTreeState(s)).toBe(s);
		const backlog = ['initial_prompt_review', 'prompt_lottery_waiting', 'growing', 'ranking', 'ready_for_scoring', 'scoring_failed', 'backlog_ranking'];
		for (const s of backlog) expect(importedTreeState(s)).toBe('backlog_ranking');
		expect(importedTreeState(null)).toBe('backlog_ranking');
		expect(importedTreeState('made_up')).toBe('backlog_ranking');
	});
});

describe('exportOptionsSchema', () => {
	it('fills the defaults, normalises since, and refuses unknown keys and states', () => {
		expect(exportOptionsSchema.parse({})).toEqual({ format: 'trees', includeDeleted: false, includeSpam: false, includeSynthetic: false, everything: false });
		expect(exportOptionsSchema.parse({ since: '2024-01-01' }).since).toBe('2024-01-01T00:00:00.000Z');
		expect(exportOptionsSchema.safeParse({ state: 'done' }).success).toBe(false);
		expect(exportOptionsSchema.safeParse({ since: 'yesterday' }).success).toBe(false);
		expect(exportOptionsSchema.safeParse({ limit: 3 }).success).toBe(false);
	});
});

describe('FsBlobStore', () => {
	const root = mkdtempSync(join(tmpdir(), 'oasis-blobs-'));
	afterAll(() => rmSync(root, { recursive: true, force: true }));
	const bytes = async function* (...parts: string[]) {
		for (const p of parts) yield Buffer.from(p);
	};

	it('puts, gets, tells and deletes blobs, leaving no partial files', async () => {
		const store = new FsBlobStore(join(root, 'store'));
		expect(await store.put('a.jsonl.gz', bytes('hello ', 'world'))).toEqual({ bytes: 11 });
		expect(await store.has('a.jsonl.gz')).toBe(true);
		const chunks: Buffer[] = [];
		for await (const c of store.get('a.jsonl.gz')) chunks.push(Buffer.from(c));
		expect(Buffer.concat(chunks).toString()).toBe('hello world');
		expect(readdirSync(store.root)).toEqual(['a.jsonl.gz']);
		await store.delete('a.jsonl.gz');
		expect(await store.has('a.jsonl.gz')).toBe(false);
		await expect(async () => {
			for await (const _ of store.get('a.jsonl.gz')) void _;
		}).rejects.toBeInstanceOf(BlobNotFoundError);
	});

	it('refuses keys that could leave its folder', async () => {
		const store = new FsBlobStore(root);
		for (const key of ['../x', 'a/b', '', '.hidden']) await expect(store.put(key, bytes('x'))).rejects.toThrow(RangeError);
	});
});
