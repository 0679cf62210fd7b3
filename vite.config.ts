import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vite';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Sources whose chunks hold ML code (our kernels, and later the inference engines). They load
 * lazily and are cached at run time on first use, never precached: the shell stays small.
 */
const ML_SOURCES = [/^kernels\//, /^web\/lib\/(device|engine|train)\//, /node_modules\/@(huggingface|mlc-ai)\//];

/**
 * The precache list: what workbox found under build output, less the ML chunks, with URLs as
 * the server serves them. (Giving workbox a transform replaces @vite-pwa/sveltekit's own, so
 * this also maps `client/x` to `x` and prerendered `a/b.html` to the route `a/b`.)
 */
function precacheEntries<T extends { url: string }>(entries: T[]): { manifest: T[]; warnings: string[] } {
	const path = '.svelte-kit/output/client/.vite/manifest.json';
	const manifest: Record<string, { file: string }> = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
	const ml = new Set(Object.entries(manifest).filter(([src]) => ML_SOURCES.some((re) => re.test(src))).map(([, chunk]) => chunk.file));
	const out: T[] = [];
	for (const entry of entries) {
		let url = entry.url.replace(/^client\//, '').replace(/^prerendered\/(pages\/|dependencies\/)?/, '');
		// Web workers host the inference engines (kernels, tokenizers): runtime-cached on first use.
		if (ml.has(url) || url.startsWith('_app/immutable/workers/') || url === 'app.webmanifest') continue; // the plugin adds the manifest itself
		if (url.endsWith('.html')) url = url === 'index.html' ? '/' : url.replace(/(\/index)?\.html$/, '');
		out.push({ ...entry, url });
	}
	return { manifest: out, warnings: existsSync(path) ? [] : ['no Vite manifest: ML chunks may be precached'] };
}

export default defineConfig({
	plugins: [
		sveltekit(),
		SvelteKitPWA({
			// The page registers the worker itself (web/lib/pwa/register.ts, workbox-window) so it can
			// offer "a new version is ready — reload" instead of swapping code under the user's feet.
			injectRegister: false,
			registerType: 'prompt',
			strategies: 'generateSW',
			srcDir: 'web',
			kit: { assets: 'public', spa: true },
			// @vite-pwa/sveltekit drops a file named manifest.webmanifest from the precache.
			manifestFilename: 'app.webmanifest',
			manifest: {
				name: 'Oasis — open assistant, in your browser',
				short_name: 'Oasis',
				description: 'Write, label and rank conversations for an open assistant, chat with it on your own device, and lend your GPU to train it.',
				theme_color: '#0f766e',
				background_color: '#f8fafc',
				display: 'standalone',
				start_url: '/',
				scope: '/',
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
					{ src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' }
				]
			},
			workbox: {
				// First install: take control of the open page at once. Updates wait for the user's "reload".
				clientsClaim: true,
				skipWaiting: false,
				// The shell and small assets are precached; ML code (lazy chunks), models and wasm are not.
				globPatterns: ['client/**/*.{js,css,html,ico,png,svg,webmanifest}', 'prerendered/**/*.html'],
				// Worker chunks (the engines, web-llm's 6 MB among them) are cached at run time, never precached.
				globIgnores: ['**/models/**', '**/*.wasm', '**/_app/immutable/workers/**'],
				manifestTransforms: [async (entries) => precacheEntries(entries)],
				maximumFileSizeToCacheInBytes: 512 * 1024,
				navigateFallback: '/',
				// `/tasks/rank_assistant_replies?task=…` is the precached page `/tasks/rank_assistant_replies`:
				// query strings carry app state, never a different document.
				ignoreURLParametersMatching: [/.*/],
				navigateFallbackDenylist: [/^\/api\//],
				runtimeCaching: [
					{
						// Lazily loaded chunks are content-hashed: cache them the first time they are used.
						urlPattern: ({ url }) => url.pathname.startsWith('/_app/immutable/'),
						handler: 'CacheFirst',
						options: { cacheName: 'oasis-immutable', expiration: { maxEntries: 300 } }
					}
				]
			}
		})
	],
	build: {
		target: 'es2022',
		chunkSizeWarningLimit: 1024
	},
	// Module workers, so the engine worker's dynamic imports (Transformers.js, WebLLM) stay
	// separate chunks loaded on first use instead of being inlined into the worker.
	worker: { format: 'es' },
	server: { fs: { allow: ['kernels', 'server'] } }
});
