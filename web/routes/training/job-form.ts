/**
 * The create-job form's values, checked in the browser with the server's bounds (the server checks
 * again: manager.ts `createJobSchema`) and turned into `training.create` input. The problems are
 * worded in the interface language when the form is checked.
 */
import { z } from 'zod';
import type { ApiInputs } from '$lib/api/types';
import { formatNumber } from '$lib/i18n';
import { t } from '$lib/i18n/catalogue/training';

export type CreateInput = ApiInputs['training']['create'];

/** The form's fields (numbers as the inputs give them: null when empty). */
export interface JobForm {
	name: string;
	snapshotId: string;
	baseModel: string;
	objective: 'sft' | 'reward' | 'dpo';
	mode: 'full' | 'lora';
	rank: number | null;
	alpha: number | null;
	targets: string;
	rounds: number | null;
	workersPerRound: number | null;
	lr: number | null;
	innerSteps: number | null;
	batchTokens: number | null;
	outerLr: number | null;
	outerMomentum: number | null;
	clip: number | null;
	weightDecay: number | null;
	leaseSeconds: number | null;
	roundSeconds: number | null;
	validationFraction: number | null;
	validationExamples: number | null;
}

/** Defaults: DiLoCo's outer settings, the server's own defaults elsewhere. */
export function defaultForm(): JobForm {
	return {
		name: '',
		snapshotId: '',
		baseModel: 'oasis/char-bigram',
		objective: 'sft',
		mode: 'full',
		rank: 8,
		alpha: 16,
		targets: 'logits',
		rounds: 10,
		workersPerRound: 2,
		lr: 0.0001,
		innerSteps: 100,
		batchTokens: 4096,
		outerLr: 0.7,
		outerMomentum: 0.9,
		clip: 1,
		weightDecay: 0,
		leaseSeconds: 1800,
		roundSeconds: 7200,
		validationFraction: 0.2,
		validationExamples: 256
	};
}

type Field = Extract<Parameters<typeof t>[0], `field${string}`>;

const bound = (n: number) => formatNumber(n, { maximumFractionDigits: 3 });

const num = (field: Field, min: number, max: number, opts: { int?: boolean; positive?: boolean } = {}) => {
	const what = t(field);
	let s = z.number({ error: t('formEnter', { what }) });
	if (opts.int) s = s.int(t('formWhole', { what }));
	s = opts.positive ? s.positive(t('formPositive', { what })) : s.min(min, t('formAtLeast', { what, min: bound(min) }));
	return s.max(max, t('formAtMost', { what, max: bound(max) }));
};

/** The form's schema, its messages in the interface language now. */
const formSchema = () =>
	z.object({
		name: z.string().trim().min(1, t('formName')).max(200, t('formNameLong')),
		snapshotId: z.string().min(1, t('formSnapshot')),
		baseModel: z.string().trim().min(1, t('formBaseModel')).max(200, t('formBaseModelLong')),
		objective: z.enum(['sft', 'reward', 'dpo']),
		mode: z.enum(['full', 'lora']),
		rank: num('fieldRank', 1, 1024, { int: true }).nullable(),
		alpha: num('fieldAlpha', 0, 4096, { positive: true }).nullable(),
		targets: z.string(),
		rounds: num('fieldRounds', 1, 100_000, { int: true }),
		workersPerRound: num('fieldWorkers', 1, 1024, { int: true }),
		lr: num('fieldLr', 0, 10, { positive: true }),
		innerSteps: num('fieldInnerSteps', 1, 10_000, { int: true }),
		batchTokens: num('fieldBatchTokens', 1, 10_000_000, { int: true }),
		outerLr: num('fieldOuterLr', 0, 10, { positive: true }),
		outerMomentum: num('fieldOuterMomentum', 0, 0.999),
		clip: num('fieldClip', 0, 1e6),
		weightDecay: num('fieldWeightDecay', 0, 1),
		leaseSeconds: num('fieldLease', 10, 7 * 86_400, { int: true }),
		roundSeconds: num('fieldRoundTime', 10, 30 * 86_400, { int: true }),
		validationFraction: num('fieldValidationShare', 0.01, 0.5),
		validationExamples: num('fieldValidationExamples', 1, 100_000, { int: true })
	});

/** The LoRA fields' problems (checked with the rest, so every problem shows at once). */
function loraErrors(f: JobForm): Partial<Record<keyof JobForm, string>> {
	if (f.mode !== 'lora') return {};
	const errors: Partial<Record<keyof JobForm, string>> = {};
	if (f.rank === null) errors.rank = t('formEnter', { what: t('fieldRank') });
	if (f.alpha === null) errors.alpha = t('formEnter', { what: t('fieldAlpha') });
	const targets = f.targets.split(/[\s,]+/).filter(Boolean);
	if (targets.length === 0 || targets.length > 32 || targets.some((t) => !/^[A-Za-z0-9_.]{1,64}$/.test(t))) {
		errors.targets = t('formTargets');
	}
	return errors;
}

/** The `training.create` input, or the problems per field. */
export function toCreateInput(
	form: JobForm,
	snapshots: readonly { id: string; content_hash: string }[]
): { ok: true; input: CreateInput } | { ok: false; errors: Partial<Record<keyof JobForm, string>> } {
	const parsed = formSchema().safeParse(form);
	const errors: Partial<Record<keyof JobForm, string>> = {};
	for (const issue of parsed.success ? [] : parsed.error.issues) {
		const key = issue.path[0] as keyof JobForm;
		errors[key] ??= issue.message;
	}
	for (const [key, message] of Object.entries(loraErrors(form)) as [keyof JobForm, string][]) errors[key] ??= message;
	if (!parsed.success || Object.keys(errors).length > 0) return { ok: false, errors };
	const f = parsed.data;
	const snapshot = snapshots.find((s) => s.id === f.snapshotId);
	if (!snapshot) return { ok: false, errors: { snapshotId: t('formSnapshotList') } };
	return {
		ok: true,
		input: {
			name: f.name,
			objective: f.objective,
			baseModel: f.baseModel,
			snapshot: { id: snapshot.id, contentHash: snapshot.content_hash },
			mode: f.mode === 'full' ? { kind: 'full' } : { kind: 'lora', rank: f.rank!, alpha: f.alpha!, targets: f.targets.split(/[\s,]+/).filter(Boolean) },
			hyper: {
				lr: f.lr,
				innerSteps: f.innerSteps,
				batchTokens: f.batchTokens,
				outerLr: f.outerLr,
				outerMomentum: f.outerMomentum,
				clip: f.clip,
				weightDecay: f.weightDecay,
				leaseSeconds: f.leaseSeconds,
				roundSeconds: f.roundSeconds,
				validationFraction: f.validationFraction,
				validationExamples: f.validationExamples
			},
			rounds: f.rounds,
			workersPerRound: f.workersPerRound
		}
	};
}
