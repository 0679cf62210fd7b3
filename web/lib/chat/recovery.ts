/**
 * After the engine fails (a lost GPU device, out of memory), what the chat can offer instead of
 * freezing: a smaller model from the catalogue that this device can run, else a reload.
 * Pure: the catalogue and the device's capabilities come in as arguments.
 */
import type { ModelEntry } from '../engine/catalogue';

/** What is known about this device's GPU (from the last engine load, if any). */
export interface DeviceCaps {
	webgpu: boolean;
	/** `shader-f16` is available (unknown: assume not). */
	f16: boolean;
	/** maxStorageBufferBindingSize, when known. */
	maxBufferBytes?: number;
}

/** Whether `entry` can run on a device with `caps`. */
export function canRun(entry: ModelEntry, caps: DeviceCaps): boolean {
	if (entry.requires.webgpu && !caps.webgpu) return false;
	if (entry.requires.shaderF16 && !caps.f16) return false;
	if (entry.requires.maxBufferBytes !== undefined && caps.maxBufferBytes !== undefined && entry.requires.maxBufferBytes > caps.maxBufferBytes) return false;
	return true;
}

/**
 * The largest model that needs less memory than `currentId` and runs on this device, or null.
 * An unknown current model counts as needing more than anything in the catalogue.
 */
export function smallerModel(catalogue: readonly ModelEntry[], currentId: string, caps: DeviceCaps): ModelEntry | null {
	const current = catalogue.find((m) => m.id === currentId);
	const budget = current?.memoryBytes ?? Number.POSITIVE_INFINITY;
	const fits = catalogue.filter((m) => m.id !== currentId && m.memoryBytes < budget && canRun(m, caps));
	fits.sort((a, b) => b.memoryBytes - a.memoryBytes || a.id.localeCompare(b.id));
	return fits[0] ?? null;
}
