/** The landing page. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'landing',
	{
		title: 'Oasis — an open assistant, built by people, running in your browser',
		heading: 'An open assistant, built by people, running on your device',
		intro: 'Oasis is Open Assistant rebuilt for the browser. Volunteers write, label and rank conversations; the assistant trained on them runs entirely in your browser, and anyone can lend their GPU to train the next version.',
		ways: 'Ways to take part',
		chatHeading: 'Chat privately',
		chatText: 'A quantized model runs on WebGPU in this tab. Nothing you type leaves your device.',
		contributeHeading: 'Contribute',
		contributeText: 'Write prompts and replies, label and rank them — also offline on your phone. Your work is queued and synced.',
		gpuHeading: 'Lend your GPU',
		gpuText: 'Join distributed fine-tuning jobs from a browser tab.',
		gpuLink: 'Check what your device can do.'
	},
	{
		de: {
			title: 'Oasis – ein offener Assistent, von Menschen gebaut, läuft in deinem Browser',
			heading: 'Ein offener Assistent, von Menschen gebaut, läuft auf deinem Gerät',
			intro: 'Oasis ist Open Assistant, neu gebaut für den Browser. Freiwillige schreiben, bewerten und ordnen Unterhaltungen; der damit trainierte Assistent läuft vollständig in deinem Browser, und alle können ihre GPU leihen, um die nächste Version zu trainieren.',
			ways: 'Wie du mitmachen kannst',
			chatHeading: 'Privat chatten',
			chatText: 'Ein quantisiertes Modell läuft per WebGPU in diesem Tab. Nichts, was du eingibst, verlässt dein Gerät.',
			contributeHeading: 'Mitmachen',
			contributeText: 'Schreib Prompts und Antworten, bewerte und ordne sie – auch offline auf dem Handy. Deine Arbeit wird zwischengespeichert und synchronisiert.',
			gpuHeading: 'Leih deine GPU',
			gpuText: 'Mach bei verteilten Fine-Tuning-Aufträgen aus einem Browser-Tab heraus mit.',
			gpuLink: 'Prüf, was dein Gerät kann.'
		}
	}
);
