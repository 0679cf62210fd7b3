import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumLaunchOptions } from './tests/chromium';

/**
 * Three Vitest projects, one per kind of test:
 * - unit: pure logic (server domain rules, web libraries), no database, no GPU;
 * - integration: *.int.test.ts against real databases (SQLite always, PostgreSQL when
 *   TEST_POSTGRES_URL is set — scripts/test.mjs starts a throwaway server and sets it);
 * - kernels: WGSL kernels on a real WebGPU adapter in Node (npm `webgpu`, Dawn on lavapipe);
 * - kernels-browser: the same kernel tests in headless Debian Chromium (SwiftShader: f32 only).
 */
export default defineConfig({
	test: {
		projects: [
			{
				test: {
					name: 'unit',
					environment: 'node',
					include: ['server/**/*.test.ts', 'web/**/*.test.ts', 'scripts/**/*.test.ts'],
					exclude: ['**/*.int.test.ts', '**/node_modules/**'],
					alias: { $lib: new URL('./web/lib', import.meta.url).pathname }
				}
			},
			{
				test: {
					name: 'integration',
					environment: 'node',
					include: ['server/**/*.int.test.ts', 'web/**/*.int.test.ts'],
					testTimeout: 60_000,
					hookTimeout: 60_000,
					fileParallelism: false,
					alias: { $lib: new URL('./web/lib', import.meta.url).pathname }
				}
			},
			{
				test: {
					name: 'kernels',
					environment: 'node',
					include: ['kernels/**/*.test.ts'],
					testTimeout: 120_000,
					hookTimeout: 60_000,
					fileParallelism: false
				}
			},
			{
				// Pre-bundled up front: Vite would otherwise reload the page mid-run to optimise them.
				optimizeDeps: { include: ['zod', '@huggingface/jinja', '@huggingface/tokenizers'] },
				test: {
					name: 'kernels-browser',
					include: ['kernels/**/*.test.ts'],
					exclude: ['kernels/**/*.node.test.ts', '**/node_modules/**'],
					testTimeout: 240_000,
					hookTimeout: 120_000,
					fileParallelism: false,
					browser: {
						enabled: true,
						headless: true,
						screenshotFailures: false,
						provider: playwright({ launchOptions: chromiumLaunchOptions }),
						instances: [{ browser: 'chromium' }]
					}
				}
			}
		]
	}
});
