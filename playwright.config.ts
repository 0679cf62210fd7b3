import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumLaunchOptions } from './tests/chromium';

const port = Number(process.env.E2E_PORT ?? 4173);
// Every run serves the built app on a fresh database.
const dataDir = mkdtempSync(join(tmpdir(), 'oasis-e2e-'));

export default defineConfig({
	testDir: 'tests/e2e',
	timeout: 60_000,
	expect: { timeout: 15_000 },
	fullyParallel: false,
	workers: 1,
	retries: 0,
	reporter: [['list'], ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? '.test-output/e2e.json' }]],
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		browserName: 'chromium',
		headless: true,
		launchOptions: chromiumLaunchOptions
	},
	webServer: {
		command: 'node scripts/serve.mjs build',
		url: `http://127.0.0.1:${port}/api/trpc/system.health`,
		reuseExistingServer: false,
		timeout: 60_000,
		stdout: 'ignore',
		stderr: 'pipe',
		env: {
			PORT: String(port),
			HOST: '127.0.0.1',
			DATABASE_URL: `sqlite:${join(dataDir, 'e2e.db')}`,
			OASIS_DEV_LOGIN: '1'
		}
	}
});
