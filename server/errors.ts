/**
 * Domain errors: every rule a request can break has a code and a sentence that names it.
 * Services throw `DomainError`; server/trpc.ts maps it to a TRPCError in one place (the
 * `kind` picks the HTTP-ish code) and the error formatter sends `rule` to the client.
 */

export type ErrorKind = 'bad_request' | 'unauthorized' | 'forbidden' | 'not_found' | 'conflict' | 'precondition' | 'too_many_requests';

/** The catalogue of rules: code → [kind, message]. Keep messages short and user-facing. */
export const RULES = {
	// accounts
	not_signed_in: ['unauthorized', 'you need to sign in first'],
	banned: ['forbidden', 'this account is banned'],
	role_required: ['forbidden', 'your role does not allow this'],
	csrf: ['forbidden', 'the request is missing the x-oasis-csrf header (cross-site requests are refused)'],
	email_taken: ['conflict', 'an account with this email already exists'],
	bad_credentials: ['unauthorized', 'the email or password is wrong'],
	dev_login_off: ['forbidden', 'the development login is switched off (set OASIS_DEV_LOGIN=1)'],
	rate_limited: ['too_many_requests', 'too many requests; wait a little and try again'],
	last_admin: ['precondition', 'the deployment must keep at least one admin; make someone else admin first'],
	not_on_yourself: ['forbidden', 'you cannot change your own role or ban yourself'],
	// tasks
	no_tasks: ['not_found', 'there is no task of this kind available right now'],
	too_many_pending: ['too_many_requests', 'you have too many pending tasks; finish or skip some first'],
	task_not_found: ['not_found', 'this task does not exist'],
	task_not_yours: ['forbidden', 'this task was handed to someone else'],
	task_expired: ['precondition', 'this task expired'],
	task_not_acked: ['precondition', 'this task has not been acknowledged yet'],
	task_done: ['conflict', 'this task was already completed'],
	task_skipped: ['conflict', 'this task was skipped'],
	task_type_mismatch: ['bad_request', 'this submission does not fit the task'],
	task_stale: ['precondition', 'the conversation changed since this task was handed out; request a new one'],
	// messages and trees
	message_not_found: ['not_found', 'this message does not exist'],
	user_not_found: ['not_found', 'this user does not exist'],
	tree_not_found: ['not_found', 'this conversation tree does not exist'],
	already_replied: ['conflict', 'you already replied to this message'],
	role_alternation: ['bad_request', 'replies must alternate between prompter and assistant'],
	max_depth: ['precondition', 'this conversation is already as deep as allowed'],
	max_children: ['precondition', 'this message already has as many replies as allowed'],
	tree_not_growing: ['precondition', 'this conversation tree does not take replies right now'],
	parent_not_accepted: ['precondition', 'this message has not been accepted by reviewers'],
	parent_deleted: ['precondition', 'this message was deleted'],
	text_empty: ['bad_request', 'the text must not be empty or only whitespace'],
	text_too_long: ['bad_request', 'the text must be at most 2,000 characters'],
	text_repeated: ['conflict', 'you submitted the same text within the last 120 minutes'],
	ranking_permutation: ['bad_request', 'a ranking must order every reply exactly once'],
	self_review: ['forbidden', 'you cannot label or rank your own messages'],
	invalid_labels: ['bad_request', 'the labels are not valid for this task'],
	emoji_not_allowed: ['bad_request', 'this emoji cannot be used here'],
	own_message_vote: ['forbidden', 'you cannot vote on your own message'],
	invalid_state: ['precondition', 'the tree is not in a state that allows this'],
	bad_cursor: ['bad_request', 'this page position is not valid; start again from the first page'],
	// distributed training
	training_job_not_found: ['not_found', 'this training job does not exist'],
	training_model_unknown: ['bad_request', 'no training model with this id is installed on the server'],
	training_model_unsupported: ['bad_request', 'this model cannot train with the chosen objective or mode'],
	training_snapshot_not_found: ['not_found', 'this snapshot does not exist; create one first (snapshot.create)'],
	training_snapshot_mismatch: ['conflict', 'the snapshot’s content hash is not the one given; check the snapshot id and hash'],
	training_snapshot_empty: ['precondition', 'the snapshot has too few examples for this objective (it needs training and validation examples)'],
	training_job_state: ['precondition', 'the training job is not in a state that allows this'],
	training_no_work: ['not_found', 'there is no training work to hand out right now; ask again in a little while'],
	training_lease_lost: ['conflict', 'this lease is no longer yours (it expired and went to another worker, or its round closed); ask for new work'],
	training_example_range: ['bad_request', 'an example index is outside this job’s training split'],
	training_version_not_found: ['not_found', 'this parameter version is not stored (it may have been superseded); ask for new work'],
	training_payload_too_large: ['bad_request', 'the update is larger than this job’s parameters can produce']
} as const satisfies Record<string, readonly [ErrorKind, string]>;

export type RuleCode = keyof typeof RULES;

/** A broken rule. `message` is user-facing; `rule` is stable for clients and tests. */
export class DomainError extends Error {
	override name = 'DomainError';
	readonly kind: ErrorKind;
	constructor(
		readonly rule: RuleCode,
		detail?: string
	) {
		const [kind, message] = RULES[rule];
		super(detail ? `${message}: ${detail}` : message);
		this.kind = kind;
	}
}

/** Throw the named rule's error. */
export function fail(rule: RuleCode, detail?: string): never {
	throw new DomainError(rule, detail);
}
