import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../i18n';
import { EngineError, deserializeError, localizeEngineError, localizeLoadText, matchEngineText, serializeError, toEngineError } from './errors';

class GpuError extends Error {
	override name = 'GpuError';
	constructor(
		readonly code: string,
		message: string
	) {
		super(message);
	}
}

describe('toEngineError', () => {
	it('reads a lost device from the kernels and from what WebGPU calls throw after a GPU crash', () => {
		expect(toEngineError(new GpuError('device-lost', 'gone')).code).toBe('device-lost');
		// Chromium after a GPU process crash, before device.lost resolves.
		const crash = new DOMException("Failed to execute 'mapAsync' on 'GPUBuffer': A valid external Instance reference no longer exists.", 'OperationError');
		const e = toEngineError(crash);
		expect(e).toBeInstanceOf(EngineError);
		expect(e.code).toBe('device-lost');
		expect(e.remedy).toBe('reload');
		expect(e.message).toMatch(/Your chat is saved/);
		expect(toEngineError(new Error('Device is lost')).code).toBe('device-lost');
	});

	it('reads out-of-memory and offers a smaller model', () => {
		const e = toEngineError(new GpuError('gpu-validation', 'WebGPU reported: Out of memory'));
		expect(e.code).toBe('out-of-memory');
		expect(e.remedy).toBe('smaller-model');
		expect(toEngineError(new RangeError('Array buffer allocation failed')).code).toBe('out-of-memory');
		expect(toEngineError(new Error('something else')).code).toBe('internal');
	});
});

describe('engine errors in the interface language', () => {
	afterEach(() => setLocale('en', false));

	it('carries a catalogue key across the worker boundary and words it in the page’s language', () => {
		const sent = structuredClone(serializeError(new GpuError('gpu-validation', 'WebGPU reported: Out of memory')));
		expect(sent.text).toEqual({ key: 'errGpuOom' });
		const back = deserializeError(sent);
		expect(localizeEngineError(back)).toBe(back.message);
		setLocale('de', false);
		expect(localizeEngineError(back)).toMatch(/^Der GPU ist der Speicher ausgegangen\. Dein Chat ist gespeichert/);
		// With values: the kernel's own words stay as the detail.
		const noGpu = deserializeError(structuredClone(serializeError(new GpuError('no-adapter', 'No adapter.'))));
		expect(localizeEngineError(noGpu)).toBe('Dieser Browser kann keine Modelle auf der GPU ausführen: No adapter. Versuch es mit Chrome oder Edge ab Version 113 und eingeschalteter Hardwarebeschleunigung.');
	});

	it('recognises the English sentences other engine code throws, placeholders included', () => {
		expect(matchEngineText('No model is loaded; load one first.', 'err')).toEqual({ key: 'errNotLoaded' });
		expect(matchEngineText("Unknown model 'gpt-9'. Pick one from the list.", 'err')).toEqual({ key: 'errUnknownModel', values: { id: 'gpt-9' } });
		expect(matchEngineText('The message is too long for Oasis tiny (900 tokens, at most 511). Shorten it or start a new chat.', 'err')).toEqual({
			key: 'errTooLong',
			values: { name: 'Oasis tiny', tokens: '900', max: '511' }
		});
		setLocale('de', false);
		expect(localizeEngineError(new EngineError('busy', 'A reply is being generated; stop it or wait for it to finish.'))).toBe(
			'Gerade wird eine Antwort erzeugt; halte sie an oder warte, bis sie fertig ist.'
		);
	});

	it('words an unknown sentence by its code in German and leaves it as sent in English', () => {
		const odd = new EngineError('model-load', 'tokenizer exploded');
		expect(localizeEngineError(odd)).toBe('tokenizer exploded');
		setLocale('de', false);
		expect(localizeEngineError(odd)).toBe('Das Modell konnte nicht geladen werden (tokenizer exploded). Prüf deine Verbindung und versuch es noch einmal.');
	});

	it('translates the engines’ loading lines and passes unknown ones through', () => {
		setLocale('de', false);
		expect(localizeLoadText('Loading weights 3/12')).toBe('Gewichte werden geladen: 3/12');
		expect(localizeLoadText('Fetching model.safetensors…')).toBe('model.safetensors wird abgerufen …');
		expect(localizeLoadText('Fetching param cache[3/40]: 12MB')).toBe('Fetching param cache[3/40]: 12MB');
	});
});
