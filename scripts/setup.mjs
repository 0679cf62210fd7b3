// Installs what the tests need, idempotently, and fast when everything is already there:
// npm packages; Debian's chromium; Mesa 25 lavapipe (bookworm-backports) for WebGPU in Node;
// Debian's postgresql server. Run by `npm test`; also `npm run setup` on its own.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { ensureDependencies, log, run, runSync } from './lib.mjs';

const BACKPORTS = '/etc/apt/sources.list.d/oasis-backports.sources';

function mesaVersion() {
	const r = runSync('dpkg-query', ['-W', '-f=${Version}', 'mesa-vulkan-drivers']);
	if (r.status !== 0) return 0;
	return Number.parseInt(r.stdout.split(/[.:-]/)[0] ?? '0', 10) || 0;
}

export function hasLavapipe() {
	const dir = '/usr/share/vulkan/icd.d';
	return mesaVersion() >= 24 && existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('lvp_icd'));
}

export function postgresBin() {
	const base = '/usr/lib/postgresql';
	if (!existsSync(base)) return null;
	const versions = readdirSync(base).filter((v) => existsSync(`${base}/${v}/bin/postgres`)).sort((a, b) => Number(b) - Number(a));
	return versions.length ? `${base}/${versions[0]}/bin` : null;
}

async function apt(args) {
	const code = await run('apt-get', args, { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
	if (code !== 0) throw new Error(`apt-get ${args.join(' ')} failed with exit code ${code}`);
}

export async function ensureSystemPackages() {
	const wantChromium = !existsSync('/usr/bin/chromium');
	const wantPostgres = !postgresBin();
	const wantLavapipe = !hasLavapipe();
	if (!wantChromium && !wantPostgres && !wantLavapipe) return;
	if (process.getuid?.() !== 0) {
		throw new Error('System packages are missing (chromium, postgresql or Mesa 25 lavapipe) and installing them needs root: run "sudo npm run setup" once.');
	}
	if (wantLavapipe && !existsSync(BACKPORTS)) {
		const codename = runSync('sh', ['-c', '. /etc/os-release && echo $VERSION_CODENAME']).stdout.trim() || 'bookworm';
		writeFileSync(
			BACKPORTS,
			`Types: deb\nURIs: http://deb.debian.org/debian\nSuites: ${codename}-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`
		);
	}
	log(`Installing system packages:${wantChromium ? ' chromium' : ''}${wantPostgres ? ' postgresql' : ''}${wantLavapipe ? ' mesa-vulkan-drivers (backports)' : ''}…`);
	await apt(['update', '-qq']);
	const base = [];
	if (wantChromium) base.push('chromium', 'fonts-liberation');
	if (wantPostgres) base.push('postgresql');
	if (base.length) await apt(['install', '-y', '-qq', '--no-install-recommends', ...base]);
	if (wantLavapipe) {
		const codename = runSync('sh', ['-c', '. /etc/os-release && echo $VERSION_CODENAME']).stdout.trim() || 'bookworm';
		await apt(['install', '-y', '-qq', '--no-install-recommends', '-t', `${codename}-backports`, 'mesa-vulkan-drivers', 'libvulkan1']);
	}
}

export async function setup() {
	await ensureDependencies();
	await ensureSystemPackages();
}

if (import.meta.url === `file://${process.argv[1]}`) {
	await setup();
	log('Setup complete.');
}
