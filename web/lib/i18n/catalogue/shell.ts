/** The app shell: navigation, offline and update notices, the language picker. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'shell',
	{
		skip: 'Skip to content',
		navLabel: 'Main',
		dashboard: 'Dashboard',
		contribute: 'Contribute',
		leaderboard: 'Leaderboard',
		messages: 'Messages',
		chat: 'Chat',
		training: 'Training',
		models: 'Models',
		device: 'Device',
		status: 'Status',
		moderation: 'Moderation',
		settings: 'Settings',
		signOut: 'Sign out',
		signIn: 'Sign in',
		offline: 'Offline — your work is kept on this device.',
		expired: '{count, plural, one {# of your answers expired before it could be sent — see your dashboard.} other {# of your answers expired before they could be sent — see your dashboard.}}',
		language: 'Language',
		languageLong: 'Interface language'
	},
	{
		de: {
			skip: 'Zum Inhalt springen',
			navLabel: 'Hauptmenü',
			dashboard: 'Übersicht',
			contribute: 'Mitmachen',
			leaderboard: 'Bestenliste',
			messages: 'Nachrichten',
			chat: 'Chat',
			training: 'Training',
			models: 'Modelle',
			device: 'Gerät',
			status: 'Status',
			moderation: 'Moderation',
			settings: 'Einstellungen',
			signOut: 'Abmelden',
			signIn: 'Anmelden',
			offline: 'Offline – deine Arbeit bleibt auf diesem Gerät gespeichert.',
			expired: '{count, plural, one {# deiner Antworten ist abgelaufen, bevor sie gesendet werden konnte – siehe Übersicht.} other {# deiner Antworten sind abgelaufen, bevor sie gesendet werden konnten – siehe Übersicht.}}',
			language: 'Sprache',
			languageLong: 'Sprache der Oberfläche'
		}
	}
);
