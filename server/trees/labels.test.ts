import { describe, expect, it } from 'vitest';
import {
	LABEL_NAMES,
	LABELS,
	acceptance,
	labelDefinitions,
	mandatoryLabels,
	submittedLabelsSchema,
	validLabels,
	widgetValues
} from './labels.js';

describe('label definitions', () => {
	it('defines every label with its widget and texts', () => {
		expect(LABEL_NAMES).toHaveLength(15);
		for (const name of LABEL_NAMES) {
			expect(LABELS[name].name).toBe(name);
			expect(LABELS[name].displayText.length).toBeGreaterThan(0);
			expect(LABELS[name].helpText.length).toBeGreaterThan(10);
		}
		const byWidget = (w: string) => LABEL_NAMES.filter((n) => LABELS[n].widget === w);
		expect(byWidget('yes_no')).toEqual(['spam', 'fails_task']);
		expect(byWidget('flag').sort()).toEqual(
			['lang_mismatch', 'pii', 'not_appropriate', 'hate_speech', 'sexual_content', 'moral_judgement', 'political_content'].sort()
		);
		expect(byWidget('likert').sort()).toEqual(['quality', 'toxicity', 'humor', 'helpfulness', 'creativity', 'violence'].sort());
	});

	it('maps widgets to the UI button values', () => {
		expect(widgetValues('likert')).toEqual([0, 0.25, 0.5, 0.75, 1]);
		expect(widgetValues('flag')).toEqual([0, 1]);
		expect(widgetValues('yes_no')).toEqual([0, 1]);
	});

	it('gives each task its label set', () => {
		expect(validLabels('initial_prompt')).toHaveLength(11);
		expect(validLabels('prompter_reply')).toEqual(validLabels('initial_prompt'));
		expect(validLabels('assistant_reply')).toHaveLength(13);
		expect([...validLabels('assistant_reply')].sort()).toEqual([...validLabels('initial_prompt'), 'fails_task', 'helpfulness'].sort());
		expect(validLabels('report')).toHaveLength(10);
		expect(validLabels('initial_prompt', 'simple')).toEqual(['spam', 'lang_mismatch']);
		expect(validLabels('assistant_reply', 'simple')).toEqual(['spam', 'lang_mismatch', 'quality']);
		expect(validLabels('prompter_reply', 'simple')).toEqual(['spam', 'lang_mismatch', 'quality']);
		expect(mandatoryLabels('assistant_reply')).toEqual(['spam']);
		expect(labelDefinitions('initial_prompt', 'simple').map((d) => d.widget)).toEqual(['yes_no', 'flag']);
	});
});

describe('submittedLabelsSchema', () => {
	const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
		r.error?.issues.map((i) => i.message) ?? [];

	it('accepts a valid submission', () => {
		const r = submittedLabelsSchema('assistant_reply').safeParse({ spam: 0, quality: 0.75, fails_task: 1 });
		expect(r.success).toBe(true);
		expect(r.data).toEqual({ spam: 0, quality: 0.75, fails_task: 1 });
	});

	it('names labels outside the task, missing mandatory labels and values out of range', () => {
		const schema = submittedLabelsSchema('initial_prompt');
		expect(messages(schema.safeParse({ spam: 0, helpfulness: 1 }))).toEqual([
			expect.stringContaining('"helpfulness" is not a label of this task')
		]);
		expect(messages(schema.safeParse({ quality: 1 }))).toEqual(['the label "spam" must be answered']);
		expect(messages(schema.safeParse({ spam: 1.5 }))).toEqual(['a label value must be between 0 and 1']);
		expect(messages(schema.safeParse({ spam: 'yes' }))).toEqual(['a label value must be a number']);
		expect(schema.safeParse({ spam: 0.3 }).success).toBe(true);
	});

	it('checks button values when strict', () => {
		const schema = submittedLabelsSchema('initial_prompt', 'full', { strict: true });
		expect(messages(schema.safeParse({ spam: 0.3 }))).toEqual(['"spam" takes one of 0, 1']);
		expect(messages(schema.safeParse({ spam: 0, quality: 0.3 }))).toEqual(['"quality" takes one of 0, 0.25, 0.5, 0.75, 1']);
		expect(schema.safeParse({ spam: 0, quality: 0.25 }).success).toBe(true);
	});

	it('limits simple mode and needs a label in a report', () => {
		expect(submittedLabelsSchema('initial_prompt', 'simple').safeParse({ spam: 0, quality: 1 }).success).toBe(false);
		expect(submittedLabelsSchema('report').safeParse({ pii: 1 }).success).toBe(true);
		expect(messages(submittedLabelsSchema('report').safeParse({}))).toEqual(['a report must set at least one label']);
	});
});

describe('acceptance', () => {
	it('is 1 − (mean spam + mean lang_mismatch), a missing value counting 0', () => {
		expect(acceptance([{ spam: 0 }, { spam: 0 }, { spam: 0 }])).toBe(1);
		expect(acceptance([{ spam: 1 }, { spam: 0 }, { spam: 0, lang_mismatch: 1 }])).toBeCloseTo(1 / 3);
		expect(acceptance([{ spam: 1, lang_mismatch: 1 }])).toBe(-1);
		expect(() => acceptance([])).toThrow(RangeError);
	});
});
