/** Signing in (with the development login) and creating an account. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'auth',
	{
		signIn: 'Sign in',
		createAnAccount: 'Create an account',
		devHeading: 'Development login',
		devHint: 'This server allows signing in by name alone (for development and tests).',
		devName: 'Name',
		devSubmit: 'Sign in as this name',
		displayNameHint: 'Shown on the leaderboard if you choose to appear there.',
		passwordHint: 'At least 8 characters.',
		createAccount: 'Create account',
		haveAccount: 'I have an account'
	},
	{
		de: {
			signIn: 'Anmelden',
			createAnAccount: 'Konto erstellen',
			devHeading: 'Entwicklungsanmeldung',
			devHint: 'Dieser Server erlaubt die Anmeldung nur mit einem Namen (für Entwicklung und Tests).',
			devName: 'Name',
			devSubmit: 'Mit diesem Namen anmelden',
			displayNameHint: 'Wird in der Bestenliste gezeigt, wenn du dort erscheinen möchtest.',
			passwordHint: 'Mindestens 8 Zeichen.',
			createAccount: 'Konto anlegen',
			haveAccount: 'Ich habe schon ein Konto'
		}
	}
);
