import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { prepared } from './prepared.js';

describeEachDialect('prepared queries', (handle) => {
	const insertSetting = prepared(3, (db, key: string, value: string, updatedAt: string) => db.insertInto('app_setting').values({ key, value, updated_at: updatedAt }));
	/** Constants (the `like` pattern, the limit) mixed with arguments, one argument used twice. */
	const settingsBetween = prepared(2, (db, from: string, to: string) =>
		db.selectFrom('app_setting').select(['key', 'value']).where('key', '>=', from).where('key', '<=', to).where('key', 'like', 'prep-%').where('value', '!=', from).orderBy('key').limit(10)
	);

	it('runs with each call’s arguments, in place of the placeholders, constants kept', async () => {
		const { db } = handle.current;
		for (const [key, value] of [
			['prep-a', '1'],
			['prep-b', '2'],
			['prep-c', 'prep-a'],
			['prep-d', '4']
		]) {
			await insertSetting(db, key, value, '2026-01-01T00:00:00.000Z');
		}
		const direct = (from: string, to: string) =>
			db.selectFrom('app_setting').select(['key', 'value']).where('key', '>=', from).where('key', '<=', to).where('key', 'like', 'prep-%').where('value', '!=', from).orderBy('key').limit(10).execute();
		expect(await settingsBetween(db, 'prep-b', 'prep-c')).toEqual([
			{ key: 'prep-b', value: '2' },
			{ key: 'prep-c', value: 'prep-a' }
		]);
		// The second call reuses the compiled query with new values; results match the built query's.
		expect(await settingsBetween(db, 'prep-a', 'prep-d')).toEqual(await direct('prep-a', 'prep-d'));
		// `from` is bound twice: prep-c's value equals it now.
		expect(await settingsBetween(db, 'prep-a', 'prep-d')).toEqual([
			{ key: 'prep-a', value: '1' },
			{ key: 'prep-b', value: '2' },
			{ key: 'prep-d', value: '4' }
		]);
	});

	it('works inside a transaction, where a rollback undoes its writes', async () => {
		const { db } = handle.current;
		await db
			.transaction()
			.execute(async (tx) => {
				await insertSetting(tx, 'prep-tx', 'x', '2026-01-01T00:00:00.000Z');
				expect(await settingsBetween(tx, 'prep-tx', 'prep-tx')).toEqual([{ key: 'prep-tx', value: 'x' }]);
				throw new Error('roll back');
			})
			.catch((error: Error) => expect(error.message).toBe('roll back'));
		expect(await settingsBetween(db, 'prep-tx', 'prep-tx')).toEqual([]);
	});

	it('refuses an argument that is not a bound parameter', async () => {
		const unbound = prepared(1, (db, _unused: string) => db.selectFrom('app_setting').select('key'));
		await expect(unbound(handle.current.db, 'x')).rejects.toThrow(/argument 0 is not a bound parameter/);
	});
});
