/**
 * The label set's questions and help texts (spec §1 "Labels"), keyed by label name: `<name>` is
 * the question or flag, `<name>_help` its help text. The English equals server/trees/labels.ts
 * (checked by LabelFields.test.ts); the server sends its English texts with each labelling task,
 * and the UI shows these instead, in the interface language.
 */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'labels',
	{
		spam: 'Is this spam?',
		spam_help: 'Deliberately low-effort, off-topic, nonsense or advertising: something no one should train on.',
		fails_task: 'Does it fail the task?',
		fails_task_help: 'The reply ignores or gets wrong what the prompter actually asked for.',
		lang_mismatch: 'Wrong language',
		lang_mismatch_help: 'Written in a language other than the one selected for this conversation.',
		pii: 'Personal information',
		pii_help: 'Contains details that could identify a real private person: names with addresses, phone numbers, emails, ids.',
		not_appropriate: 'Inappropriate',
		not_appropriate_help: 'Unsuitable for a helpful assistant dataset, even if no other flag fits exactly.',
		hate_speech: 'Hate speech',
		hate_speech_help: 'Abusive or threatening towards people because of a protected characteristic such as ethnicity, religion, gender or sexual orientation.',
		sexual_content: 'Sexual content',
		sexual_content_help: 'Contains sexually explicit or suggestive material.',
		moral_judgement: 'Moral judgement',
		moral_judgement_help: 'Passes judgement on what is right or wrong instead of just answering.',
		political_content: 'Political views',
		political_content_help: 'Takes a side on a political question.',
		quality: 'Quality',
		quality_help: 'Your overall impression: low for poor, high for excellent.',
		toxicity: 'Toxicity',
		toxicity_help: 'How rude, abusive, profane or insulting it is.',
		humor: 'Humour',
		humor_help: 'How funny it is or tries to be, sarcasm included.',
		helpfulness: 'Helpfulness',
		helpfulness_help: 'How much the reply helps the prompter reach their goal.',
		creativity: 'Creativity',
		creativity_help: 'How original and imaginative it is, beyond the obvious answer.',
		violence: 'Violence',
		violence_help: 'How much it describes or encourages violence, abuse, terrorism or self-harm.'
	},
	{
		de: {
			spam: 'Ist das Spam?',
			spam_help: 'Absichtlich lieblos, am Thema vorbei, Unsinn oder Werbung: etwas, womit niemand ein Modell trainieren sollte.',
			fails_task: 'Verfehlt es die Aufgabe?',
			fails_task_help: 'Die Antwort übergeht oder verfehlt, worum der Nutzer eigentlich gebeten hat.',
			lang_mismatch: 'Falsche Sprache',
			lang_mismatch_help: 'In einer anderen Sprache geschrieben als der, die für diese Unterhaltung gewählt ist.',
			pii: 'Persönliche Daten',
			pii_help: 'Enthält Angaben, mit denen sich eine echte Privatperson erkennen lässt: Namen mit Adressen, Telefonnummern, E-Mail-Adressen, Ausweisnummern.',
			not_appropriate: 'Unangemessen',
			not_appropriate_help: 'Passt nicht in einen Datensatz für einen hilfreichen Assistenten, auch wenn keine andere Markierung genau zutrifft.',
			hate_speech: 'Hassrede',
			hate_speech_help: 'Beleidigt oder bedroht Menschen wegen eines geschützten Merkmals wie Herkunft, Religion, Geschlecht oder sexueller Orientierung.',
			sexual_content: 'Sexuelle Inhalte',
			sexual_content_help: 'Enthält sexuell explizites oder anzügliches Material.',
			moral_judgement: 'Moralisches Urteil',
			moral_judgement_help: 'Urteilt darüber, was richtig oder falsch ist, statt einfach zu antworten.',
			political_content: 'Politische Ansichten',
			political_content_help: 'Bezieht in einer politischen Frage Stellung.',
			quality: 'Qualität',
			quality_help: 'Dein Gesamteindruck: niedrig für schlecht, hoch für hervorragend.',
			toxicity: 'Toxizität',
			toxicity_help: 'Wie unhöflich, beleidigend, vulgär oder herabsetzend es ist.',
			humor: 'Humor',
			humor_help: 'Wie witzig es ist oder sein will, Sarkasmus eingeschlossen.',
			helpfulness: 'Nützlichkeit',
			helpfulness_help: 'Wie sehr die Antwort dem Nutzer hilft, sein Ziel zu erreichen.',
			creativity: 'Kreativität',
			creativity_help: 'Wie originell und einfallsreich es ist, über die naheliegende Antwort hinaus.',
			violence: 'Gewalt',
			violence_help: 'Wie sehr es Gewalt, Missbrauch, Terrorismus oder Selbstverletzung beschreibt oder dazu ermutigt.'
		}
	}
);

type Key = Parameters<typeof t>[0];

/** The question of label `name` in the interface language; `fallback` (the server's text) for a label this client does not know. */
export function labelText(name: string, fallback: string): string {
	return Object.hasOwn(t.catalogues.en, name) && !name.endsWith('_help') ? t(name as Key) : fallback;
}

/** The help text of label `name` in the interface language; `fallback` for a label this client does not know. */
export function labelHelp(name: string, fallback: string): string {
	const key = `${name}_help`;
	return Object.hasOwn(t.catalogues.en, key) ? t(key as Key) : fallback;
}
