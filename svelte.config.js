import adapter from '@sveltejs/adapter-node';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// precompress would brotli the large wasm/ML assets (minutes of build time for no gain on loopback).
		adapter: adapter({ out: 'build', precompress: false }),
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
