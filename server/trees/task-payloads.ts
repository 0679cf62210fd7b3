/**
 * The task bodies handed to clients (upstream `protocol.py` task schemas). Ranking tasks list
 * their replies shuffled and hide `synthetic` unless every reply is synthetic, so rankers are
 * not nudged; the shuffled order is stored with the task to map the submitted indices back.
 */
import { labelDefinitions, mandatoryLabels, validLabels, type LabelMode } from './labels.js';
import type { Message } from './trees.table.js';
import type { Choice, WorkMessage } from './work.js';

/** One turn of a conversation as a task shows it. */
export interface ConversationMessage {
	id: string;
	text: string;
	lang: string;
	role: 'prompter' | 'assistant';
	isAssistant: boolean;
	synthetic: boolean;
}

/** The conversation a task shows: the thread root first. */
export function conversationOf(thread: readonly Pick<Message, 'id' | 'text' | 'lang' | 'role' | 'synthetic'>[]): { messages: ConversationMessage[] } {
	return {
		messages: thread.map((m) => ({ id: m.id, text: m.text, lang: m.lang, role: m.role, isAssistant: m.role === 'assistant', synthetic: m.synthetic === 1 }))
	};
}

/** One reply of a ranking task, in the shuffled order the indices refer to. */
export interface RankingReply {
	id: string;
	text: string;
	lang: string;
	role: 'prompter' | 'assistant';
	/** Present only when every reply is synthetic (`reveal_synthetic`). */
	synthetic?: boolean;
}

export type TaskPayload =
	| { type: 'initial_prompt'; hint: string | null }
	| { type: 'prompter_reply' | 'assistant_reply'; conversation: { messages: ConversationMessage[] }; parentId: string }
	| {
			type: 'rank_prompter_replies' | 'rank_assistant_replies';
			conversation: { messages: ConversationMessage[] };
			replies: string[];
			replyMessages: RankingReply[];
			messageTreeId: string;
			rankingParentId: string;
			revealSynthetic: boolean;
	  }
	| {
			type: 'label_initial_prompt' | 'label_prompter_reply' | 'label_assistant_reply';
			messageId: string;
			conversation: { messages: ConversationMessage[] };
			validLabels: string[];
			mandatoryLabels: string[];
			mode: LabelMode;
			disposition: 'quality';
			labels: { name: string; widget: string; displayText: string; helpText: string }[];
	  };

/** Fisher–Yates with the given randomness. */
export function shuffle<X>(items: readonly X[], random: () => number): X[] {
	const out = [...items];
	for (let i = out.length - 1; i > 0; i--) {
		const j = Math.floor(random() * (i + 1));
		[out[i], out[j]] = [out[j], out[i]];
	}
	return out;
}

/**
 * Build the payload of `choice`. `threadTo(id)` gives the messages root → id.
 * `fullLabeling` decides the label mode (drawn by the caller from p_full_labeling_review_*).
 */
export function buildPayload(choice: Choice, threadTo: (id: string) => WorkMessage[], random: () => number, fullLabeling: boolean): TaskPayload {
	switch (choice.type) {
		case 'initial_prompt':
			return { type: 'initial_prompt', hint: null };
		case 'prompter_reply':
		case 'assistant_reply':
			return { type: choice.type, conversation: conversationOf(threadTo(choice.parent.id)), parentId: choice.parent.id };
		case 'rank_prompter_replies':
		case 'rank_assistant_replies': {
			const replies = shuffle(choice.item.replies, random);
			const revealSynthetic = replies.every((r) => r.synthetic === 1);
			return {
				type: choice.type,
				conversation: conversationOf(threadTo(choice.item.parent.id)),
				replies: replies.map((r) => r.text),
				replyMessages: replies.map((r) => ({ id: r.id, text: r.text, lang: r.lang, role: r.role, ...(revealSynthetic ? { synthetic: true } : {}) })),
				messageTreeId: choice.item.parent.message_tree_id,
				rankingParentId: choice.item.parent.id,
				revealSynthetic
			};
		}
		default: {
			const kind = choice.type === 'label_initial_prompt' ? 'initial_prompt' : choice.type === 'label_assistant_reply' ? 'assistant_reply' : 'prompter_reply';
			const mode: LabelMode = fullLabeling ? 'full' : 'simple';
			return {
				type: choice.type,
				messageId: choice.message.id,
				conversation: conversationOf(threadTo(choice.message.id)),
				validLabels: [...validLabels(kind, mode)],
				mandatoryLabels: [...mandatoryLabels(kind)],
				mode,
				disposition: 'quality',
				labels: labelDefinitions(kind, mode).map((d) => ({ name: d.name, widget: d.widget, displayText: d.displayText, helpText: d.helpText }))
			};
		}
	}
}
