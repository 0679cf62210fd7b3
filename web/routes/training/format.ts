/** Formatting shared by the training pages. */
import type { ApiOutputs } from '$lib/api/types';

export type Job = ApiOutputs['training']['list'][number];
export type Round = ApiOutputs['training']['metrics'][number];

export const STATE_LABELS: Record<Job['state'], string> = {
	queued: 'Queued',
	running: 'Running',
	paused: 'Paused',
	cancelled: 'Cancelled',
	finished: 'Finished',
	failed: 'Failed'
};

export const OBJECTIVE_LABELS: Record<Job['objective'], string> = {
	sft: 'Supervised fine-tuning',
	reward: 'Reward model',
	dpo: 'Preference (DPO)'
};

/** "full" or "LoRA r 8, α 16 on q_proj, v_proj". */
export function modeText(mode: Job['mode']): string {
	return mode.kind === 'full' ? 'All parameters' : `LoRA rank ${mode.rank}, alpha ${mode.alpha} on ${mode.targets.join(', ')}`;
}

export function loss(value: number | null | undefined): string {
	return value === null || value === undefined ? '—' : value.toFixed(4);
}

export function count(value: number): string {
	return value.toLocaleString('en');
}

export function bytes(value: number): string {
	if (value < 1024) return `${value} B`;
	if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
	return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

/** Closed rounds out of the target, e.g. "3 of 10 rounds". */
export function progress(job: Job): string {
	const done = job.state === 'finished' ? job.rounds : job.round;
	return `${done} of ${job.rounds} round${job.rounds === 1 ? '' : 's'}`;
}
