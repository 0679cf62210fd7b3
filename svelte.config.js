import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';

/** Text assets worth compressing, up to a size where brotli stays quick (the 27 MB wasm and WebLLM's 6 MB chunk are served as they are). */
const COMPRESSIBLE = /\.(html|js|mjs|css|json|svg|webmanifest)$/;
const MAX_COMPRESS_BYTES = 2 << 20;

/** Writes `.gz` and `.br` beside every compressible file under `dir`, for sirv to serve. */
async function compressSmallAssets(dir) {
	if (!existsSync(dir)) return;
	const files = [];
	const walk = (d) => {
		for (const e of readdirSync(d, { withFileTypes: true })) {
			const p = join(d, e.name);
			if (e.isDirectory()) walk(p);
			else if (COMPRESSIBLE.test(e.name) && statSync(p).size <= MAX_COMPRESS_BYTES) files.push(p);
		}
	};
	walk(dir);
	await Promise.all(
		files.flatMap((f) => [
			pipeline(createReadStream(f), createGzip({ level: 9 }), createWriteStream(`${f}.gz`)),
			pipeline(createReadStream(f), createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }), createWriteStream(`${f}.br`))
		])
	);
}

/**
 * adapter-node with precompression limited to small text assets: its own `precompress` would
 * brotli the 27 MB onnxruntime wasm too (about a minute of build for a file fetched once).
 */
function nodeAdapter() {
	const base = adapter({ out: 'build', precompress: true });
	return {
		...base,
		adapt(builder) {
			return base.adapt(Object.assign(Object.create(builder), { compress: compressSmallAssets }));
		}
	};
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		adapter: nodeAdapter(),
		files: {
			src: 'web',
			assets: 'public',
			lib: 'web/lib',
			routes: 'web/routes',
			appTemplate: 'web/app.html',
			hooks: { server: 'web/hooks.server', client: 'web/hooks.client', universal: 'web/hooks' },
			serviceWorker: 'web/service-worker'
		},
		serviceWorker: { register: false },
		// Absolute asset URLs: the service worker's fallback document works at any depth.
		paths: { relative: false },
		typescript: {
			config(tsconfig) {
				tsconfig.include.push(
					'../server/**/*.ts',
					'../kernels/**/*.ts',
					'../scripts/**/*.ts',
					'../tests/**/*.ts',
					'../*.config.ts'
				);
				tsconfig.compilerOptions.types = ['vite-plugin-pwa/client', '@webgpu/types', 'node'];
				return tsconfig;
			}
		}
	}
};

export default config;
