/**
 * Input validation failures in a structured form for clients to word in their own language
 * (web/lib/api/errors.ts): where (path), what (zod's issue code) and the limits that were broken.
 * Zod's own `message` travels too, for clients without words of their own (the CLI, scripts).
 * Nothing of the input itself is echoed back, except whether a field was missing.
 */
import type { ZodError } from 'zod';

/** A value a field may take (`invalid_value`), as JSON can carry it. */
export type IssueValue = string | number | boolean | null;

/** One input validation failure, JSON-safe. */
export interface InputIssue {
	/** Where in the input: object keys and array indices, outermost first; empty for the input as a whole. */
	path: (string | number)[];
	/** Zod's issue code: too_small, too_big, invalid_type, invalid_value, invalid_format, not_multiple_of, unrecognized_keys, invalid_union, custom, … */
	code: string;
	/** too_small / too_big: what was measured (string: characters, array: entries, number: the value, …). */
	origin?: string;
	/** too_small / too_big: the minimum or maximum. */
	limit?: number;
	/** too_small / too_big: whether the limit itself is allowed. */
	inclusive?: boolean;
	/** too_small / too_big: the length must be exactly `limit`. */
	exact?: boolean;
	/** invalid_type: the type asked for (string, number, int, boolean, array, object, …). */
	expected?: string;
	/** invalid_type: nothing was sent at this path. */
	missing?: boolean;
	/** invalid_value: the values allowed (at most MAX_VALUES). */
	values?: IssueValue[];
	/** invalid_value: more values are allowed than `values` lists. */
	moreValues?: boolean;
	/** invalid_format: email, url, uuid, regex, datetime, starts_with, … */
	format?: string;
	/** not_multiple_of: the divisor. */
	divisor?: number;
	/** unrecognized_keys: the keys that are not part of the input. */
	keys?: string[];
	/** The schema's or zod's English message. */
	message: string;
}

/** At most this many issues, allowed values and unknown keys are sent (an enum of every language would be long). */
export const MAX_ISSUES = 20;
export const MAX_VALUES = 12;

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
	let at = input;
	for (const key of path) {
		if (at === null || typeof at !== 'object') return undefined;
		at = (at as Record<PropertyKey, unknown>)[key];
	}
	return at;
}

function short(value: string): string {
	return value.length > 100 ? `${value.slice(0, 99)}…` : value;
}

function issueValue(value: unknown): IssueValue {
	if (value === null || typeof value === 'boolean') return value;
	if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
	if (typeof value === 'string') return short(value);
	return short(String(value));
}

/** The issues of a failed input parse, as clients receive them; `input` is what the schema was given. */
export function inputIssues(error: ZodError, input: unknown): InputIssue[] {
	return error.issues.slice(0, MAX_ISSUES).map((issue) => {
		const out: InputIssue = {
			path: issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
			code: issue.code,
			message: short(issue.message)
		};
		switch (issue.code) {
			case 'too_small':
			case 'too_big':
				out.origin = issue.origin;
				out.limit = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
				out.inclusive = issue.inclusive ?? true;
				if (issue.exact) out.exact = true;
				break;
			case 'invalid_type':
				out.expected = issue.expected;
				if (valueAt(input, issue.path) === undefined) out.missing = true;
				break;
			case 'invalid_value':
				out.values = issue.values.slice(0, MAX_VALUES).map(issueValue);
				if (issue.values.length > MAX_VALUES) out.moreValues = true;
				break;
			case 'invalid_format':
				out.format = issue.format;
				break;
			case 'not_multiple_of':
				out.divisor = Number(issue.divisor);
				break;
			case 'unrecognized_keys':
				out.keys = issue.keys.slice(0, MAX_VALUES).map(short);
				break;
		}
		return out;
	});
}
