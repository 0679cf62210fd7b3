/**
 * Text labels: the names, widgets and texts volunteers see, the label set of each labelling
 * task, and validation of a submitted labels object (spec §1, "Labels").
 *
 * Every value is a float in [0, 1]. The UI maps the five Likert buttons to 0, .25, .5, .75, 1
 * and flags / yes-no answers to 0 or 1; the server accepts any value in range unless asked to
 * be strict, because upstream did and imported data carries averaged values.
 */
import { z } from 'zod';

/** How a label is asked. */
export type LabelWidget = 'yes_no' | 'flag' | 'likert';

/** Every label name upstream defined (`protocol.py: TextLabel`). */
export const LABEL_NAMES = [
	'spam',
	'fails_task',
	'lang_mismatch',
	'pii',
	'not_appropriate',
	'hate_speech',
	'sexual_content',
	'moral_judgement',
	'political_content',
	'quality',
	'toxicity',
	'humor',
	'helpfulness',
	'creativity',
	'violence'
] as const;

/** A label name. */
export type LabelName = (typeof LABEL_NAMES)[number];

/** What the client needs to draw one label. */
export interface LabelDefinition {
	name: LabelName;
	widget: LabelWidget;
	displayText: string;
	helpText: string;
}

/** Definitions of every label, by name. */
export const LABELS: Readonly<Record<LabelName, LabelDefinition>> = Object.fromEntries(
	Object.entries({
		spam: {
			widget: 'yes_no',
			displayText: 'Is this spam?',
			helpText: 'Deliberately low-effort, off-topic, nonsense or advertising: something no one should train on.'
		},
		fails_task: {
			widget: 'yes_no',
			displayText: 'Does it fail the task?',
			helpText: 'The reply ignores or gets wrong what the prompter actually asked for.'
		},
		lang_mismatch: {
			widget: 'flag',
			displayText: 'Wrong language',
			helpText: 'Written in a language other than the one selected for this conversation.'
		},
		pii: {
			widget: 'flag',
			displayText: 'Personal information',
			helpText: 'Contains details that could identify a real private person: names with addresses, phone numbers, emails, ids.'
		},
		not_appropriate: {
			widget: 'flag',
			displayText: 'Inappropriate',
			helpText: 'Unsuitable for a helpful assistant dataset, even if no other flag fits exactly.'
		},
		hate_speech: {
			widget: 'flag',
			displayText: 'Hate speech',
			helpText: 'Abusive or threatening towards people because of a protected characteristic such as ethnicity, religion, gender or sexual orientation.'
		},
		sexual_content: {
			widget: 'flag',
			displayText: 'Sexual content',
			helpText: 'Contains sexually explicit or suggestive material.'
		},
		moral_judgement: {
			widget: 'flag',
			displayText: 'Moral judgement',
			helpText: 'Passes judgement on what is right or wrong instead of just answering.'
		},
		political_content: {
			widget: 'flag',
			displayText: 'Political views',
			helpText: 'Takes a side on a political question.'
		},
		quality: {
			widget: 'likert',
			displayText: 'Quality',
			helpText: 'Your overall impression: low for poor, high for excellent.'
		},
		toxicity: {
			widget: 'likert',
			displayText: 'Toxicity',
			helpText: 'How rude, abusive, profane or insulting it is.'
		},
		humor: {
			widget: 'likert',
			displayText: 'Humour',
			helpText: 'How funny it is or tries to be, sarcasm included.'
		},
		helpfulness: {
			widget: 'likert',
			displayText: 'Helpfulness',
			helpText: 'How much the reply helps the prompter reach their goal.'
		},
		creativity: {
			widget: 'likert',
			displayText: 'Creativity',
			helpText: 'How original and imaginative it is, beyond the obvious answer.'
		},
		violence: {
			widget: 'likert',
			displayText: 'Violence',
			helpText: 'How much it describes or encourages violence, abuse, terrorism or self-harm.'
		}
	} satisfies Record<LabelName, Omit<LabelDefinition, 'name'>>).map(([name, d]) => [name, { name, ...d }])
) as Record<LabelName, LabelDefinition>;

/** The five values of the Likert buttons, lowest first. */
export const LIKERT_VALUES = [0, 0.25, 0.5, 0.75, 1] as const;
/** The two values of a flag or a yes/no question. */
export const BINARY_VALUES = [0, 1] as const;

/** The values the UI can send for a widget. */
export function widgetValues(widget: LabelWidget): readonly number[] {
	return widget === 'likert' ? LIKERT_VALUES : BINARY_VALUES;
}

/** Which message a labelling task is about, or a report made outside a task. */
export type LabelTaskKind = 'initial_prompt' | 'prompter_reply' | 'assistant_reply' | 'report';
/** Full labelling asks every label of the kind; simple asks only the spam check. */
export type LabelMode = 'full' | 'simple';

const PROMPT_LABELS: readonly LabelName[] = [
	'spam',
	'lang_mismatch',
	'quality',
	'creativity',
	'humor',
	'toxicity',
	'violence',
	'not_appropriate',
	'pii',
	'hate_speech',
	'sexual_content'
];
const ASSISTANT_LABELS: readonly LabelName[] = [
	'spam',
	'fails_task',
	'lang_mismatch',
	'pii',
	'not_appropriate',
	'hate_speech',
	'sexual_content',
	'quality',
	'toxicity',
	'humor',
	'helpfulness',
	'creativity',
	'violence'
];
const REPORT_LABELS: readonly LabelName[] = [
	'spam',
	'not_appropriate',
	'pii',
	'hate_speech',
	'sexual_content',
	'moral_judgement',
	'political_content',
	'toxicity',
	'violence',
	'quality'
];

/** Labels every labelling task must answer. Reports have none: the reporter picks. */
export function mandatoryLabels(kind: LabelTaskKind): readonly LabelName[] {
	return kind === 'report' ? [] : ['spam'];
}

/**
 * The labels a task offers. Full: 11 for prompts, 13 for assistant replies, 10 for reports.
 * Simple: spam and lang_mismatch, plus quality for replies (upstream's `next_task`).
 */
export function validLabels(kind: LabelTaskKind, mode: LabelMode = 'full'): readonly LabelName[] {
	if (kind === 'report') return REPORT_LABELS;
	if (mode === 'simple') return kind === 'initial_prompt' ? ['spam', 'lang_mismatch'] : ['spam', 'lang_mismatch', 'quality'];
	return kind === 'assistant_reply' ? ASSISTANT_LABELS : PROMPT_LABELS;
}

/** The label descriptions a task hands to the client. */
export function labelDefinitions(kind: LabelTaskKind, mode: LabelMode = 'full'): LabelDefinition[] {
	return validLabels(kind, mode).map((name) => LABELS[name]);
}

/** Submitted labels: label name → value in [0, 1]. */
export type SubmittedLabels = Partial<Record<LabelName, number>>;

/**
 * Zod schema for the labels of one submission to a task of `kind` / `mode`: names must be in the
 * task's set, mandatory ones present, values in [0, 1] (and, with `strict`, one of the widget's
 * button values).
 */
export function submittedLabelsSchema(kind: LabelTaskKind, mode: LabelMode = 'full', options: { strict?: boolean } = {}) {
	const valid = new Set<string>(validLabels(kind, mode));
	const value = z
		.number({ error: 'a label value must be a number' })
		.min(0, { error: 'a label value must be between 0 and 1' })
		.max(1, { error: 'a label value must be between 0 and 1' });
	return z
		.record(z.string(), value)
		.superRefine((labels, ctx) => {
			for (const [name, v] of Object.entries(labels)) {
				if (!valid.has(name)) {
					const allowed = [...valid].join(', ');
					ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" is not a label of this task (allowed: ${allowed})` });
				} else if (options.strict && !widgetValues(LABELS[name as LabelName].widget).includes(v)) {
					const allowed = widgetValues(LABELS[name as LabelName].widget).join(', ');
					ctx.addIssue({ code: 'custom', path: [name], message: `"${name}" takes one of ${allowed}` });
				}
			}
			for (const name of mandatoryLabels(kind)) {
				if (!(name in labels)) ctx.addIssue({ code: 'custom', path: [name], message: `the label "${name}" must be answered` });
			}
			if (kind === 'report' && Object.keys(labels).length === 0) {
				ctx.addIssue({ code: 'custom', path: [], message: 'a report must set at least one label' });
			}
		})
		// Safe once the refinement passed: every key is a known label name.
		.transform((labels) => labels as SubmittedLabels);
}

/**
 * Acceptance of a message from its task labels: 1 − (mean(spam) + mean(lang_mismatch)).
 * A submission without a value counts 0 for it (upstream read a missing lang_mismatch as 0;
 * spam is mandatory so always present in task labels).
 *
 * @throws RangeError for an empty list (acceptance is only defined once reviews exist).
 */
export function acceptance(submissions: readonly SubmittedLabels[]): number {
	if (submissions.length === 0) throw new RangeError('acceptance needs at least one label submission');
	const mean = (name: LabelName) => submissions.reduce((s, l) => s + (l[name] ?? 0), 0) / submissions.length;
	return 1 - (mean('spam') + mean('lang_mismatch'));
}
