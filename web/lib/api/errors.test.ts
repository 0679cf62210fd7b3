import { afterEach, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { setLocale } from '../i18n/locale';
import { z } from 'zod';
import { inputIssues } from '../../../server/issues';
import { describeError, describeIssue, describeRule, explain, isTransient, problemOf, type InputIssue } from './errors';

function withData(data: unknown, message = 'x') {
	const e = new TRPCClientError<never>(message);
	(e as unknown as { data: unknown }).data = data;
	return e;
}

describe('server errors in words', () => {
	it('names the rule and what to do next', () => {
		const p = problemOf(withData({ code: 'CONFLICT', rule: 'already_replied' }));
		expect(p.rule).toBe('already_replied');
		expect(isTransient(p)).toBe(false);
		expect(explain(p).message).toMatch(/already replied/);
		expect(explain(p).next).toMatch(/new one/);
	});

	it('treats network failures, rate limits and server faults as worth retrying', () => {
		expect(isTransient(problemOf(new TRPCClientError('Failed to fetch')))).toBe(true);
		expect(isTransient(problemOf(new TypeError('Failed to fetch')))).toBe(true);
		expect(isTransient(problemOf(withData({ code: 'TOO_MANY_REQUESTS', rule: 'rate_limited' })))).toBe(true);
		expect(isTransient(problemOf(withData({ code: 'INTERNAL_SERVER_ERROR', rule: null })))).toBe(true);
		expect(isTransient(problemOf(withData({ code: 'PRECONDITION_FAILED', rule: 'task_expired' })))).toBe(false);
		expect(describeError(new TypeError('Failed to fetch'))).toMatch(/kept on this device/);
	});

	it('lists the fields that failed validation', () => {
		const p = problemOf(withData({ code: 'BAD_REQUEST', rule: null, zodError: { fieldErrors: { password: ['use at least 8 characters'] } } }));
		expect(explain(p).message).toBe('Please check: password — use at least 8 characters.');
	});

	it('says what to do about account and moderation rules', () => {
		expect(describeError(withData({ code: 'PRECONDITION_FAILED', rule: 'last_admin' }))).toMatch(/last admin.*Make another user admin/);
		expect(explain(problemOf(withData({ code: 'FORBIDDEN', rule: 'not_on_yourself' }))).next).toMatch(/another moderator/);
		expect(explain(problemOf(withData({ code: 'BAD_REQUEST', rule: 'bad_cursor' }))).next).toMatch(/first page/);
	});
});

describe('server errors in the interface language', () => {
	afterEach(() => setLocale('en', false));

	it('looks the words up when explaining, not when importing', () => {
		const p = problemOf(withData({ code: 'CONFLICT', rule: 'already_replied' }));
		setLocale('de', false);
		expect(explain(p)).toEqual({ message: 'Du hast auf diese Nachricht schon geantwortet.', next: 'Überspring diese Aufgabe und nimm eine neue.' });
		expect(describeError(new TypeError('Failed to fetch'))).toMatch(/^Der Server ist nicht erreichbar\./);
		expect(explain(problemOf(withData({ code: 'BAD_REQUEST', rule: null, zodError: { fieldErrors: { password: ['x'] } } }))).message).toBe('Bitte prüfen: password – x.');
		expect(describeRule('task_expired')).toMatch(/^Diese Aufgabe ist abgelaufen/);
		setLocale('en', false);
		expect(explain(p).message).toBe('You already replied to this message.');
		expect(describeRule('task_expired')).toBe('This task expired before it was sent. Your answer is kept on your dashboard: copy it if you want, then take a new task.');
	});

	it('knows no rule that the server did not send', () => {
		expect(problemOf(withData({ code: 'CONFLICT', rule: 'already_replied_next' })).rule).toBeNull();
		expect(describeRule('no_such_rule')).toBeNull();
	});
});

describe('input validation failures in words', () => {
	afterEach(() => setLocale('en', false));

	/** The issues the server's error formatter sends for `input` (server/issues.ts). */
	function issuesFor(schema: z.ZodType, input: unknown): InputIssue[] {
		const parsed = schema.safeParse(input);
		if (parsed.success) throw new Error('expected the input to fail');
		return JSON.parse(JSON.stringify(inputIssues(parsed.error, input))) as InputIssue[];
	}
	const words = (schema: z.ZodType, input: unknown) => issuesFor(schema, input).map(describeIssue);
	const inBoth = (schema: z.ZodType, input: unknown) => {
		setLocale('en', false);
		const en = words(schema, input);
		setLocale('de', false);
		const de = words(schema, input);
		setLocale('en', false);
		return { en, de };
	};

	it('words too_small and too_big by what they measure', () => {
		const schema = z.object({ text: z.string().max(2000), password: z.string().min(8, 'use at least 8 characters'), displayName: z.string().trim().min(1), turns: z.array(z.string()).min(1).max(64), rounds: z.number().int().min(1).max(1000), lr: z.number().gt(0) });
		expect(inBoth(schema, { text: 'x'.repeat(2001), password: 'short', displayName: '   ', turns: [], rounds: 5000, lr: 0 })).toEqual({
			en: [
				'The text is too long: at most 2,000 characters.',
				'The password is too short: at least 8 characters.',
				'The display name is empty.',
				'The field “turns” has too few entries: at least 1 entry.',
				'The field “rounds” is too large: at most 1,000.',
				'The field “lr” must be more than 0.'
			],
			de: [
				'Der Text ist zu lang: höchstens 2.000 Zeichen.',
				'Das Passwort ist zu kurz: mindestens 8 Zeichen.',
				'Der Anzeigename ist leer.',
				'Das Feld „turns“ hat zu wenige Einträge: mindestens 1 Eintrag.',
				'Das Feld „rounds“ ist zu groß: höchstens 1.000.',
				'Das Feld „lr“ muss größer als 0 sein.'
			]
		});
		expect(inBoth(z.object({ lang: z.string().length(2) }), { lang: 'deu' })).toEqual({ en: ['The language must be exactly 2 characters long.'], de: ['Die Sprache muss genau 2 Zeichen lang sein.'] });
	});

	it('words invalid_type: a missing field, or the kind of value expected', () => {
		const schema = z.object({ email: z.string(), count: z.number().int(), turns: z.array(z.object({ text: z.string() })) });
		expect(inBoth(schema, { count: 1.5, turns: [{ text: 3 }] })).toEqual({
			en: ['The email address is missing.', 'The field “count” must be a whole number.', 'The text must be text.'],
			de: ['Die E-Mail-Adresse fehlt.', 'Das Feld „count“ muss eine ganze Zahl sein.', 'Der Text muss ein Text sein.']
		});
	});

	it('words invalid_value with the allowed values, and a long list as examples', () => {
		const langs = Array.from({ length: 15 }, (_, i) => `l${i}`) as [string, ...string[]];
		const schema = z.object({ role: z.enum(['prompter', 'assistant']), lang: z.enum(langs), reason: z.literal('spam') });
		const { en, de } = inBoth(schema, { role: 'robot', lang: 'xx', reason: 'other' });
		expect(en[0]).toBe('The field “role” must be “prompter” or “assistant”.');
		expect(de[0]).toBe('Das Feld „role“ muss „prompter“ oder „assistant“ sein.');
		expect(en[1]).toMatch(/^The language must be one of the allowed values, for example “l0”, “l1”, .*“l11”\.$/);
		expect(de[1]).toMatch(/^Die Sprache muss einer der erlaubten Werte sein, zum Beispiel „l0“, „l1“, .*„l11“\.$/);
		expect([en[2], de[2]]).toEqual(['The reason must be “spam”.', 'Die Begründung muss „spam“ sein.']);
	});

	it('words invalid_format (email, ids, patterns), multiples, unknown keys and custom rules', () => {
		const schema = z.strictObject({ email: z.email(), id: z.uuid(), name: z.string().regex(/^[a-z]+$/), step: z.number().multipleOf(5), q: z.string().refine((v) => v.length % 2 === 0, { message: 'use an even number of characters' }) });
		expect(inBoth(schema, { email: 'nope', id: 'abc', name: 'A!', step: 7, q: 'odd', extra: 1 })).toEqual({
			en: [
				'The email address is not a valid email address.',
				'The field “id” is not a valid ID.',
				'The name is not in the expected format.',
				'The field “step” must be a multiple of 5.',
				'The search is not valid: use an even number of characters.',
				'The request has entries this server does not know: “extra”.'
			],
			de: [
				'Die E-Mail-Adresse ist keine gültige E-Mail-Adresse.',
				'Das Feld „id“ ist keine gültige ID.',
				'Der Name ist nicht im erwarteten Format.',
				'Das Feld „step“ muss ein Vielfaches von 5 sein.',
				'Die Suche ist ungültig.',
				'Die Anfrage enthält Einträge, die dieser Server nicht kennt: „extra“.'
			]
		});
	});

	it('explains a refused input from the issues the server sent, in the interface language', () => {
		const issues = issuesFor(z.object({ text: z.string().max(2000), lang: z.string().min(2) }), { text: 'x'.repeat(2500), lang: 'd' });
		const p = problemOf(withData({ code: 'BAD_REQUEST', rule: null, zodError: { fieldErrors: { text: ['Too big'] } }, issues: [...issues, { nonsense: true }] }, '[{"code":"too_big"}]'));
		expect(p.issues).toHaveLength(2);
		expect(explain(p)).toEqual({ message: 'The text is too long: at most 2,000 characters. The language is too short: at least 2 characters.', next: 'Correct it and try again.' });
		setLocale('de', false);
		expect(explain(p)).toEqual({ message: 'Der Text ist zu lang: höchstens 2.000 Zeichen. Die Sprache ist zu kurz: mindestens 2 Zeichen.', next: 'Korrigier es und versuch es noch einmal.' });
		// Without issues (an older server), the flattened messages are listed as before.
		expect(problemOf(withData({ code: 'BAD_REQUEST', rule: null, zodError: { fieldErrors: { text: ['x'] } } })).issues).toEqual([]);
	});
});
