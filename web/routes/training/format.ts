/** Formatting shared by the training pages, in the interface language at the time of the call. */
import type { ApiOutputs } from '$lib/api/types';
import { formatNumber } from '$lib/i18n';
import { t } from '$lib/i18n/catalogue/training';

export type Job = ApiOutputs['training']['list'][number];
export type Round = ApiOutputs['training']['metrics'][number];

const STATE_KEYS = {
	queued: 'stateQueued',
	running: 'stateRunning',
	paused: 'statePaused',
	cancelled: 'stateCancelled',
	finished: 'stateFinished',
	failed: 'stateFailed'
} as const satisfies Record<Job['state'], Parameters<typeof t>[0]>;

const OBJECTIVE_KEYS = { sft: 'objectiveSft', reward: 'objectiveReward', dpo: 'objectiveDpo' } as const satisfies Record<Job['objective'], Parameters<typeof t>[0]>;

/** An object whose properties read their catalogue message each time (so templates follow the locale). */
function labels<K extends string>(keys: Record<K, Parameters<typeof t>[0]>): Readonly<Record<K, string>> {
	const out = {} as Record<K, string>;
	for (const k of Object.keys(keys) as K[]) Object.defineProperty(out, k, { get: () => t(keys[k]), enumerable: true });
	return out;
}

/** A job's state for people ("Running"). */
export const STATE_LABELS = labels<Job['state']>(STATE_KEYS);

/** A job's objective for people ("Supervised fine-tuning"). */
export const OBJECTIVE_LABELS = labels<Job['objective']>(OBJECTIVE_KEYS);

/** "All parameters" or "LoRA rank 8, alpha 16 on q_proj, v_proj". */
export function modeText(mode: Job['mode']): string {
	return mode.kind === 'full' ? t('modeFull') : t('modeLora', { rank: String(mode.rank), alpha: String(mode.alpha), targets: mode.targets.join(', ') });
}

export function loss(value: number | null | undefined): string {
	return value === null || value === undefined ? '—' : formatNumber(value, { minimumFractionDigits: 4, maximumFractionDigits: 4, useGrouping: false });
}

/** A share as a percentage ("87.5%", German "87,5 %"); a dash when there is none. */
export function percent(value: number | null | undefined): string {
	return value === null || value === undefined ? '—' : formatNumber(value, { style: 'percent', maximumFractionDigits: 1 });
}

export function count(value: number): string {
	return formatNumber(value);
}

export function bytes(value: number): string {
	const one = (x: number) => formatNumber(x, { minimumFractionDigits: 1, maximumFractionDigits: 1, useGrouping: false });
	if (value < 1024) return t('bytesB', { n: String(value) });
	if (value < 1024 * 1024) return t('bytesKiB', { n: one(value / 1024) });
	return t('bytesMiB', { n: one(value / 1024 / 1024) });
}

/** Closed rounds out of the target, e.g. "3 of 10 rounds". */
export function progress(job: Job): string {
	const done = job.state === 'finished' ? job.rounds : job.round;
	return t('progress', { done, total: job.rounds });
}
