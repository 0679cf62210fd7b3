/** Account settings: interface language, display name, task language, leaderboard, deleting the account. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'settings',
	{
		title: 'Settings',
		signInPrompt: 'Sign in to change your account settings.',
		banned: 'This account is banned, so its settings cannot be changed. Contact the moderators if you think this is a mistake.',
		interfaceHeading: 'Interface language',
		interfaceHelp: 'The language of menus, buttons and help texts, kept on this device. It is separate from the language of your tasks: you can use Oasis in German and still write and label English conversations. Until you choose a task language, your tasks come in the interface language you pick here.',
		accountHeading: 'Your account',
		displayNameHint: 'Shown on the leaderboard and to moderators.',
		taskLanguage: 'Language of your tasks',
		browserLanguage: 'This browser’s language — {name}',
		interfaceLanguage: 'Your interface language — {name}',
		languageOption: '{name} [{code}]',
		taskLanguageHelp: 'You write, label and rank conversations in this language.',
		showOnLeaderboard: 'Show me on the leaderboard',
		save: 'Save settings',
		saved: 'Settings saved.',
		languageChanged: 'Tasks already kept on this device stay in their language until you finish or skip them.',
		deleteHeading: 'Delete your account',
		deleteText: 'Your sign-in, sessions, settings and display name are removed, and you leave the leaderboard. The messages you wrote stay in their conversations, without your name, because other volunteers’ replies, labels and rankings build on them.',
		deleteStart: 'Delete my account…',
		deleteConfirm: 'I understand: my account is deleted for good and cannot be restored.',
		deleteTick: 'Tick the box to confirm that you want to delete your account.',
		deleteSubmit: 'Delete my account permanently'
	},
	{
		de: {
			title: 'Einstellungen',
			signInPrompt: 'Melde dich an, um deine Kontoeinstellungen zu ändern.',
			banned: 'Dieses Konto ist gesperrt, darum lassen sich seine Einstellungen nicht ändern. Wende dich an die Moderation, wenn du das für einen Fehler hältst.',
			interfaceHeading: 'Sprache der Oberfläche',
			interfaceHelp: 'Die Sprache von Menüs, Schaltflächen und Hilfetexten, gespeichert auf diesem Gerät. Sie ist unabhängig von der Sprache deiner Aufgaben: Du kannst Oasis auf Deutsch nutzen und trotzdem englische Unterhaltungen schreiben und bewerten. Solange du keine Aufgabensprache wählst, bekommst du Aufgaben in der Oberflächensprache, die du hier einstellst.',
			accountHeading: 'Dein Konto',
			displayNameHint: 'Wird in der Bestenliste und der Moderation angezeigt.',
			taskLanguage: 'Sprache deiner Aufgaben',
			browserLanguage: 'Sprache dieses Browsers – {name}',
			interfaceLanguage: 'Deine Oberflächensprache – {name}',
			languageOption: '{name} [{code}]',
			taskLanguageHelp: 'In dieser Sprache schreibst, bewertest und ordnest du Unterhaltungen.',
			showOnLeaderboard: 'Mich in der Bestenliste zeigen',
			save: 'Einstellungen speichern',
			saved: 'Einstellungen gespeichert.',
			languageChanged: 'Aufgaben, die schon auf diesem Gerät liegen, bleiben in ihrer Sprache, bis du sie erledigst oder überspringst.',
			deleteHeading: 'Konto löschen',
			deleteText: 'Deine Anmeldedaten, Sitzungen, Einstellungen und dein Anzeigename werden entfernt, und du verschwindest aus der Bestenliste. Deine Nachrichten bleiben ohne deinen Namen in ihren Unterhaltungen, weil die Antworten, Bewertungen und Rangfolgen anderer Freiwilliger darauf aufbauen.',
			deleteStart: 'Mein Konto löschen …',
			deleteConfirm: 'Ich habe verstanden: Mein Konto wird endgültig gelöscht und lässt sich nicht wiederherstellen.',
			deleteTick: 'Setz das Häkchen, um zu bestätigen, dass du dein Konto löschen möchtest.',
			deleteSubmit: 'Mein Konto endgültig löschen'
		}
	}
);
