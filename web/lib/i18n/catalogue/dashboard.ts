/** The dashboard: greeting, statistics, the task kinds, the offline stock and the outbox. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'dashboard',
	{
		title: 'Dashboard',
		signInPrompt: 'Sign in to write, label and rank conversations.',
		hello: 'Hello, {name}.',
		streak: 'Streak',
		days: '{count, plural, one {# day} other {# days}}',
		level: 'Level',
		score: 'Score',
		thisWeek: 'This week',
		tasks: 'Tasks',
		stock: '{count, plural, one {# task is kept on this device for offline ranking and labelling.} other {# tasks are kept on this device for offline ranking and labelling.}}',
		fetching: 'Fetching more…',
		available: '{count} available',
		// OutboxList
		outboxHeading: 'Your answers on this device',
		outboxEmpty: 'Everything you answered has reached the server.',
		pending: '{count, plural, one {# answer is waiting to be sent.} other {# answers are waiting to be sent.}}',
		pendingHint: 'They go out by themselves when you are online.',
		sendNow: 'Send now',
		problemTitle: '{status, select, expired {Expired before it was sent} other {Not accepted}}: {task}',
		summary: '“{summary}”',
		showFull: 'Show the full text',
		copied: 'Copied',
		copy: 'Copy text',
		openTask: 'Open the task',
		dismiss: 'Dismiss',
		sent: '{count} sent from this device in the last 7 days.'
	},
	{
		de: {
			title: 'Übersicht',
			signInPrompt: 'Melde dich an, um Unterhaltungen zu schreiben, zu bewerten und zu ordnen.',
			hello: 'Hallo, {name}.',
			streak: 'Serie',
			days: '{count, plural, one {# Tag} other {# Tage}}',
			level: 'Level',
			score: 'Punkte',
			thisWeek: 'Diese Woche',
			tasks: 'Aufgaben',
			stock: '{count, plural, one {# Aufgabe liegt auf diesem Gerät bereit, zum Ordnen und Bewerten auch offline.} other {# Aufgaben liegen auf diesem Gerät bereit, zum Ordnen und Bewerten auch offline.}}',
			fetching: 'Weitere werden geholt …',
			available: '{count} verfügbar',
			outboxHeading: 'Deine Antworten auf diesem Gerät',
			outboxEmpty: 'Alles, was du beantwortet hast, ist beim Server angekommen.',
			pending: '{count, plural, one {# Antwort wartet darauf, gesendet zu werden.} other {# Antworten warten darauf, gesendet zu werden.}}',
			pendingHint: 'Sie werden von selbst gesendet, sobald du online bist.',
			sendNow: 'Jetzt senden',
			problemTitle: '{status, select, expired {Abgelaufen, bevor sie gesendet wurde} other {Nicht angenommen}}: {task}',
			summary: '„{summary}“',
			showFull: 'Ganzen Text anzeigen',
			copied: 'Kopiert',
			copy: 'Text kopieren',
			openTask: 'Aufgabe öffnen',
			dismiss: 'Verwerfen',
			sent: '{count} in den letzten 7 Tagen von diesem Gerät gesendet.'
		}
	}
);
