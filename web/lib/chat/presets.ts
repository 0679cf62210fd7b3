/**
 * Sampling presets of the original Open Assistant (inference server model configs; spec §5),
 * each as the fields of a chat-completions request. Variants of k50 change only its temperature.
 * The ids are the original's names (stored with each chat); `label` is what people read, worded
 * in the interface language each time it is read.
 */
import { t } from '../i18n/catalogue/chat';

export interface SamplingValues {
	temperature: number;
	top_k: number;
	top_p: number;
	typical_p: number;
	repetition_penalty: number;
	max_tokens: number;
}

export type PresetId = 'k50' | 'k50-Creative' | 'k50-Precise' | 'nucleus9' | 'typical2' | 'typical3' | 'custom';

/** Neutral values: every filter off (top_k 0, top_p 1, typical_p 1, no penalty). */
export const NEUTRAL: SamplingValues = { temperature: 1, top_k: 0, top_p: 1, typical_p: 1, repetition_penalty: 1, max_tokens: 256 };

const k50: SamplingValues = { ...NEUTRAL, top_k: 50, top_p: 0.95, temperature: 0.75, repetition_penalty: 1.2 };

export const PRESETS: readonly { id: Exclude<PresetId, 'custom'>; label: string; values: SamplingValues }[] = [
	{
		id: 'k50',
		get label() {
			return t('presetK50');
		},
		values: k50
	},
	{ id: 'k50-Creative', label: 'k50-Creative', values: { ...k50, temperature: 0.85 } },
	{ id: 'k50-Precise', label: 'k50-Precise', values: { ...k50, temperature: 0.1 } },
	{ id: 'nucleus9', label: 'nucleus9', values: { ...NEUTRAL, top_p: 0.9, temperature: 0.8 } },
	{ id: 'typical2', label: 'typical2', values: { ...NEUTRAL, typical_p: 0.2 } },
	{ id: 'typical3', label: 'typical3', values: { ...NEUTRAL, typical_p: 0.3 } }
];

export const DEFAULT_PRESET: PresetId = 'k50';

/**
 * The values a chat samples with: the preset's, or the custom ones (clamped to what the
 * engine accepts); `max_tokens` is always the chat's own.
 */
export function samplingFor(preset: PresetId, custom: SamplingValues, maxTokens: number): SamplingValues {
	const base = preset === 'custom' ? custom : (PRESETS.find((p) => p.id === preset)?.values ?? k50);
	const clamp = (x: number, lo: number, hi: number, fallback: number) => (Number.isFinite(x) ? Math.min(hi, Math.max(lo, x)) : fallback);
	return {
		temperature: clamp(base.temperature, 0, 5, 1),
		top_k: Math.round(clamp(base.top_k, 0, 100_000, 0)),
		top_p: clamp(base.top_p, 0, 1, 1),
		typical_p: clamp(base.typical_p, 0.01, 1, 1),
		repetition_penalty: clamp(base.repetition_penalty, 0.01, 10, 1),
		max_tokens: Math.round(clamp(maxTokens, 1, 4096, 256))
	};
}
