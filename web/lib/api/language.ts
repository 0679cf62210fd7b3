/**
 * The language a volunteer's tasks are in: their account setting, else the browser's language
 * (its primary subtag, matched to the languages Open Assistant used), else English.
 */
import { taskLanguage } from '../../../server/users/languages';

export { LANGUAGE_CODES, languageName, type LanguageCode } from '../../../server/users/languages';

/** The task language for `user` (null: signed out) in this browser. */
export function taskLanguageFor(user: { language?: string | null } | null | undefined): string {
	return taskLanguage(user?.language ?? null, typeof navigator === 'undefined' ? null : navigator.language);
}
