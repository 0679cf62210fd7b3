/**
 * Named engine errors, each with a message that says what to do. Errors from the kernels
 * (GpuError, ModelError) and the platform (DOMException, RangeError) are mapped here, in one place,
 * and cross the worker boundary as `{name, code, message, text}`.
 *
 * Languages: the worker has no access to the interface language (no localStorage), so an error
 * made here carries its catalogue key and values (`text`) next to its English `message`; the page
 * words it in the reader's language with {@link localizeEngineError}. Sentences other engine code
 * throws as plain English are recognised by matching them against the catalogue's English.
 */
import { getLocale, SOURCE_LOCALE, type MessageValues } from '../i18n';
import { t } from '../i18n/catalogue/engine';

/** A key of the engine catalogue. */
export type EngineTextKey = Parameters<typeof t>[0];

/** A sentence as a catalogue key and its values: plain data, so it crosses the worker boundary. */
export interface EngineText {
	key: EngineTextKey;
	values?: Record<string, string | number>;
}

export type EngineErrorCode =
	| 'no-webgpu'
	| 'device-lost'
	| 'out-of-memory'
	| 'model-load'
	| 'not-loaded'
	| 'busy'
	| 'bad-request'
	| 'worker-crashed'
	| 'internal';

/** What the UI can offer the user for each code. */
export type EngineRemedy = 'reload' | 'smaller-model' | 'retry' | 'none';

const REMEDY: Record<EngineErrorCode, EngineRemedy> = {
	'no-webgpu': 'none',
	'device-lost': 'reload',
	'out-of-memory': 'smaller-model',
	'model-load': 'retry',
	'not-loaded': 'retry',
	busy: 'retry',
	'bad-request': 'none',
	'worker-crashed': 'reload',
	internal: 'reload'
};

export class EngineError extends Error {
	override name = 'EngineError';
	constructor(
		readonly code: EngineErrorCode,
		message: string,
		/** The message as a catalogue key and values, when it came from the catalogue. */
		readonly text?: EngineText
	) {
		super(message);
	}
	get remedy(): EngineRemedy {
		return REMEDY[this.code];
	}
}

/** An {@link EngineError} whose message is the catalogue's `key` (English in `message`, the key in `text`). */
export function engineError(code: EngineErrorCode, key: EngineTextKey, values?: Record<string, string | number>): EngineError {
	return new EngineError(code, t.in(SOURCE_LOCALE, key, values), values ? { key, values } : { key });
}

/** A plain-data form that survives structured clone. */
export interface SerializedError {
	name: string;
	code: EngineErrorCode;
	message: string;
	text?: EngineText;
}

export function serializeError(e: unknown): SerializedError {
	const err = toEngineError(e);
	return err.text ? { name: err.name, code: err.code, message: err.message, text: err.text } : { name: err.name, code: err.code, message: err.message };
}

export function deserializeError(s: SerializedError): EngineError {
	return new EngineError(s.code, s.message, s.text);
}

const OOM = /out of memory|outofmemory|allocation failed|failed to allocate|memory limit/i;
/**
 * What WebGPU calls fail with once the device is gone, before `device.lost` has resolved: Chromium's
 * wire client after a GPU process crash ("A valid external Instance reference no longer exists"),
 * Dawn's "Device is lost" / "device was lost", a destroyed device.
 */
const LOST = /instance reference no longer exists|device (is |was )?lost|lost device|device (is |was )?destroyed/i;

/** Maps anything thrown by the kernels or the platform to an {@link EngineError}. */
export function toEngineError(e: unknown): EngineError {
	if (e instanceof EngineError) return e;
	const name = (e as { name?: string } | null)?.name ?? '';
	const code = (e as { code?: unknown } | null)?.code;
	const message = e instanceof Error ? e.message : String(e);
	if ((name === 'GpuError' && code === 'device-lost') || LOST.test(message)) return engineError('device-lost', 'errDeviceLost');
	if (name === 'GpuError') {
		if (code === 'no-webgpu' || code === 'no-adapter') return engineError('no-webgpu', 'errNoWebgpu', { detail: message });
		if (code === 'limit-exceeded' || code === 'missing-feature') return engineError('out-of-memory', 'errCannotHold', { detail: message });
		if (code === 'gpu-validation' && OOM.test(message)) return engineError('out-of-memory', 'errGpuOom');
		if (code === 'invalid-input') return new EngineError('bad-request', message);
		return engineError('internal', 'errGpuInternal', { detail: message });
	}
	if (name === 'ModelError') {
		if (code === 'too-large') return engineError('out-of-memory', 'errTooLarge', { detail: message });
		if (code === 'bad-config') return new EngineError('bad-request', message);
		return engineError('model-load', 'errModelLoad', { detail: message });
	}
	if (name === 'QuotaExceededError' || e instanceof RangeError || OOM.test(message)) return engineError('out-of-memory', 'errOom');
	return message ? new EngineError('internal', message) : engineError('internal', 'errUnknown');
}

// ---------------------------------------------------------------------------------------------
// Wording engine texts in the interface language (called in the page, when the text is shown).

interface Pattern {
	key: EngineTextKey;
	re: RegExp;
	names: string[];
}
const patterns = new Map<string, Pattern[]>();

/**
 * Regular expressions for the catalogue's English messages whose key starts with `prefix` (simple
 * `{name}` placeholders only), most specific (longest literal text) first.
 */
function patternsFor(prefix: string): Pattern[] {
	let list = patterns.get(prefix);
	if (list) return list;
	list = [];
	const english = t.catalogues[SOURCE_LOCALE];
	for (const key of Object.keys(english) as EngineTextKey[]) {
		const text = english[key];
		if (!key.startsWith(prefix) || /\{[^}]*,/.test(text)) continue;
		const parts = text.replace(/''/g, "'").split(/\{(\w+)\}/);
		const names = parts.filter((_, i) => i % 2 === 1);
		const source = parts.map((p, i) => (i % 2 === 1 ? '(.*?)' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
		list.push({ key, re: new RegExp(`^${source}$`, 's'), names });
	}
	const literal = (p: Pattern) => english[p.key].replace(/\{\w+\}/g, '').length;
	list.sort((a, b) => literal(b) - literal(a));
	patterns.set(prefix, list);
	return list;
}

/** The catalogue key and values whose English is exactly `text` (a sentence an engine sent), or null. */
export function matchEngineText(text: string, prefix: 'err' | 'load'): EngineText | null {
	for (const p of patternsFor(prefix)) {
		const m = p.re.exec(text);
		if (!m) continue;
		const values: Record<string, string> = {};
		p.names.forEach((name, i) => (values[name] = m[i + 1]!));
		return p.names.length ? { key: p.key, values } : { key: p.key };
	}
	return null;
}

const FALLBACK: Record<EngineErrorCode, EngineTextKey> = {
	'no-webgpu': 'fallbackNoWebgpu',
	'device-lost': 'fallbackDeviceLost',
	'out-of-memory': 'fallbackOutOfMemory',
	'model-load': 'fallbackModelLoad',
	'not-loaded': 'fallbackNotLoaded',
	busy: 'fallbackBusy',
	'bad-request': 'fallbackBadRequest',
	'worker-crashed': 'fallbackWorkerCrashed',
	internal: 'fallbackInternal'
};

/**
 * An engine error in the interface language: its catalogue text when it has one (or its English
 * is a catalogue message), else — in English — its message as sent, or a sentence for its code
 * with the engine's own words as detail.
 */
export function localizeEngineError(e: unknown): string {
	const err = e as { code?: string; message?: string; text?: EngineText } | null;
	const message = err?.message ?? String(e);
	const text = err?.text && err.text.key in t.catalogues[SOURCE_LOCALE] ? err.text : matchEngineText(message, 'err');
	if (text) return t(text.key, text.values as MessageValues | undefined);
	if (getLocale() === SOURCE_LOCALE) return message;
	const code = (err?.code ?? 'internal') as EngineErrorCode;
	return t(FALLBACK[code] ?? 'fallbackInternal', { detail: message });
}

/** A loading-progress line from an engine in the interface language (unknown lines — WebLLM's own — as sent). */
export function localizeLoadText(text: string): string {
	const known = matchEngineText(text, 'load');
	return known ? t(known.key, known.values as MessageValues | undefined) : text;
}
