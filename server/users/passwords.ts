/** Password hashing with argon2id (@node-rs/argon2's default algorithm, OWASP parameters). */
import { hash, verify } from '@node-rs/argon2';

/** Hash a password to a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`). */
export function hashPassword(password: string): Promise<string> {
	return hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

/** Check a password against a stored PHC string; false for a malformed hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
	try {
		return await verify(stored, password);
	} catch {
		return false;
	}
}
