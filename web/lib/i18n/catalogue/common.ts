/**
 * Words and sentences several areas share: page titles, common buttons, the error box, the
 * update notice, markdown display and editing, and the roles in a conversation. Other
 * catalogues' pages may import this one; keep its keys stable.
 */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'common',
	{
		pageTitle: '{page} — Oasis',
		cancel: 'Cancel',
		save: 'Save',
		send: 'Send',
		loading: 'Loading…',
		signIn: 'Sign in',
		signOut: 'Sign out',
		createAccount: 'Create an account',
		dashboard: 'Dashboard',
		settings: 'Settings',
		email: 'Email',
		password: 'Password',
		displayName: 'Display name',
		yes: 'Yes',
		no: 'No',
		optional: '(optional)',
		// UpdatePrompt
		updateReady: 'A new version of Oasis is ready.',
		updateReload: 'Reload',
		updateLater: 'Later',
		// Markdown
		showMore: 'Show more',
		showLess: 'Show less',
		// MarkdownEditor
		editorMode: 'Editor mode',
		editorWrite: 'Write',
		editorPreview: 'Preview',
		editorNothing: 'Nothing to preview yet.',
		editorCount: '{length} / {max} characters',
		editorCountOver: '{length} / {max} characters — too long',
		// Conversation
		conversation: 'Conversation',
		roleAssistant: 'Assistant',
		rolePrompter: 'Prompter',
		roleThisMessage: '{role} — this message'
	},
	{
		de: {
			pageTitle: '{page} – Oasis',
			cancel: 'Abbrechen',
			save: 'Speichern',
			send: 'Senden',
			loading: 'Wird geladen …',
			signIn: 'Anmelden',
			signOut: 'Abmelden',
			createAccount: 'Konto erstellen',
			dashboard: 'Übersicht',
			settings: 'Einstellungen',
			email: 'E-Mail',
			password: 'Passwort',
			displayName: 'Anzeigename',
			yes: 'Ja',
			no: 'Nein',
			optional: '(optional)',
			updateReady: 'Eine neue Version von Oasis ist bereit.',
			updateReload: 'Neu laden',
			updateLater: 'Später',
			showMore: 'Mehr anzeigen',
			showLess: 'Weniger anzeigen',
			editorMode: 'Editor-Modus',
			editorWrite: 'Schreiben',
			editorPreview: 'Vorschau',
			editorNothing: 'Noch nichts für die Vorschau.',
			editorCount: '{length} / {max} Zeichen',
			editorCountOver: '{length} / {max} Zeichen – zu lang',
			conversation: 'Unterhaltung',
			roleAssistant: 'Assistent',
			rolePrompter: 'Nutzer',
			roleThisMessage: '{role} – diese Nachricht'
		}
	}
);
