// A throwaway PostgreSQL server for the integration tests: a temporary data directory, a free
// loopback port, run as an unprivileged user (PostgreSQL refuses root), stopped afterwards.
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, log, runSync } from './lib.mjs';
import { postgresBin } from './setup.mjs';

export { freePort };

function userIds(name) {
	const r = runSync('id', ['-u', name]);
	if (r.status !== 0) return null;
	return { uid: Number(r.stdout.trim()), gid: Number(runSync('id', ['-g', name]).stdout.trim()) };
}

/** Starts PostgreSQL; returns { url, stop() }. */
export async function startPostgres() {
	const bin = postgresBin();
	if (!bin) throw new Error('PostgreSQL is not installed: run "npm run setup" (it installs Debian\'s postgresql).');
	const asRoot = process.getuid?.() === 0;
	const owner = asRoot ? userIds('postgres') : null;
	if (asRoot && !owner) throw new Error('No "postgres" system user to run PostgreSQL as (it comes with Debian\'s postgresql package).');
	const dir = mkdtempSync(join(tmpdir(), 'oasis-pg-'));
	chmodSync(dir, 0o755);
	if (owner) chownSync(dir, owner.uid, owner.gid);
	const as = (cmd, args) => (owner ? runSync('runuser', ['-u', 'postgres', '--', cmd, ...args]) : runSync(cmd, args));
	const data = join(dir, 'data');
	const init = as(`${bin}/initdb`, ['-D', data, '-A', 'trust', '-U', 'oasis', '-E', 'UTF8', '--no-sync']);
	if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
	const port = await freePort();
	const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
	const started = as(`${bin}/pg_ctl`, ['-D', data, '-o', opts, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
	if (started.status !== 0) throw new Error(`PostgreSQL did not start: ${started.stderr || started.stdout}`);
	log(`PostgreSQL ${bin.split('/').at(-2)} running on 127.0.0.1:${port} (data in ${dir}).`);
	return {
		url: `postgres://oasis@127.0.0.1:${port}/postgres`,
		stop() {
			as(`${bin}/pg_ctl`, ['-D', data, '-m', 'immediate', '-w', 'stop']);
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
