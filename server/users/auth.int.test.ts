import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/dialects.js';
import { harness, ruleOf } from '../testing/harness.js';

function tokenFrom(setCookie: string | null): string {
	const match = /oasis_session=([^;]*)/.exec(setCookie ?? '');
	if (!match) throw new Error(`no session cookie in ${setCookie}`);
	return decodeURIComponent(match[1]);
}

describeEachDialect('accounts', (handle) => {
	it('signs up (first user is admin), signs in, reads me, signs out', async () => {
		const h = harness(handle.current);
		const { createContext } = await import('../context.js');
		const { appRouter } = await import('../router.js');
		const resHeaders = new Headers();
		const anonymous = appRouter.createCaller(
			await createContext({ db: h.env.db, dialect: h.env.dialect, headers: new Headers({ 'x-oasis-csrf': '1' }), resHeaders, now: h.env.now, limiter: h.env.limiter })
		);
		const first = await anonymous.auth.signUp({ email: 'Ada@Example.org', password: 'correct horse', displayName: 'Ada' });
		expect(first.user.role).toBe('admin');
		const cookie = resHeaders.get('set-cookie') ?? '';
		expect(cookie).toMatch(/HttpOnly/);
		expect(cookie).toMatch(/SameSite=Lax/);

		const second = await (await h.caller()).auth.signUp({ email: 'bob@example.org', password: 'another secret', displayName: 'Bob' });
		expect(second.user.role).toBe('general');
		expect(await ruleOf((await h.caller()).auth.signUp({ email: 'ada@example.org', password: 'whatever123', displayName: 'X' }))).toBe('email_taken');

		const stored = await h.env.db.selectFrom('account').select('password_hash').where('provider_account_id', '=', 'ada@example.org').executeTakeFirstOrThrow();
		expect(stored.password_hash).toMatch(/^\$argon2id\$/);
		const session = await h.env.db.selectFrom('session').select('id').execute();
		expect(session.map((s) => s.id)).not.toContain(tokenFrom(cookie)); // only the hash is stored

		expect(await ruleOf((await h.caller()).auth.signIn({ email: 'ada@example.org', password: 'wrong password' }))).toBe('bad_credentials');
		expect(await ruleOf((await h.caller()).auth.signIn({ email: 'nobody@example.org', password: 'wrong password' }))).toBe('bad_credentials');
		const res2 = new Headers();
		const c = appRouter.createCaller(await createContext({ db: h.env.db, dialect: h.env.dialect, headers: new Headers({ 'x-oasis-csrf': '1' }), resHeaders: res2, now: h.env.now }));
		await c.auth.signIn({ email: 'ADA@example.org', password: 'correct horse' });
		const token = tokenFrom(res2.get('set-cookie'));
		const ada = await h.caller(token);
		expect(await ada.auth.me()).toMatchObject({ displayName: 'Ada', role: 'admin' });
		await ada.auth.signOut();
		expect(await (await h.caller(token)).auth.me()).toBeNull();
	});

	it('refuses mutations without the CSRF header, and the dev login unless switched on', async () => {
		const h = harness(handle.current);
		const noCsrf = await h.caller(undefined, { csrf: false });
		expect(await ruleOf(noCsrf.auth.signIn({ email: 'ada@example.org', password: 'correct horse' }))).toBe('csrf');
		const before = process.env.OASIS_DEV_LOGIN;
		delete process.env.OASIS_DEV_LOGIN;
		try {
			expect(await ruleOf((await h.caller()).auth.devLogin({ name: 'dev' }))).toBe('dev_login_off');
			expect(await (await h.caller()).auth.devLoginEnabled()).toBe(false);
		} finally {
			if (before !== undefined) process.env.OASIS_DEV_LOGIN = before;
		}
	});

	it('enforces roles in middleware: signed in, not banned, moderator, admin', async () => {
		const h = harness(handle.current);
		expect(await ruleOf((await h.caller()).tasks.availability({ lang: 'en' }))).toBe('not_signed_in');
		const general = await h.user('general-user');
		expect(await ruleOf(general.caller.moderation.flagged({}))).toBe('role_required');
		const mod = await h.user('mod-user', 'moderator');
		expect(await mod.caller.moderation.flagged({})).toEqual([]);
		expect(await ruleOf(mod.caller.moderation.purgeUser({ userId: general.id }))).toBe('role_required');
		await mod.caller.moderation.banUser({ userId: general.id });
		// The ban ended the sessions; a banned user who signs in again is refused by every authed procedure.
		expect(await (await h.caller(general.token)).auth.me()).toBeNull();
		const again = await h.user('general-user');
		expect(await ruleOf(again.caller.tasks.availability({ lang: 'en' }))).toBe('banned');
	});
});
