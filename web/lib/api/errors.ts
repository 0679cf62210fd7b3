/**
 * Server errors in words, with what to do next. The server sends a stable `rule` code with every
 * broken rule (server/errors.ts); this maps each to a sentence for volunteers, in the interface
 * language (catalogue: web/lib/i18n/catalogue/errors.ts).
 */
import { TRPCClientError } from '@trpc/client';
import type { RuleCode } from '../../../server/errors';
import { t } from '../i18n/catalogue/errors';

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
}

/** Whether `rule` is a rule code this client has words for (errors catalogue: `<code>` and `<code>_next`). */
function isRuleCode(rule: string): rule is RuleCode {
	return Object.hasOwn(t.catalogues.en, rule) && Object.hasOwn(t.catalogues.en, `${rule}_next`);
}

/** Classify any thrown value from a tRPC call. */
export function problemOf(error: unknown): Problem {
	if (error instanceof TRPCClientError) {
		const data = error.data as { code?: string; rule?: string | null; zodError?: { fieldErrors?: Record<string, string[]> } | null } | undefined;
		if (!data) return { rule: null, code: null, network: true, detail: error.message, fields: {} };
		const rule = data.rule && isRuleCode(data.rule) ? data.rule : null;
		return { rule, code: data.code ?? null, network: false, detail: error.message, fields: data.zodError?.fieldErrors ?? {} };
	}
	return { rule: null, code: null, network: true, detail: error instanceof Error ? error.message : String(error), fields: {} };
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
