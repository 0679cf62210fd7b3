import { defineConfig } from 'vitest/config';

/**
 * Three Vitest projects, one per kind of test:
 * - unit: pure logic (server domain rules, web libraries), no database, no GPU;
 * - integration: *.int.test.ts against real databases (SQLite always, PostgreSQL when
 *   TEST_POSTGRES_URL is set — scripts/test.mjs starts a throwaway server and sets it);
 * - kernels: WGSL kernels on a real WebGPU adapter in Node (npm `webgpu`, Dawn on lavapipe).
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
			}
		]
	}
});
