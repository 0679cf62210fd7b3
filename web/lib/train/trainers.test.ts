import { describe, expect, it } from 'vitest';
import { BIGRAM_MODEL_ID } from '../../../server/training/bigram';
import { WorkerFatal } from '../../../server/training/worker/loop';
import { bigramTrainer } from '../../../server/training/worker/local';
import { BROWSER_TRAINERS, browserTrainerFor, loadBrowserLlamaTrainer } from './trainers';

describe('the browser worker’s trainers', () => {
	it('trains the server’s built-in bigram model with the shared local trainer', async () => {
		expect(await browserTrainerFor(BIGRAM_MODEL_ID)).toBe(bigramTrainer);
		expect(BROWSER_TRAINERS.get(BIGRAM_MODEL_ID)?.describe).toMatch(/bigram/);
	});

	it('offers the bundled Llama model, trained on WebGPU', () => {
		expect(BROWSER_TRAINERS.get('oasis-tiny')?.describe).toMatch(/Llama.*oasis-tiny.*WebGPU/);
	});

	it('says that a Llama job needs WebGPU where the scope has none', async () => {
		const failure = loadBrowserLlamaTrainer('oasis-tiny', '/models/oasis-tiny/', undefined);
		await expect(failure).rejects.toBeInstanceOf(WorkerFatal);
		await expect(failure).rejects.toThrow(/oasis-tiny, which needs WebGPU.*npx oasis worker/);
	});

	it('stops with a sentence that says what to do for a model it lacks', async () => {
		const failure = browserTrainerFor('meta/llama-7b');
		await expect(failure).rejects.toBeInstanceOf(WorkerFatal);
		await expect(failure).rejects.toThrow(/meta\/llama-7b.*cannot train.*oasis\/char-bigram, oasis-tiny.*npx oasis worker/);
	});
});
