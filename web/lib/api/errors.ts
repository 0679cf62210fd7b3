/**
 * Server errors in words, with what to do next. The server sends a stable `rule` code with every
 * broken rule (server/errors.ts); this maps each to a sentence for volunteers, in the interface
 * language (catalogue: web/lib/i18n/catalogue/errors.ts).
 */
import { TRPCClientError } from '@trpc/client';
import type { RuleCode } from '../../../server/errors';
import type { InputIssue } from '../../../server/issues';
import { formatList, getLocale, SOURCE_LOCALE } from '../i18n';
import { t } from '../i18n/catalogue/errors';

export type { InputIssue };

/** What went wrong with a request, classified for the UI and the outbox. */
export interface Problem {
	rule: RuleCode | null;
	/** The tRPC code (BAD_REQUEST, …), or null when no answer came back. */
	code: string | null;
	/** The network failed: the request may be retried as is. */
	network: boolean;
	/** The server's own message. */
	detail: string;
	/** Input fields that failed validation, with their messages. */
	fields: Record<string, string[]>;
	/** The same failures as codes and limits (server/issues.ts), worded here in the interface language. */
	issues: InputIssue[];
}

/** Whether `rule` is a rule code this client has words for (errors catalogue: `<code>` and `<code>_next`). */
function isRuleCode(rule: string): rule is RuleCode {
	return Object.hasOwn(t.catalogues.en, rule) && Object.hasOwn(t.catalogues.en, `${rule}_next`);
}

/** Classify any thrown value from a tRPC call. */
export function problemOf(error: unknown): Problem {
	if (error instanceof TRPCClientError) {
		const data = error.data as { code?: string; rule?: string | null; zodError?: { fieldErrors?: Record<string, string[]> } | null; issues?: unknown } | undefined;
		if (!data) return { rule: null, code: null, network: true, detail: error.message, fields: {}, issues: [] };
		const rule = data.rule && isRuleCode(data.rule) ? data.rule : null;
		const issues = Array.isArray(data.issues) ? data.issues.filter(isInputIssue) : [];
		return { rule, code: data.code ?? null, network: false, detail: error.message, fields: data.zodError?.fieldErrors ?? {}, issues };
	}
	return { rule: null, code: null, network: true, detail: error instanceof Error ? error.message : String(error), fields: {}, issues: [] };
}

/** Checked by hand rather than with zod, which the contribution pages leave out of their bundle. */
function isInputIssue(value: unknown): value is InputIssue {
	if (value === null || typeof value !== 'object') return false;
	const v = value as Record<string, unknown>;
	return typeof v.code === 'string' && typeof v.message === 'string' && Array.isArray(v.path) && v.path.every((k) => typeof k === 'string' || typeof k === 'number');
}

const FIELD_KEYS = {
	text: 'fieldText',
	password: 'fieldPassword',
	email: 'fieldEmail',
	displayName: 'fieldDisplayName',
	name: 'fieldName',
	lang: 'fieldLang',
	language: 'fieldLang',
	reason: 'fieldReason',
	q: 'fieldQuery',
	modelName: 'fieldModelName'
} as const satisfies Record<string, Parameters<typeof t>[0]>;

/** Zod's id formats, all worded as "an ID". */
const ID_FORMATS = new Set(['uuid', 'guid', 'cuid', 'cuid2', 'ulid', 'xid', 'ksuid', 'nanoid']);

/** The field an issue is about, as the subject of a sentence ("The text", "The field “hyper.lr”"). */
function fieldWord(path: readonly (string | number)[]): string {
	if (path.length === 0) return t('fieldInput');
	const last = [...path].reverse().find((k): k is string => typeof k === 'string');
	if (last !== undefined && Object.hasOwn(FIELD_KEYS, last)) return t(FIELD_KEYS[last as keyof typeof FIELD_KEYS]);
	return t('fieldOther', { name: path.join('.') });
}

const quoted = (value: unknown) => t('quoted', { value: String(value) });

/** One validation failure in one sentence, in the interface language now. */
export function describeIssue(issue: InputIssue): string {
	const field = fieldWord(issue.path);
	const limit = issue.limit ?? 0;
	switch (issue.code) {
		case 'too_small':
		case 'too_big': {
			const small = issue.code === 'too_small';
			if (issue.origin === 'string') {
				if (issue.exact) return t('issueLength', { field, limit });
				if (small && (issue.inclusive === false ? limit === 0 : limit === 1)) return t('issueEmpty', { field });
				// An exclusive limit on a length is one more (or less) inclusive one.
				const bound = issue.inclusive === false ? (small ? limit + 1 : limit - 1) : limit;
				return t(small ? 'issueTooShort' : 'issueTooLong', { field, limit: bound });
			}
			if (issue.origin === 'array' || issue.origin === 'set') {
				if (issue.exact) return t('issueCount', { field, limit });
				const bound = issue.inclusive === false ? (small ? limit + 1 : limit - 1) : limit;
				return t(small ? 'issueTooFew' : 'issueTooMany', { field, limit: bound });
			}
			if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
				if (issue.inclusive === false) return t(small ? 'issueAbove' : 'issueBelow', { field, limit });
				return t(small ? 'issueTooSmall' : 'issueTooLarge', { field, limit });
			}
			return t('issueInvalid', { field });
		}
		case 'invalid_type':
			return issue.missing ? t('issueMissing', { field }) : t('issueType', { field, expected: issue.expected ?? 'other' });
		case 'invalid_value': {
			const values = (issue.values ?? []).map(quoted);
			if (values.length === 0) return t('issueInvalid', { field });
			return issue.moreValues ? t('issueOneOfMore', { field, values: formatList(values) }) : t('issueOneOf', { field, values: formatList(values, 'disjunction') });
		}
		case 'invalid_format':
			return t('issueFormat', { field, format: issue.format && ID_FORMATS.has(issue.format) ? 'id' : (issue.format ?? 'other') });
		case 'not_multiple_of':
			return t('issueMultiple', { field, divisor: issue.divisor ?? 1 });
		case 'unrecognized_keys':
			return t('issueUnknownKeys', { field, keys: formatList((issue.keys ?? []).map(quoted)) });
		case 'custom':
			// A rule the schema wrote out in English: shown as written where English is read, said generally elsewhere.
			return getLocale() === SOURCE_LOCALE ? t('issueCustom', { field, message: issue.message }) : t('issueInvalid', { field });
		default:
			return t('issueInvalid', { field });
	}
}

/**
 * Whether the same request may succeed later unchanged: network failures, server faults, rate
 * limits and an expired session. Anything else is a verdict on the request itself.
 */
export function isTransient(p: Problem): boolean {
	if (p.network) return true;
	if (p.rule === 'rate_limited' || p.rule === 'not_signed_in' || p.rule === 'task_not_acked') return true;
	return p.rule === null && (p.code === 'INTERNAL_SERVER_ERROR' || p.code === 'TIMEOUT' || p.code === 'TOO_MANY_REQUESTS');
}

/** A problem in words, in the interface language at the time of the call: what happened and what to do next. */
export function explain(p: Problem): { message: string; next: string } {
	if (p.rule) return { message: t(p.rule), next: t(`${p.rule}_next`) };
	if (p.network) return { message: t('network'), next: t('network_next') };
	if (p.issues.length > 0) return { message: p.issues.map(describeIssue).join(' '), next: t('fields_next') };
	const fields = Object.entries(p.fields).filter(([, m]) => m.length > 0);
	if (fields.length > 0) {
		return { message: t('fields', { fields: fields.map(([name, m]) => t('field', { name, messages: m.join(', ') })).join('; ') }), next: t('fields_next') };
	}
	if (p.code === 'BAD_REQUEST') return { message: t('refused', { detail: p.detail }), next: t('fields_next') };
	return { message: t('server'), next: t('server_next') };
}

/** `explain(problemOf(error))` in one sentence. */
export function describeError(error: unknown): string {
	const { message, next } = explain(problemOf(error));
	return `${message} ${next}`;
}

/**
 * A rule code kept from an earlier answer (an outbox entry stores it with its words) in one
 * sentence, in the interface language now; null for a code this client does not know.
 */
export function describeRule(rule: string): string | null {
	return isRuleCode(rule) ? `${t(rule)} ${t(`${rule}_next`)}` : null;
}
