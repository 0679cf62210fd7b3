import { expect, test, type Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../kernels/models/index';
import type { GgufWriteValue } from '../../kernels/models/gguf-write';
import { folderSource } from '../../kernels/models/source-node';
import { readF32 } from '../../kernels/models/tensors';
import { fixtureGguf, type Fixture } from '../../kernels/models/testing/fixtures';
import { expectNoHorizontalScroll, expectNoSeriousA11yViolations } from './helpers';

// "Use a model from this device": the bundled tiny model written as one f32 .gguf (its weights read
// by our loader, its BPE tokenizer as tokenizer.ggml.* metadata), picked on the Models page,
// checked and copied into the model store, chosen in the chat, answering, still listed after a
// reload, and removed; a truncated copy is refused with the loader's own words.

const TINY = 'public/models/oasis-tiny';
const NAME = 'Tiny from a GGUF file';
let dir: string;
let ggufPath: string;
let halfPath: string;
let modelId: string;

async function tinyGguf(): Promise<Uint8Array> {
	const files = await openModel(folderSource(TINY));
	const weights: Fixture['weights'] = new Map();
	for (const [name, t] of files.index.tensors) weights.set(name, { shape: t.shape, data: await readF32(files.source, t) });
	const config = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as Record<string, unknown>;
	const tj = JSON.parse(readFileSync(join(TINY, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: string[] }; added_tokens: { id: number }[] };
	const tc = JSON.parse(readFileSync(join(TINY, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
	const tokens = Object.entries(tj.model.vocab).sort((a, b) => a[1] - b[1]).map(([t]) => t);
	const special = new Set(tj.added_tokens.map((t) => t.id));
	const md: Record<string, GgufWriteValue> = {
		'general.name': { type: 'string', value: NAME },
		'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
		'tokenizer.ggml.tokens': { type: 'array', of: 'string', value: tokens },
		'tokenizer.ggml.token_type': { type: 'array', of: 'i32', value: tokens.map((_, i) => (special.has(i) ? 3 : 1)) },
		'tokenizer.ggml.merges': { type: 'array', of: 'string', value: tj.model.merges },
		'tokenizer.ggml.bos_token_id': { type: 'u32', value: config.bos_token_id as number },
		'tokenizer.ggml.eos_token_id': { type: 'u32', value: config.eos_token_id as number },
		...(tc.chat_template ? { 'tokenizer.chat_template': { type: 'string', value: tc.chat_template } as GgufWriteValue } : {})
	};
	// F32 matrices (GGML type 0): SwiftShader's WebGPU has no shader-f16.
	return fixtureGguf({ config, weights }, { tokenizer: md, matrixType: 0, encode: (d) => new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)) });
}

test.beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'oasis-local-'));
	const bytes = await tinyGguf();
	ggufPath = join(dir, 'tiny.gguf');
	halfPath = join(dir, 'half.gguf');
	writeFileSync(ggufPath, bytes);
	writeFileSync(halfPath, bytes.subarray(0, bytes.byteLength >> 1));
	modelId = `local.${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
});
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.use({ viewport: { width: 360, height: 800 } });

const assistant = (page: Page) => page.locator('[data-testid=message][data-role=assistant]');

test('a .gguf from this device: checked, stored, chatted with, kept after a reload, removed; a broken one refused', async ({ page }) => {
	test.setTimeout(60_000);
	page.on('dialog', (d) => void d.accept());
	await page.goto('/models');
	const section = page.getByTestId('local-models');
	await expect(section.getByRole('heading', { name: 'Use a model from this device' })).toBeVisible();
	const input = section.getByLabel('Model files');
	await expect(input).toBeEnabled();

	// A truncated file: the loader's message, in an alert; nothing stored, the page still works.
	await input.setInputFiles(halfPath);
	await expect(section.getByRole('alert')).toContainText(/These files cannot be used as a model: half\.gguf: .*(truncated|bytes)/);
	await expect(section.getByTestId('local-model')).toHaveCount(0);

	await input.setInputFiles(ggufPath);
	await expect(section.getByRole('status')).toHaveText(`${NAME} was added. Pick it in the chat.`);
	await expect(section.getByRole('alert')).toHaveCount(0);
	const row = section.locator(`[data-testid=local-model][data-model="${modelId}"]`);
	await expect(row).toContainText(NAME);
	await expect(row).toContainText(/3\.\d MB/);
	// The same file again: one entry.
	await input.setInputFiles(ggufPath);
	await expect(section.getByRole('status')).toHaveText(`${NAME} is already on this device.`);
	await expect(section.getByTestId('local-model')).toHaveCount(1);
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);

	// The chat offers it with the downloaded models, loads it from the store and answers.
	await page.goto('/chat');
	await page.getByRole('button', { name: 'New chat' }).click();
	const picker = page.getByLabel('Model', { exact: true });
	await expect(picker.locator('optgroup[label="From this device"] option')).toHaveText([NAME]);
	await picker.selectOption({ label: NAME });
	await expect(page.getByTestId('engine-status')).toContainText(`Model ready: ${modelId}`, { timeout: 30_000 });
	const field = page.getByLabel('Max reply length (tokens)');
	if (!(await field.isVisible())) await page.getByText('Chat settings').click();
	await field.fill('8');
	await field.blur();
	await page.getByLabel('Message', { exact: true }).fill('Hello from a GGUF file!');
	await page.getByRole('button', { name: 'Send' }).click();
	const reply = assistant(page).first();
	await expect(reply).toHaveAttribute('data-state', /complete|length/, { timeout: 30_000 });
	expect(Number(await reply.getAttribute('data-chars'))).toBeGreaterThan(0);
	await expectNoHorizontalScroll(page);
	// The chat keeps its model: after a reload the picker (filled from the store) shows it again.
	await page.reload();
	await expect(picker).toHaveValue(modelId);

	// Stored: a reload still lists it; Delete removes its files.
	await page.goto('/models');
	await page.reload();
	await expect(row).toContainText(NAME);
	await row.getByRole('button', { name: `Delete ${NAME}` }).click();
	await expect(section.getByTestId('local-model')).toHaveCount(0);
	await expect(section.getByRole('status')).toHaveText(`${NAME} was deleted from this device.`);
});

test('German: the section, its label and its refusal are worded in German', async ({ page }) => {
	await page.addInitScript(() => localStorage.setItem('oasis.locale', 'de'));
	await page.goto('/models');
	await expect(page.locator('html')).toHaveAttribute('lang', 'de');
	const section = page.getByTestId('local-models');
	await expect(section.getByRole('heading', { name: 'Ein Modell von diesem Gerät verwenden' })).toBeVisible();
	const input = section.getByLabel('Modelldateien');
	await expect(input).toBeEnabled();
	await input.setInputFiles([ggufPath, halfPath]);
	await expect(section.getByRole('alert')).toHaveText(
		'Du hast 2 .gguf-Dateien gewählt. Wähl jeweils nur eine .gguf-Datei oder alle Teile eines geteilten Modells (name-00001-of-00003.gguf …).'
	);
	await expect(page.getByText('Use a model from this device')).toHaveCount(0);
	await expectNoHorizontalScroll(page);
	await expectNoSeriousA11yViolations(page);
});
