/** The rules a submitted text must satisfy (pure; the repeat rule needs the user's recent texts). */
import { DomainError } from '../errors.js';

/** The longest text a submission may have, in code points. */
export const MAX_TEXT_LENGTH = 2000;
/** A user may not submit the same text twice within this span. */
export const REPEAT_SPAN_MS = 120 * 60_000;

/** The broken rule's error, or null when the text is fine. Length counts code points. */
export function checkText(text: string, recentOwnTexts: readonly string[] = []): DomainError | null {
	if (text.trim().length === 0) return new DomainError('text_empty');
	if ([...text].length > MAX_TEXT_LENGTH) return new DomainError('text_too_long');
	const normalised = text.trim();
	if (recentOwnTexts.some((t) => t.trim() === normalised)) return new DomainError('text_repeated');
	return null;
}
