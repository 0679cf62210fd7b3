/**
 * What this device can run. {@link probeDevice} asks the browser once (WebGPU adapter, its
 * features and limits, `navigator.deviceMemory`, the storage estimate); {@link checkModel} is a
 * pure function that says, for one catalogue entry, whether it can run here and if not why, in
 * words a person can act on (in the interface language at the time of the call).
 */
import { getLocale } from '../i18n';
import { t } from '../i18n/catalogue/engine';
import type { ModelEntry } from './catalogue';

/** What the browser told us about this device. Numbers are bytes unless named otherwise. */
export interface DeviceCaps {
	/** `navigator.gpu` exists. */
	webgpu: boolean;
	/** `requestAdapter()` returned an adapter. */
	adapter: boolean;
	/** The adapter's vendor/description, for people. */
	adapterName: string;
	shaderF16: boolean;
	subgroups: boolean;
	/** `limits.maxStorageBufferBindingSize` (0 without an adapter). */
	maxStorageBufferBindingSize: number;
	/** `limits.maxBufferSize` (0 without an adapter). */
	maxBufferSize: number;
	/** `navigator.deviceMemory` in GiB (Chromium only; rounded, capped at 8); undefined elsewhere. */
	deviceMemoryGiB?: number;
	/** `navigator.storage.estimate()`; undefined where the browser does not say. */
	storageQuota?: number;
	storageUsage?: number;
}

/** Whether a model can run here; `reasons` says why not (empty when ok). */
export interface ModelCheck {
	ok: boolean;
	reasons: string[];
}

const KiB = 1024;
const MiB = KiB * 1024;
const GiB = MiB * 1024;

/**
 * Bytes for people: "256 MB", "1.2 GB", "3.5 MB", "900 B" (binary units, as GPUs count), with the
 * interface language's decimal sign ("1,2 GB" in German).
 */
export function formatBytes(n: number): string {
	if (!Number.isFinite(n) || n < 0) return '?';
	if (n >= GiB) return t('bytesGB', { n: trim(n / GiB) });
	if (n >= MiB) return t('bytesMB', { n: trim(n / MiB) });
	if (n >= KiB) return t('bytesKB', { n: trim(n / KiB) });
	return t('bytesB', { n: String(Math.round(n)) });
}

/** One decimal under 10, none above; no thousands separator. */
function trim(x: number): string {
	return new Intl.NumberFormat(getLocale(), { maximumFractionDigits: x >= 10 ? 0 : 1, useGrouping: false }).format(x);
}

type NavigatorLike = {
	gpu?: Pick<GPU, 'requestAdapter'>;
	deviceMemory?: number;
	storage?: Pick<StorageManager, 'estimate'>;
};

/** Asks the browser what it offers. Never throws: anything it cannot learn reads as absent. */
export async function probeDevice(nav: NavigatorLike = globalThis.navigator as NavigatorLike): Promise<DeviceCaps> {
	const caps: DeviceCaps = {
		webgpu: !!nav?.gpu,
		adapter: false,
		adapterName: '',
		shaderF16: false,
		subgroups: false,
		maxStorageBufferBindingSize: 0,
		maxBufferSize: 0
	};
	if (nav?.gpu) {
		try {
			const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
			if (adapter) {
				caps.adapter = true;
				const info = adapter.info as GPUAdapterInfo | undefined;
				caps.adapterName = info?.description || info?.vendor || 'WebGPU adapter';
				caps.shaderF16 = adapter.features.has('shader-f16');
				caps.subgroups = adapter.features.has('subgroups');
				caps.maxStorageBufferBindingSize = adapter.limits.maxStorageBufferBindingSize;
				caps.maxBufferSize = adapter.limits.maxBufferSize;
			}
		} catch {
			// A blocked or crashed GPU process reads as "no adapter".
		}
	}
	if (typeof nav?.deviceMemory === 'number' && nav.deviceMemory > 0) caps.deviceMemoryGiB = nav.deviceMemory;
	try {
		const est = await nav?.storage?.estimate();
		if (est?.quota !== undefined) caps.storageQuota = est.quota;
		if (est?.usage !== undefined) caps.storageUsage = est.usage;
	} catch {
		// Storage estimates are unavailable in some private modes.
	}
	return caps;
}

export interface CheckOptions {
	/** Bytes of this model already stored on the device (not needed again). */
	storedBytes?: number;
}

/**
 * Whether `entry` can run on a device with `caps`, and if not, every reason why. Models that also
 * run on WASM (`requires.webgpu === false`) pass the GPU checks.
 */
export function checkModel(entry: ModelEntry, caps: DeviceCaps, options: CheckOptions = {}): ModelCheck {
	const reasons: string[] = [];
	const req = entry.requires;
	if (req.webgpu) {
		if (!caps.webgpu) {
			reasons.push(t('reasonNoWebgpu'));
		} else if (!caps.adapter) {
			reasons.push(t('reasonNoAdapter'));
		} else {
			if (req.shaderF16 && !caps.shaderF16) reasons.push(t('reasonF16'));
			const allowed = Math.min(caps.maxStorageBufferBindingSize, caps.maxBufferSize);
			if (req.maxBufferBytes !== undefined && req.maxBufferBytes > allowed) {
				reasons.push(t('reasonBuffer', { needed: formatBytes(req.maxBufferBytes), allowed: formatBytes(allowed) }));
			}
		}
	}
	// deviceMemory is rounded down to a power of two and capped at 8 GiB: only a model that needs
	// more than the reported figure on a device reporting less than the cap is ruled out.
	if (caps.deviceMemoryGiB !== undefined && caps.deviceMemoryGiB < 8 && entry.memoryBytes > caps.deviceMemoryGiB * GiB) {
		reasons.push(t('reasonMemory', { needed: formatBytes(entry.memoryBytes), has: formatBytes(caps.deviceMemoryGiB * GiB) }));
	}
	if (!entry.bundled && caps.storageQuota !== undefined) {
		const free = Math.max(0, caps.storageQuota - (caps.storageUsage ?? 0));
		const needed = Math.max(0, entry.sizeBytes - (options.storedBytes ?? 0));
		if (needed > free) reasons.push(t('reasonStorage', { needed: formatBytes(needed), free: formatBytes(free) }));
	}
	return { ok: reasons.length === 0, reasons };
}
