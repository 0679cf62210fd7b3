import { describe, expect, it } from 'vitest';
import {
	EMOJI_CODES,
	OwnMessageThumbError,
	type EmojiCode,
	applyEmojiDeltas,
	emojiReactionInputSchema,
	planEmojiChange,
	skipMarkerFor
} from './emojis.js';

const plan = (op: 'toggle' | 'add' | 'remove', emoji: EmojiCode, current: EmojiCode[] = [], ownMessage = false) =>
	planEmojiChange({ op, emoji, current: new Set(current), ownMessage });

describe('emoji codes', () => {
	it('has 11 user codes and 3 skip markers', () => {
		expect(EMOJI_CODES).toHaveLength(14);
		expect(skipMarkerFor('labeling')).toBe('_skip_labeling');
	});

	it('lets users send only user codes', () => {
		const id = '054e1df3-35e0-4bb8-a585-607dbdcd24e0';
		expect(emojiReactionInputSchema.parse({ messageId: id, emoji: '+1' })).toEqual({ messageId: id, emoji: '+1', op: 'toggle' });
		const r = emojiReactionInputSchema.safeParse({ messageId: id, emoji: '_skip_reply' });
		expect(r.error?.issues[0].message).toBe('"_skip_reply" is not an emoji you can react with');
	});
});

describe('planEmojiChange', () => {
	it('toggles on and off', () => {
		expect(plan('toggle', 'clap')).toEqual({ insert: ['clap'], remove: [], deltas: { clap: 1 }, flagged: false });
		expect(plan('toggle', 'clap', ['clap'])).toEqual({ insert: [], remove: ['clap'], deltas: { clap: -1 }, flagged: false });
	});

	it('ignores an add of an existing reaction and a remove of a missing one', () => {
		const none = { insert: [], remove: [], deltas: {}, flagged: false };
		expect(plan('add', 'rofl', ['rofl'])).toEqual(none);
		expect(plan('remove', 'rofl')).toEqual(none);
	});

	it('keeps +1 and -1 exclusive', () => {
		expect(plan('add', '+1', ['-1', 'heart_eyes'])).toEqual({
			insert: ['+1'],
			remove: ['-1'],
			deltas: { '+1': 1, '-1': -1 },
			flagged: false
		});
		expect(plan('toggle', '-1', ['+1'])).toMatchObject({ insert: ['-1'], remove: ['+1'] });
	});

	it('refuses thumbs on your own message but allows other emojis', () => {
		expect(() => plan('add', '+1', [], true)).toThrow(OwnMessageThumbError);
		expect(() => plan('toggle', '-1', [], true)).toThrow('you cannot give +1 or -1 to your own message');
		expect(plan('add', 'heart_eyes', [], true).insert).toEqual(['heart_eyes']);
	});

	it('flags for moderation on a red flag', () => {
		expect(plan('add', 'red_flag').flagged).toBe(true);
		expect(plan('remove', 'red_flag', ['red_flag']).flagged).toBe(false);
	});
});

describe('applyEmojiDeltas', () => {
	it('moves counts and drops codes that reach 0', () => {
		expect(applyEmojiDeltas({ '+1': 2, '-1': 1 }, { '+1': 1, '-1': -1 })).toEqual({ '+1': 3 });
		expect(applyEmojiDeltas({}, { red_flag: 1, clap: -1 })).toEqual({ red_flag: 1 });
	});
});
