/**
 * The community pages: my contributions, the leaderboard (with the compute board) and the
 * trollboard, plus the enumerations several community and message pages show (time frames,
 * review outcomes, tree states).
 */
import { defineMessages } from '../messages';

/**
 * Splits a message with one linked part written in square brackets ("Take [a task] now") into
 * the text before the link, the link text and the text after it, so a sentence with a link
 * stays one message that a translator can reorder.
 */
export function linkParts(text: string): [before: string, link: string, after: string] {
	const match = /^([^[]*)\[([^\]]*)\](.*)$/s.exec(text);
	return match ? [match[1], match[2], match[3]] : [text, '', ''];
}

export const t = defineMessages(
	'community',
	{
		// Enumerations shown to users (one select message each).
		timeFrame: '{frame, select, day {Today} week {This week} month {This month} other {All time}}',
		timeFrameGroup: 'Time frame',
		review: '{review, select, accepted {Accepted} rejected {Rejected} deleted {Deleted} other {Pending review}}',
		treeStateName:
			'{state, select, initial_prompt_review {initial prompt review} prompt_lottery_waiting {prompt lottery waiting} growing {growing} ranking {ranking} ready_for_scoring {ready for scoring} ready_for_export {ready for export} scoring_failed {scoring failed} backlog_ranking {backlog ranking} aborted_low_grade {aborted low grade} halted_by_moderator {halted by moderator} other {{state}}}',
		ranked: 'ranked {rank, number}',

		// My contributions
		contribTitle: 'My contributions',
		contribSignedOut: 'Sign in to see the messages you wrote and how reviewers judged them.',
		contribEmpty: 'You have not written any messages yet. [Take a task] to start.',
		contribList: 'Your messages',
		contribKind: '{kind, select, assistant {Assistant reply} reply {Prompter reply} other {Prompt}}',
		contribReviews: '{count, plural, one {# review} other {# reviews}}',

		// Leaderboard
		leaderboardTitle: 'Leaderboard',
		siteStats: 'Site statistics',
		trollboard: 'Trollboard',
		leaderboardEmpty: 'Nobody has scored in this time frame yet.',
		leaderboardCaption: 'Top volunteers — {frame}',
		colRank: 'Rank',
		colName: 'Name',
		colScore: 'Score',
		colLevel: 'Level',
		you: '(you)',
		computeTitle: 'Compute',
		computeHint: 'Tokens of training work whose updates the server accepted, over all [training jobs].',
		computeEmpty: 'Nobody has contributed training compute yet.',
		computeCaption: 'Compute credit — accepted tokens',
		colAcceptedTokens: 'Accepted tokens',
		colUpdates: 'Updates',
		anonymous: 'Anonymous',

		// Trollboard
		trollHint: 'Moderators only: volunteers with the most red flags first.',
		backToLeaderboard: 'Back to the leaderboard',
		trollEmpty: 'No one is on the trollboard in this time frame.',
		trollCaption: 'Troll scores — {frame}',
		colTrollScore: 'Troll score',
		colRedFlags: 'Red flags',
		colSpam: 'Spam',
		colDownvotes: 'Down\u00advotes'
	},
	{
		de: {
			timeFrame: '{frame, select, day {Heute} week {Diese Woche} month {Dieser Monat} other {Gesamt}}',
			timeFrameGroup: 'Zeitraum',
			review: '{review, select, accepted {Angenommen} rejected {Abgelehnt} deleted {Gelöscht} other {Wartet auf Prüfung}}',
			treeStateName:
				'{state, select, initial_prompt_review {Prüfung des Prompts} prompt_lottery_waiting {wartet auf die Prompt-Lotterie} growing {wächst} ranking {wird gerankt} ready_for_scoring {bereit zur Auswertung} ready_for_export {bereit für den Export} scoring_failed {Auswertung fehlgeschlagen} backlog_ranking {wartet auf Ranking} aborted_low_grade {wegen schlechter Bewertung abgebrochen} halted_by_moderator {von der Moderation angehalten} other {{state}}}',
			ranked: 'Platz {rank, number}',

			contribTitle: 'Meine Beiträge',
			contribSignedOut: 'Melde dich an, um die Nachrichten zu sehen, die du geschrieben hast, und wie sie bewertet wurden.',
			contribEmpty: 'Du hast noch keine Nachrichten geschrieben. [Nimm dir eine Aufgabe], um loszulegen.',
			contribList: 'Deine Nachrichten',
			contribKind: '{kind, select, assistant {Antwort als Assistent} reply {Antwort als Nutzer} other {Prompt}}',
			contribReviews: '{count, plural, one {# Prüfung} other {# Prüfungen}}',

			leaderboardTitle: 'Bestenliste',
			siteStats: 'Statistiken',
			trollboard: 'Trollliste',
			leaderboardEmpty: 'In diesem Zeitraum hat noch niemand Punkte gesammelt.',
			leaderboardCaption: 'Die besten Freiwilligen – {frame}',
			colRank: 'Platz',
			colName: 'Name',
			colScore: 'Punkte',
			colLevel: 'Stufe',
			you: '(du)',
			computeTitle: 'Rechenleistung',
			computeHint: 'Tokens an Trainingsarbeit, deren Updates der Server angenommen hat, über alle [Trainingsjobs].',
			computeEmpty: 'Noch niemand hat Rechenleistung für das Training beigesteuert.',
			computeCaption: 'Rechenleistung – angenommene Tokens',
			colAcceptedTokens: 'Angenommene Tokens',
			colUpdates: 'Updates',
			anonymous: 'Anonym',

			trollHint: 'Nur für die Moderation: Freiwillige mit den meisten roten Flaggen zuerst.',
			backToLeaderboard: 'Zurück zur Bestenliste',
			trollEmpty: 'In diesem Zeitraum steht niemand auf der Trollliste.',
			trollCaption: 'Troll-Werte – {frame}',
			colTrollScore: 'Troll-Wert',
			colRedFlags: 'Rote Flaggen',
			colSpam: 'Spam',
			colDownvotes: 'Negativ\u00adstimmen'
		}
	}
);
