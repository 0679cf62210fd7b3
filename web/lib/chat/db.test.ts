import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ChatDb, activate, addMessage, chatMessages, createChat, deleteChat, listChats, rateMessage, recordShare, settleInterrupted, updateMessage } from './db';
import { threadTo } from './tree';

let db: ChatDb;
beforeEach(() => {
	db = new ChatDb({ indexedDB: new IDBFactory(), IDBKeyRange });
});

describe('chat store', () => {
	it('keeps a regenerated reply as a sibling and switches between them', async () => {
		const chat = await createChat(db, { systemPrompt: 'Be brief.' });
		const u = await addMessage(db, { chatId: chat.id, parentId: null, role: 'user', content: 'Hello there\nsecond line', state: 'manual' });
		const a1 = await addMessage(db, { chatId: chat.id, parentId: u.id, role: 'assistant', content: 'one', state: 'complete' });
		const a2 = await addMessage(db, { chatId: chat.id, parentId: u.id, role: 'assistant', content: 'two', state: 'complete' });
		let stored = (await db.chats.get(chat.id))!;
		expect(stored.title).toBe('Hello there');
		expect(stored.activeLeafId).toBe(a2.id);
		expect(await activate(db, chat.id, a1.id)).toBe(a1.id);
		stored = (await db.chats.get(chat.id))!;
		expect(threadTo(await chatMessages(db, chat.id), stored.activeLeafId).map((m) => m.content)).toEqual(['Hello there\nsecond line', 'one']);
	});

	it('settles replies interrupted by a reload and deletes a chat with its messages', async () => {
		const a = await createChat(db);
		const b = await createChat(db);
		const u = await addMessage(db, { chatId: a.id, parentId: null, role: 'user', content: 'x', state: 'manual' });
		const r = await addMessage(db, { chatId: a.id, parentId: u.id, role: 'assistant', content: '', state: 'streaming' });
		await updateMessage(db, r.id, { content: 'partial' });
		await settleInterrupted(db, a.id);
		expect((await db.messages.get(r.id))!.state).toBe('aborted');
		expect((await listChats(db)).map((c) => c.id)).toEqual([a.id, b.id]); // a was updated last
		await deleteChat(db, a.id);
		expect(await chatMessages(db, a.id)).toEqual([]);
		expect((await listChats(db)).map((c) => c.id)).toEqual([b.id]);
	});

	it('keeps thumbs on a reply (toggled off again) and the branches shared', async () => {
		const chat = await createChat(db);
		const u = await addMessage(db, { chatId: chat.id, parentId: null, role: 'user', content: 'Hi', state: 'manual' });
		const a = await addMessage(db, { chatId: chat.id, parentId: u.id, role: 'assistant', content: 'Yo', state: 'complete' });
		await rateMessage(db, a.id, 'down');
		expect((await db.messages.get(a.id))!.rating).toBe('down');
		await rateMessage(db, a.id, null);
		expect('rating' in (await db.messages.get(a.id))!).toBe(false);

		await recordShare(db, chat.id, { leafId: a.id, messageTreeId: 't1', lang: 'sv', at: 1 });
		const shares = await recordShare(db, chat.id, { leafId: a.id, messageTreeId: 't1', lang: 'sv', at: 2 });
		expect(shares).toEqual([{ leafId: a.id, messageTreeId: 't1', lang: 'sv', at: 2 }]);
		expect((await db.chats.get(chat.id))!.shares).toEqual(shares);
	});
});
