/**
 * Named engine errors, each with a message that says what to do. Errors from the kernels
 * (GpuError, ModelError) and the platform (DOMException, RangeError) are mapped here, in one place,
 * and cross the worker boundary as `{name, code, message}`.
 */

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
		message: string
	) {
		super(message);
	}
	get remedy(): EngineRemedy {
		return REMEDY[this.code];
	}
}

/** A plain-data form that survives structured clone. */
export interface SerializedError {
	name: string;
	code: EngineErrorCode;
	message: string;
}

export function serializeError(e: unknown): SerializedError {
	const err = toEngineError(e);
	return { name: err.name, code: err.code, message: err.message };
}

export function deserializeError(s: SerializedError): EngineError {
	return new EngineError(s.code, s.message);
}

const OOM = /out of memory|outofmemory|allocation failed|failed to allocate|memory limit/i;
/**
 * What WebGPU calls fail with once the device is gone, before `device.lost` has resolved: Chromium's
 * wire client after a GPU process crash ("A valid external Instance reference no longer exists"),
 * Dawn's "Device is lost" / "device was lost", a destroyed device.
 */
const LOST = /instance reference no longer exists|device (is |was )?lost|lost device|device (is |was )?destroyed/i;
const DEVICE_LOST_MESSAGE = 'The GPU was reset (device lost). Your chat is saved; reload the model or the page to continue.';

/** Maps anything thrown by the kernels or the platform to an {@link EngineError}. */
export function toEngineError(e: unknown): EngineError {
	if (e instanceof EngineError) return e;
	const name = (e as { name?: string } | null)?.name ?? '';
	const code = (e as { code?: unknown } | null)?.code;
	const message = e instanceof Error ? e.message : String(e);
	if ((name === 'GpuError' && code === 'device-lost') || LOST.test(message)) return new EngineError('device-lost', DEVICE_LOST_MESSAGE);
	if (name === 'GpuError') {
		if (code === 'no-webgpu' || code === 'no-adapter') {
			return new EngineError('no-webgpu', `This browser cannot run models on the GPU: ${message} Try Chrome or Edge 113+ with hardware acceleration on.`);
		}
		if (code === 'limit-exceeded' || code === 'missing-feature') {
			return new EngineError('out-of-memory', `This device cannot hold this model: ${message} Choose a smaller model.`);
		}
		if (code === 'gpu-validation' && OOM.test(message)) {
			return new EngineError('out-of-memory', 'The GPU ran out of memory. Your chat is saved; choose a smaller model or close other tabs and reload.');
		}
		if (code === 'invalid-input') return new EngineError('bad-request', message);
		return new EngineError('internal', `${message} Reload the page to start a fresh GPU device.`);
	}
	if (name === 'ModelError') {
		if (code === 'too-large') return new EngineError('out-of-memory', `${message}. Choose a smaller model or start a new chat.`);
		if (code === 'bad-config') return new EngineError('bad-request', message);
		return new EngineError('model-load', `The model could not be loaded: ${message}. Check your connection and try again.`);
	}
	if (name === 'QuotaExceededError' || e instanceof RangeError || OOM.test(message)) {
		return new EngineError('out-of-memory', 'Out of memory. Your chat is saved; choose a smaller model or reload the page.');
	}
	return new EngineError('internal', message || 'Unknown engine error');
}
