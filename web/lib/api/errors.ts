/**
 * Server errors in words, with what to do next. The server sends a stable `rule` code with every
 * broken rule (server/errors.ts); this maps each to a sentence for volunteers.
 */
import { TRPCClientError } from '@trpc/client';
import type { RuleCode } from '../../../server/errors';

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

/** [what happened, what to do next] per rule. */
const RULES: Record<RuleCode, readonly [string, string]> = {
	not_signed_in: ['You are not signed in.', 'Sign in, then try again; your work is kept on this device.'],
	banned: ['This account is banned.', 'Contact the moderators if you think this is a mistake.'],
	role_required: ['Your role does not allow this.', 'Ask a moderator if you need access.'],
	csrf: ['The request was refused for security reasons.', 'Reload the page and try again.'],
	email_taken: ['An account with this email already exists.', 'Sign in instead, or use another email.'],
	bad_credentials: ['The email or password is wrong.', 'Check them and try again.'],
	dev_login_off: ['The development login is switched off.', 'Sign in with email and password.'],
	rate_limited: ['You are going a little fast.', 'Wait a minute, then try again; nothing you typed is lost.'],
	last_admin: ['This is the last admin account.', 'Make another user admin first, then try again.'],
	not_on_yourself: ['You cannot change your own role or ban yourself.', 'Ask another moderator or admin.'],
	no_tasks: ['There is no task of this kind right now.', 'Try another kind of task, or come back later.'],
	too_many_pending: ['You have too many open tasks.', 'Finish or skip the tasks you already have (see your dashboard), or wait five minutes.'],
	task_not_found: ['This task no longer exists.', 'Take a new task.'],
	task_not_yours: ['This task was handed to someone else.', 'Take a new task.'],
	task_expired: ['This task expired before it was sent.', 'Your answer is kept on your dashboard: copy it if you want, then take a new task.'],
	task_not_acked: ['This task was not confirmed yet.', 'Try again in a moment.'],
	task_done: ['This task was already completed.', 'Take a new task.'],
	task_skipped: ['This task was skipped.', 'Take a new task.'],
	task_type_mismatch: ['This answer does not fit the task.', 'Reload the task and answer again.'],
	task_stale: ['The conversation changed since you got this task.', 'Take a new task; copy your text first if you want to keep it.'],
	message_not_found: ['This message does not exist any more.', 'Skip this task and take a new one.'],
	user_not_found: ['This user does not exist.', 'Check the link.'],
	tree_not_found: ['This conversation does not exist.', 'Check the link.'],
	already_replied: ['You already replied to this message.', 'Skip this task and take a new one.'],
	role_alternation: ['Replies must alternate between prompter and assistant.', 'Skip this task and take a new one.'],
	max_depth: ['This conversation is already as long as allowed.', 'Skip this task and take a new one.'],
	max_children: ['This message already has enough replies.', 'Skip this task and take a new one.'],
	tree_not_growing: ['This conversation takes no more replies right now.', 'Skip this task and take a new one.'],
	parent_not_accepted: ['The message you reply to was not accepted by reviewers.', 'Skip this task and take a new one.'],
	parent_deleted: ['The message you reply to was deleted.', 'Skip this task and take a new one.'],
	text_empty: ['The text is empty.', 'Write something, then send it.'],
	text_too_long: ['The text is longer than 2,000 characters.', 'Shorten it, then send it again.'],
	text_repeated: ['You sent the same text in the last two hours.', 'Write something new for this task.'],
	ranking_permutation: ['The ranking does not order every reply once.', 'Check the order and send it again.'],
	self_review: ['You cannot label or rank your own messages.', 'Skip this task and take a new one.'],
	invalid_labels: ['Some labels are not valid for this task.', 'Answer the required questions and send again.'],
	emoji_not_allowed: ['This reaction cannot be used here.', 'Pick another one.'],
	own_message_vote: ['You cannot vote on your own message.', 'Vote on other people’s messages.'],
	invalid_state: ['The conversation is not in a state that allows this.', 'Reload and try again.'],
	bad_cursor: ['This page position is not valid.', 'Go back to the first page and try again.'],
	training_job_not_found: ['This training job does not exist.', 'Check the link, or pick a job from the list.'],
	training_model_unknown: ['This model is not installed on the server.', 'Pick one of the installed models.'],
	training_model_unsupported: ['This model cannot train this way.', 'Choose another objective or mode (the message says which work).'],
	training_snapshot_not_found: ['This snapshot does not exist.', 'Create a snapshot first, then use its id.'],
	training_snapshot_mismatch: ['The snapshot does not match its content hash.', 'Check the snapshot id and hash, or create a new snapshot.'],
	training_snapshot_empty: ['The snapshot has too few examples for this objective.', 'Use a snapshot with more (ranked) conversations.'],
	training_job_state: ['The training job is not in a state that allows this.', 'Reload to see its state.'],
	training_no_work: ['There is no training work right now.', 'Your device will ask again in a little while.'],
	training_lease_lost: ['This piece of training work went to someone else.', 'Ask for new work; nothing is counted against you.'],
	training_version_not_found: ['These model parameters are no longer stored.', 'Ask for new work.'],
	training_example_range: ['The training examples asked for do not exist.', 'Ask for new work.'],
	training_payload_too_large: ['The update is larger than this job can produce.', 'Ask for new work; your device may be running an outdated worker.']
};

/** Classify any thrown value from a tRPC call. */
export function problemOf(error: unknown): Problem {
	if (error instanceof TRPCClientError) {
		const data = error.data as { code?: string; rule?: string | null; zodError?: { fieldErrors?: Record<string, string[]> } | null } | undefined;
		if (!data) return { rule: null, code: null, network: true, detail: error.message, fields: {} };
		const rule = data.rule && data.rule in RULES ? (data.rule as RuleCode) : null;
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

/** A problem in words: what happened and what to do next. */
export function explain(p: Problem): { message: string; next: string } {
	if (p.rule) {
		const [message, next] = RULES[p.rule];
		return { message, next };
	}
	if (p.network) {
		return { message: 'The server could not be reached.', next: 'Check your connection; your work is kept on this device and sent when you are back online.' };
	}
	const fields = Object.entries(p.fields).filter(([, m]) => m.length > 0);
	if (fields.length > 0) {
		return { message: `Please check: ${fields.map(([name, m]) => `${name} — ${m.join(', ')}`).join('; ')}.`, next: 'Correct it and try again.' };
	}
	if (p.code === 'BAD_REQUEST') return { message: `The server refused this: ${p.detail}`, next: 'Correct it and try again.' };
	return { message: 'Something went wrong on the server.', next: 'Try again in a moment; your work is kept on this device.' };
}

/** `explain(problemOf(error))` in one sentence. */
export function describeError(error: unknown): string {
	const { message, next } = explain(problemOf(error));
	return `${message} ${next}`;
}
