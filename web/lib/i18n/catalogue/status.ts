/** The server status page. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'status',
	{
		title: 'Server status',
		version: 'Version',
		database: 'Database',
		migrations: 'Migrations',
		migrationCount: '{applied, number} applied{pending, plural, =0 {} other {, # pending}}',
		latest: '(latest {name})',
		latestNone: '(latest none)',
		noAnswer: 'The server did not answer: {detail}',
		offline: 'You are offline: the server status shows when the network is back.',
		checking: 'Checking…'
	},
	{
		de: {
			title: 'Serverstatus',
			version: 'Version',
			database: 'Datenbank',
			migrations: 'Migrationen',
			migrationCount: '{applied, number} angewendet{pending, plural, =0 {} other {, # ausstehend}}',
			latest: '(neueste: {name})',
			latestNone: '(noch keine)',
			noAnswer: 'Der Server hat nicht geantwortet: {detail}',
			offline: 'Du bist offline: Der Serverstatus erscheint, sobald das Netz wieder da ist.',
			checking: 'Wird geprüft …'
		}
	}
);
