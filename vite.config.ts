import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vite';

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
				globIgnores: ['**/ml-*.js', '**/models/**', '**/*.wasm'],
				maximumFileSizeToCacheInBytes: 512 * 1024,
				navigateFallback: '/',
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
	server: { fs: { allow: ['kernels', 'server'] } }
});
