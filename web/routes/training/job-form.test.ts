import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '$lib/i18n';
import { defaultForm, toCreateInput } from './job-form';

const SNAPSHOTS = [{ id: 'snap-1', content_hash: `sha256:${'a'.repeat(64)}` }];

describe('the create-job form', () => {
	it('turns valid fields into training.create input with the snapshot’s hash', () => {
		const r = toCreateInput({ ...defaultForm(), name: '  Dutch bigram ', snapshotId: 'snap-1', lr: 0.05, innerSteps: 2 }, SNAPSHOTS);
		expect(r).toEqual({
			ok: true,
			input: expect.objectContaining({
				name: 'Dutch bigram',
				baseModel: 'oasis/char-bigram',
				snapshot: { id: 'snap-1', contentHash: SNAPSHOTS[0]!.content_hash },
				mode: { kind: 'full' },
				rounds: 10,
				workersPerRound: 2,
				hyper: expect.objectContaining({ lr: 0.05, innerSteps: 2, outerLr: 0.7, outerMomentum: 0.9 })
			})
		});
	});

	it('sends LoRA rank, alpha and the listed targets', () => {
		const r = toCreateInput({ ...defaultForm(), name: 'lora', snapshotId: 'snap-1', mode: 'lora', rank: 4, alpha: 8, targets: 'q_proj, v_proj' }, SNAPSHOTS);
		expect(r.ok && r.input.mode).toEqual({ kind: 'lora', rank: 4, alpha: 8, targets: ['q_proj', 'v_proj'] });
	});

	it('explains each bad field in words, with the server’s bounds', () => {
		const r = toCreateInput(
			{ ...defaultForm(), name: ' ', snapshotId: '', rounds: 0, workersPerRound: 1.5, lr: null, outerMomentum: 1, validationFraction: 0.9, mode: 'lora', rank: 0, targets: 'q proj!' },
			SNAPSHOTS
		);
		expect(r.ok).toBe(false);
		if (r.ok) return;
		expect(r.errors).toEqual({
			name: 'give the job a name',
			snapshotId: 'pick a snapshot',
			rounds: 'the number of rounds is at least 1',
			workersPerRound: 'the workers per round is a whole number',
			lr: 'enter the learning rate',
			outerMomentum: 'the outer momentum is at most 0.999',
			validationFraction: 'the validation share is at most 0.5',
			rank: 'the rank is at least 1',
			targets: 'list 1–32 module names (letters, digits, "_" or "."), separated by commas'
		});
	});

	it('refuses a snapshot that is not in the list', () => {
		expect(toCreateInput({ ...defaultForm(), name: 'x', snapshotId: 'gone' }, SNAPSHOTS)).toEqual({ ok: false, errors: { snapshotId: 'pick a snapshot from the list' } });
	});
});

describe('the create-job form in German', () => {
	afterEach(() => setLocale('en', false));

	it('words each problem in the interface language at the time of the check, with German numbers', () => {
		setLocale('de', false);
		const r = toCreateInput({ ...defaultForm(), name: '', snapshotId: 'snap-1', rounds: 0, outerMomentum: 1, lr: null }, SNAPSHOTS);
		expect(r.ok).toBe(false);
		if (r.ok) return;
		expect(r.errors).toEqual({
			name: 'Gib dem Job einen Namen',
			rounds: '„Anzahl der Runden“ muss mindestens 1 sein',
			outerMomentum: '„Äußeres Momentum“ darf höchstens 0,999 sein',
			lr: 'Trag einen Wert für „Lernrate“ ein'
		});
		setLocale('en', false);
		const again = toCreateInput({ ...defaultForm(), name: '', snapshotId: 'snap-1' }, SNAPSHOTS);
		expect(!again.ok && again.errors.name).toBe('give the job a name');
	});
});
