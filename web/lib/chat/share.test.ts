import { describe, expect, it } from 'vitest';
import type { ChatMessage } from './db';
import { MAX_TURN_LENGTH, planShare, shareRequest } from './share';

let n = 0;
function msg(role: ChatMessage['role'], content: string, extra: Partial<ChatMessage> = {}): ChatMessage {
	n++;
	return { id: `m${n}`, chatId: 'c1', parentId: null, role, content, state: role === 'user' ? 'manual' : 'complete', createdAt: n, ...extra };
}

describe('planShare', () => {
	it('sends prompts as prompter turns and replies as assistant turns with their model', () => {
		const thread = [msg('user', 'Hi'), msg('assistant', 'Hello!', { model: 'oasis-tiny', rating: 'up' }), msg('user', 'More'), msg('assistant', 'Sure', {})];
		const plan = planShare(thread, { fallbackModel: 'fallback-model', systemPrompt: 'Be brief.' });
		expect(plan.problems).toEqual([]);
		expect(plan.turns).toEqual([
			{ role: 'prompter', text: 'Hi' },
			{ role: 'assistant', text: 'Hello!', modelName: 'oasis-tiny' },
			{ role: 'prompter', text: 'More' },
			{ role: 'assistant', text: 'Sure', modelName: 'fallback-model' }
		]);
		expect(plan.messageIds).toEqual(thread.map((m) => m.id));
		// The system prompt and the thumbs are left out, and the preview says so.
		expect(plan.notes.join(' ')).toMatch(/system prompt is not sent/);
		expect(plan.notes.join(' ')).toMatch(/thumbs/);
		expect(JSON.stringify(plan.turns)).not.toContain('Be brief.');
	});

	it('leaves out an empty trailing reply but refuses an empty or too long turn inside', () => {
		const ok = planShare([msg('user', 'Hi'), msg('assistant', '', { state: 'error' })], { fallbackModel: 'x' });
		expect(ok.turns).toEqual([{ role: 'prompter', text: 'Hi' }]);
		expect(ok.problems).toEqual([]);
		expect(ok.notes[0]).toMatch(/last reply is empty/);

		const empty = planShare([msg('user', 'Hi'), msg('assistant', '  '), msg('user', 'again')], { fallbackModel: 'x' });
		expect(empty.problems).toEqual(['The reply #2 is empty; edit or regenerate it first.']);

		const long = planShare([msg('user', '😀'.repeat(MAX_TURN_LENGTH + 1))], { fallbackModel: 'x' });
		expect(long.problems[0]).toMatch(/2001 characters long; at most 2000/);
		// Code points, not UTF-16 units: 2,000 emoji are fine.
		expect(planShare([msg('user', '😀'.repeat(MAX_TURN_LENGTH))], { fallbackModel: 'x' }).problems).toEqual([]);

		expect(planShare([], { fallbackModel: 'x' }).problems).toEqual(['There is nothing to share yet: write a message first.']);
	});

	it('builds an idempotent request per branch and validates the language', () => {
		const plan = planShare([msg('user', 'Hi'), msg('assistant', 'Yo', { model: 'm' })], { fallbackModel: 'x' });
		const a = shareRequest('chat-1', plan, 'sv');
		expect(a).toEqual({ clientId: `chat:chat-1:${plan.messageIds[1]}`, lang: 'sv', turns: plan.turns });
		expect(shareRequest('chat-1', plan, 'sv').clientId).toBe(a.clientId);
		expect(() => shareRequest('chat-1', plan, 'x')).toThrow();
	});
});
