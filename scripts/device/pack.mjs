#!/usr/bin/env node
/**
 * `npm run device:pack [-- --out DIR]`: writes `.device-pack/` (git-ignored), everything a device
 * machine (x86-64 Linux with an NVIDIA GPU, no Node.js, no network) needs beyond the working tree
 * to run scripts/device/run.sh:
 *
 * - node.xz — this machine's Node binary (stripped when `strip` exists), xz -9;
 * - dawn.node.xz — the npm `webgpu` package's native Dawn addon for linux-x64;
 * - debs/*.deb — the Vulkan loader and GL/EGL dispatch libraries (amd64), unpacked only where the
 *   device has no libvulkan.so.1;
 * - bundles/*.mjs.xz — esbuild bundles (ESM, node20) of kernels/bench/kernels.bench.ts,
 *   kernels/bench/generate.bench.ts and scripts/device/smoke.ts with every dependency inlined;
 *   the `webgpu` package's loader is rewritten to load dawn.node from $OASIS_DAWN_NODE;
 * - manifest.json — versions, sizes and SHA-256 of each file.
 *
 * The bundles are kept compressed so no plain .mjs in the folder is linted or imported by mistake.
 * Needs: xz, apt-get (network to the Debian mirror) and node_modules (esbuild, webgpu). Prints the
 * pack's size and the size of what a `run` call sends (working tree + pack), which must stay under
 * 64 MiB.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 2 ** 20;
/** What a device `run` call may send in all (working tree + carried paths). */
const SEND_LIMIT = 64 * MiB;
/** The Vulkan loader first; the rest are the GL/EGL dispatch libraries the device README brings. */
const DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];
const BUNDLES = {
	'kernels.bench': 'kernels/bench/kernels.bench.ts',
	'generate.bench': 'kernels/bench/generate.bench.ts',
	smoke: 'scripts/device/smoke.ts'
};

/** Stops the pack with a message that says what to do. */
function fail(message) {
	process.stderr.write(`device:pack: ${message}\n`);
	process.exit(1);
}

function sha256(path) {
	return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function has(tool) {
	return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** xz -9 `src` into `dst` (multi-threaded: same output format, any xz unpacks it). */
function xz(src, dst) {
	const r = spawnSync('sh', ['-c', 'xz -9 -T0 -c -- "$1" > "$2"', 'xz', src, dst], { stdio: ['ignore', 'inherit', 'inherit'] });
	if (r.status !== 0) fail(`xz failed on ${src}`);
}

/** The `webgpu` package's entry, with dawn.node's path taken from $OASIS_DAWN_NODE. */
function webgpuLoaderPlugin() {
	return {
		name: 'dawn-from-env',
		setup(b) {
			b.onLoad({ filter: /[\\/]node_modules[\\/]webgpu[\\/]index\.js$/ }, (args) => {
				const src = readFileSync(args.path, 'utf8');
				const pattern = /const dawnNodePath = [^;]+;/;
				if (!pattern.test(src)) fail(`${args.path} no longer sets "const dawnNodePath = …;": update webgpuLoaderPlugin in scripts/device/pack.mjs`);
				const env = `const dawnNodePath = process.env.OASIS_DAWN_NODE || (() => { throw new Error('OASIS_DAWN_NODE must name the unpacked dawn.node (scripts/device/run.sh sets it)'); })();`;
				return { contents: src.replace(pattern, env), loader: 'js' };
			});
		}
	};
}

/** Size in bytes of what a run call sends besides the pack: tracked and untracked-not-ignored files. */
function workingTreeBytes() {
	const list = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * MiB });
	let total = 0;
	for (const f of list.toString('utf8').split('\0')) {
		if (!f) continue;
		try {
			total += statSync(join(ROOT, f)).size;
		} catch {
			// listed but deleted in the working tree: it does not travel
		}
	}
	return total;
}

function folderBytes(dir) {
	let total = 0;
	for (const e of readdirSync(dir, { withFileTypes: true })) {
		const p = join(dir, e.name);
		total += e.isDirectory() ? folderBytes(p) : statSync(p).size;
	}
	return total;
}

async function main() {
	const { values } = parseArgs({ options: { out: { type: 'string', default: '.device-pack' }, help: { type: 'boolean', default: false } }, strict: true });
	if (values.help) {
		process.stdout.write('Usage: npm run device:pack [-- --out DIR]   (see scripts/device/README.md)\n');
		return;
	}
	if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the device machines are x86-64 Linux; this is ${process.platform}-${process.arch}, whose Node and dawn.node would not run there`);
	for (const tool of ['xz', 'apt-get']) if (!has(tool)) fail(`needs "${tool}" on the PATH (apt-get install xz-utils / a Debian or Ubuntu machine)`);
	const out = resolve(ROOT, values.out);
	if (out === ROOT || !out.startsWith(ROOT + '/')) fail(`--out must be a folder inside the repository (got ${values.out})`);
	const rel = relative(ROOT, out);
	if (spawnSync('git', ['check-ignore', '-q', rel + '/'], { cwd: ROOT }).status !== 0) {
		process.stderr.write(`device:pack: warning: ${rel}/ is not git-ignored, so it would travel (and count) twice; add /${rel}/ to .gitignore\n`);
	}
	rmSync(out, { recursive: true, force: true });
	mkdirSync(join(out, 'debs'), { recursive: true });
	mkdirSync(join(out, 'bundles'), { recursive: true });
	const tmp = mkdtempSync(join(tmpdir(), 'oasis-device-pack-'));
	const log = (s) => process.stdout.write(s + '\n');
	try {
		// 1. Node, stripped of its debug info (86 of 99 MB) where `strip` exists.
		let node = process.execPath;
		if (has('strip')) {
			const stripped = join(tmp, 'node');
			execFileSync('strip', ['-o', stripped, process.execPath]);
			const v = spawnSync(stripped, ['--version'], { encoding: 'utf8' });
			if (v.status === 0 && v.stdout.trim() === process.version) node = stripped;
			else log('  strip gave a node that does not run; packing it unstripped');
		}
		log(`node ${process.version} (${(statSync(node).size / MiB).toFixed(1)} MiB) → node.xz (xz -9, about a minute on 2 cores)`);
		xz(node, join(out, 'node.xz'));

		// 2. dawn.node, where the webgpu package's own loader looks for it.
		const webgpuDir = dirname(fileURLToPath(import.meta.resolve('webgpu')));
		const dawn = join(webgpuDir, 'dist', 'linux-x64', 'dawn.node');
		if (!existsSync(dawn)) fail(`${dawn} is missing: run "npm ci" so the webgpu package brings its linux-x64 addon`);
		const webgpuVersion = JSON.parse(readFileSync(join(webgpuDir, 'package.json'), 'utf8')).version;
		log(`webgpu ${webgpuVersion} dawn.node (${(statSync(dawn).size / MiB).toFixed(1)} MiB) → dawn.node.xz`);
		xz(dawn, join(out, 'dawn.node.xz'));

		// 3. The Vulkan loader and GL dispatch debs, amd64, with their own apt lists (the system's stay untouched).
		log(`apt-get download ${DEBS.join(' ')} (amd64)`);
		const lists = join(tmp, 'apt-lists');
		mkdirSync(join(lists, 'partial'), { recursive: true });
		const apt = ['-q', '-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`, '-oDebug::NoLocking=1'];
		const update = spawnSync('apt-get', [...apt, 'update'], { encoding: 'utf8' });
		if (update.status !== 0) fail(`apt-get update failed (is the Debian/Ubuntu mirror reachable?):\n${update.stderr}`);
		const dl = spawnSync('apt-get', [...apt, 'download', ...DEBS], { cwd: join(out, 'debs'), encoding: 'utf8' });
		if (dl.status !== 0) fail(`apt-get download failed:\n${dl.stderr}`);
		const debs = readdirSync(join(out, 'debs')).filter((f) => f.endsWith('.deb'));
		for (const name of DEBS) if (!debs.some((f) => f.startsWith(name + '_'))) fail(`apt-get download gave no ${name}_*.deb`);

		// 4. Bundles: every dependency inlined; only dawn.node stays outside (loaded from $OASIS_DAWN_NODE).
		const bundleDir = join(tmp, 'bundles');
		const result = await build({
			absWorkingDir: ROOT,
			entryPoints: Object.fromEntries(Object.entries(BUNDLES).map(([k, v]) => [k, join(ROOT, v)])),
			outdir: bundleDir,
			outExtension: { '.js': '.mjs' },
			bundle: true,
			platform: 'node',
			format: 'esm',
			target: 'node20',
			logLevel: 'warning',
			legalComments: 'none',
			metafile: true,
			// CommonJS dependencies call require() for Node built-ins: give the ESM bundle one.
			banner: { js: "import { createRequire as __oasisCreateRequire } from 'node:module'; const require = __oasisCreateRequire(import.meta.url);" },
			plugins: [webgpuLoaderPlugin()]
		});
		const builtins = new Set(builtinModules);
		for (const [file, o] of Object.entries(result.metafile.outputs)) {
			const left = o.imports.filter((i) => i.external && !i.path.startsWith('node:') && !builtins.has(i.path));
			if (left.length) fail(`${file} still imports ${left.map((i) => i.path).join(', ')} at run time, which the device does not have: bundle it`);
		}
		for (const name of Object.keys(BUNDLES)) {
			const f = join(bundleDir, `${name}.mjs`);
			const text = readFileSync(f, 'utf8');
			log(`bundle ${BUNDLES[name]} → bundles/${name}.mjs.xz (${(text.length / MiB).toFixed(2)} MiB raw)`);
			xz(f, join(out, 'bundles', `${name}.mjs.xz`));
		}

		// 5. Manifest and sizes.
		const files = {};
		const walk = (dir) => {
			for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
				const p = join(dir, e.name);
				if (e.isDirectory()) walk(p);
				else files[relative(out, p)] = { bytes: statSync(p).size, sha256: sha256(p) };
			}
		};
		walk(out);
		const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
		writeFileSync(
			join(out, 'manifest.json'),
			JSON.stringify({ createdAt: new Date().toISOString(), gitHead: head, node: process.version, nodeStripped: node !== process.execPath, webgpu: webgpuVersion, bundles: BUNDLES, files }, null, '\t') + '\n'
		);
		const pack = folderBytes(out);
		const tree = workingTreeBytes();
		log(`\n${rel}/: ${(pack / MiB).toFixed(1)} MiB (${Object.keys(files).length + 1} files)`);
		for (const [f, { bytes }] of Object.entries(files)) log(`  ${f.padEnd(40)} ${(bytes / MiB).toFixed(2).padStart(6)} MiB`);
		log(`working tree that travels: ${(tree / MiB).toFixed(1)} MiB; a run call with carry ["${rel}"] sends ${((pack + tree) / MiB).toFixed(1)} of ${SEND_LIMIT / MiB} MiB`);
		if (pack + tree > SEND_LIMIT) fail(`that is over the device's ${SEND_LIMIT / MiB} MiB limit: remove large untracked files from the working tree`);
		log(`\nNext: the device run call in scripts/device/README.md (command "bash scripts/device/run.sh", carry ["${rel}"]).`);
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
}

await main();
