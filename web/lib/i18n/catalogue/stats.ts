/** The site statistics page: its charts (title, column heads, row names). */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'stats',
	{
		title: 'Statistics',
		messagesByLanguage: 'Messages by language',
		messagesByRole: 'Messages by role',
		treesByState: 'Trees by state',
		treesByLanguage: 'Trees by language',
		headLanguage: 'Language',
		headRole: 'Role',
		headState: 'State',
		headCount: 'Count',
		nothing: 'Nothing yet.',
		role: '{role, select, prompter {prompter} assistant {assistant} other {{role}}}'
	},
	{
		de: {
			title: 'Statistiken',
			messagesByLanguage: 'Nachrichten nach Sprache',
			messagesByRole: 'Nachrichten nach Rolle',
			treesByState: 'Bäume nach Zustand',
			treesByLanguage: 'Bäume nach Sprache',
			headLanguage: 'Sprache',
			headRole: 'Rolle',
			headState: 'Zustand',
			headCount: 'Anzahl',
			nothing: 'Noch nichts.',
			role: '{role, select, prompter {Nutzer} assistant {Assistent} other {{role}}}'
		}
	}
);
