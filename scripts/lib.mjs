// Small helpers shared by the start, setup and test scripts. Node built-ins only: these run
// before `npm ci` has installed anything.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export const log = (...args) => console.error('[oasis]', ...args);

/** Run a command, inheriting stdio; resolves with its exit code. */
export function run(cmd, args, options = {}) {
	return new Promise((resolve) => {
		const child = spawn(cmd, args, { stdio: 'inherit', cwd: root, ...options });
		child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
		child.on('error', (error) => {
			log(`${cmd}: ${error.message}`);
			resolve(127);
		});
	});
}

export function runSync(cmd, args, options = {}) {
	return spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...options });
}

function hashFile(hash, path) {
	hash.update(relative(root, path));
	hash.update(readFileSync(path));
}

/** Content hash of files and folders (recursively), skipping node_modules and dot-folders. */
export function hashTree(paths) {
	const hash = createHash('sha256');
	const walk = (path) => {
		if (!existsSync(path)) return;
		const stat = statSync(path);
		if (stat.isDirectory()) {
			for (const name of readdirSync(path).sort()) {
				if (name === 'node_modules' || name.startsWith('.')) continue;
				walk(join(path, name));
			}
		} else if (stat.isFile()) hashFile(hash, path);
	};
	for (const p of paths) walk(join(root, p));
	return hash.digest('hex');
}

const depsStamp = join(root, 'node_modules', '.oasis-deps-hash');

/** `npm ci` when node_modules is missing or older than package-lock.json. */
export async function ensureDependencies() {
	const lock = join(root, 'package-lock.json');
	const want = hashTree(['package.json', 'package-lock.json']);
	if (existsSync(depsStamp) && readFileSync(depsStamp, 'utf8') === want) return;
	log(existsSync(join(root, 'node_modules')) ? 'Dependencies changed: installing…' : 'Installing dependencies (first run, a few minutes)…');
	// A fresh clone gets an exact `npm ci`; an existing node_modules is brought in line in place.
	const fresh = !existsSync(join(root, 'node_modules'));
	const code = await run('npm', fresh && existsSync(lock) ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund']);
	if (code !== 0) {
		log('npm could not install the dependencies (see above). Check the network access to the npm registry, then run the command again.');
		process.exit(code);
	}
	writeFileSync(depsStamp, want);
}

export const buildInputs = ['web', 'server', 'kernels', 'public', 'svelte.config.js', 'vite.config.ts', 'package-lock.json', 'tsconfig.json'];
const buildStamp = join(root, 'build', '.oasis-source-hash');

/** Build the app unless build/ was made from exactly the current sources. */
export async function ensureBuild({ force = false } = {}) {
	const want = hashTree(buildInputs);
	if (!force && existsSync(join(root, 'build', 'index.js')) && existsSync(buildStamp) && readFileSync(buildStamp, 'utf8') === want) {
		log('Build is up to date.');
		return;
	}
	log('Building the app…');
	const code = await run('npx', ['vite', 'build']);
	if (code !== 0) {
		log('The build failed (see above).');
		process.exit(code);
	}
	writeFileSync(buildStamp, want);
}

/** A free TCP port on the loopback interface. */
export function freePort() {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.once('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address();
			srv.close(() => resolve(port));
		});
	});
}

/**
 * Serves the build in `dir` (`node build/index.js`) on a free loopback port with a throwaway
 * SQLite database and the development login; pushes its stop and clean-up onto `cleanups`.
 * Resolves to the base URL once the API answers.
 */
export async function startBuiltServer(dir, cleanups, tag) {
	const port = await freePort();
	const data = mkdtempSync(join(tmpdir(), `oasis-${tag}-`));
	cleanups.push(async () => rmSync(data, { recursive: true, force: true }));
	const child = spawn(process.execPath, ['build/index.js'], {
		cwd: dir,
		env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(data, 'bench.db')}`, OASIS_DEV_LOGIN: '1' },
		stdio: ['ignore', 'ignore', 'inherit']
	});
	cleanups.push(
		() =>
			new Promise((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', resolve);
				child.kill('SIGTERM');
			})
	);
	const base = `http://127.0.0.1:${port}`;
	for (const t0 = Date.now(); Date.now() - t0 < 60_000; await new Promise((r) => setTimeout(r, 250))) {
		if (child.exitCode !== null) throw new Error(`the server exited with code ${child.exitCode}`);
		if (await fetch(`${base}/api/trpc/system.health`).then((r) => r.ok, () => false)) return base;
	}
	throw new Error('the server did not answer within 60 s');
}
