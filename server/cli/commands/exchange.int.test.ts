import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = new URL('../../../', import.meta.url).pathname;
const EN_100 = join(ROOT, '../shared/data/oasst/en_100_tree.jsonl');
const dir = mkdtempSync(join(tmpdir(), 'oasis-cli-exchange-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `node bin/oasis.js …` against a temporary SQLite database; never throws on exit codes. */
async function oasis(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	const env = { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'oasis.db')}`, OASIS_SNAPSHOT_DIR: join(dir, 'snapshots') };
	try {
		const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin/oasis.js'), ...args], { env, cwd: dir, maxBuffer: 64 << 20 });
		return { code: 0, stdout, stderr };
	} catch (error) {
		const e = error as { code: number; stdout: string; stderr: string };
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
}

const byTree = (text: string) => new Map(text.trim().split('\n').map((l) => [JSON.parse(l).message_tree_id as string, JSON.parse(l)]));

describe('oasis import / export / snapshot (CLI, SQLite)', () => {
	it('imports en_100_tree.jsonl and exports --everything to stdout: the same 100 trees', async () => {
		const imported = await oasis('import', EN_100);
		expect(imported.code, imported.stderr).toBe(0);
		expect(JSON.parse(imported.stdout)).toMatchObject({ imported: 1167, skipped: 0, orphans: [], trees: 100 });
		expect(JSON.parse(imported.stdout).messages_per_second).toBeGreaterThan(0);

		const exported = await oasis('export', '--format', 'trees', '--everything');
		expect(exported.code, exported.stderr).toBe(0);
		expect(byTree(exported.stdout)).toEqual(byTree(readFileSync(EN_100, 'utf8')));
	});

	it('writes gzip with --out, saves and reads a snapshot, and explains a usage mistake', async () => {
		const out = join(dir, 'ready.jsonl.gz');
		const summary = await oasis('export', '--out', out, '--include-synthetic');
		expect(summary.code, summary.stderr).toBe(0);
		expect(JSON.parse(summary.stdout)).toMatchObject({ out, format: 'trees', trees: 100, messages: 1167 });
		const file = gunzipSync(readFileSync(out)).toString('utf8');

		const created = await oasis('snapshot', 'create', '--include-synthetic');
		expect(created.code, created.stderr).toBe(0);
		const snapshot = JSON.parse(created.stdout);
		expect(snapshot).toMatchObject({ tree_count: 100, message_count: 1167, byte_size: Buffer.byteLength(file) });
		expect(snapshot.content_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
		const content = await oasis('snapshot', 'get', snapshot.id);
		expect(content.stdout).toBe(file);

		const bad = await oasis('export', '--state', 'nope');
		expect(bad.code).toBe(2);
		expect(bad.stderr).toContain('--state: expected a tree state');
	});
});
