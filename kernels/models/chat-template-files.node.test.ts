/**
 * Chat templates saved beside the tokenizer (transformers' `chat_template.jinja`, older
 * `chat_template.json`) are used when tokenizer_config.json has none, and render exactly as the
 * same template inside tokenizer_config.json does.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModel } from './model-files.js';
import { folderSource } from './source-node.js';

const TINY = 'public/models/oasis-tiny';
const CHAT = [
	{ role: 'system', content: 'Be brief.' },
	{ role: 'user', content: 'Hello! What can you do?' }
] as const;

let dir: string;
let template: string;
let config: Record<string, unknown>;
beforeAll(async () => {
	dir = await mkdtemp(join(tmpdir(), 'oasis-chat-template-'));
	config = JSON.parse(await readFile(join(TINY, 'tokenizer_config.json'), 'utf8'));
	template = config.chat_template as string;
});
afterAll(async () => {
	await rm(dir, { recursive: true, force: true });
});

/** The tiny model with its tokenizer_config.json's template moved to `files`. */
async function variant(name: string, files: Record<string, string>): Promise<string> {
	const d = join(dir, name);
	await cp(TINY, d, { recursive: true });
	const { chat_template: _, ...rest } = config;
	await writeFile(join(d, 'tokenizer_config.json'), JSON.stringify(rest));
	for (const [f, text] of Object.entries(files)) await writeFile(join(d, f), text);
	return d;
}

describe('chat template files', () => {
	it('chat_template.jinja and chat_template.json render like tokenizer_config.json', async () => {
		expect(typeof template).toBe('string');
		const want = (await openModel(folderSource(TINY))).tokenizer!.encodeChat([...CHAT]);
		const jinja = (await openModel(folderSource(await variant('jinja', { 'chat_template.jinja': template })))).tokenizer!;
		expect(jinja.encodeChat([...CHAT])).toEqual(want);
		const json = (await openModel(folderSource(await variant('json', { 'chat_template.json': JSON.stringify({ chat_template: template }) })))).tokenizer!;
		expect(json.encodeChat([...CHAT])).toEqual(want);
		const none = (await openModel(folderSource(await variant('none', {})))).tokenizer!;
		expect(none.hasChatTemplate).toBe(false);
		expect(() => none.encodeChat([...CHAT])).toThrow(/the model has no chat template/);
	});

	it("tokenizer_config.json's own template wins, and a chat_template.json without one is named", async () => {
		const d = await variant('both', { 'chat_template.jinja': 'IGNORED {{ messages[0].content }}' });
		await writeFile(join(d, 'tokenizer_config.json'), JSON.stringify(config));
		const tok = (await openModel(folderSource(d))).tokenizer!;
		expect(tok.applyChatTemplate([...CHAT])).not.toContain('IGNORED');
		const bad = await variant('bad', { 'chat_template.json': '{"template": 1}' });
		await expect(openModel(folderSource(bad))).rejects.toThrow(/chat_template\.json has no "chat_template" string/);
	});
});
