/** The session cookie: parsing the Cookie header and writing Set-Cookie. */

export const SESSION_COOKIE = 'oasis_session';

/** Read one cookie from a Cookie header value. */
export function readCookie(header: string | null, name: string): string | null {
	if (!header) return null;
	for (const part of header.split(';')) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
	}
	return null;
}

/**
 * Set-Cookie for the session: HttpOnly (scripts cannot read it), SameSite=Lax (not sent on
 * cross-site POSTs), Secure unless OASIS_INSECURE_COOKIES=1 (plain-http development).
 */
export function sessionCookie(token: string, maxAgeSec: number): string {
	const secure = process.env.OASIS_INSECURE_COOKIES === '1' ? '' : '; Secure';
	return `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSec}${secure}`;
}

/** Set-Cookie that removes the session cookie. */
export function clearedSessionCookie(): string {
	return sessionCookie('', 0);
}
