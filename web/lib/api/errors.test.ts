import { afterEach, describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import { setLocale } from '../i18n/locale';
import { describeError, describeRule, explain, isTransient, problemOf } from './errors';

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
