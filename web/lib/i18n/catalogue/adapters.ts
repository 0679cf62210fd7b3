/** LoRA adapters: the chat's adapter picker and the training job's PEFT downloads. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'adapters',
	{
		pickerLabel: 'LoRA adapter',
		none: 'None (base model only)',
		option: '{base} + adapter of job “{job}” (version {version})',
		groupSaved: 'Saved on this device',
		groupServer: 'Finished training jobs (downloaded once)',
		downloading: 'Downloading the adapter… {done, number, percent}',
		saved: 'The adapter is saved on this device and works offline.',
		failed: 'The adapter could not be downloaded: {message}',
		noStore: 'This browser has no private file storage (OPFS), so adapters cannot be saved on this device.',
		otherTab: 'Another tab is downloading this adapter; try again in a moment.',
		offline: 'You are offline: only adapters saved on this device are offered.',
		title: 'Adapter (PEFT)',
		intro: 'Each trained version of this LoRA adapter, as a Hugging Face PEFT folder: load it with PeftModel.from_pretrained, with npx oasis generate --adapter, or pick it in the chat.',
		version: 'Version {version}',
		newest: 'newest',
		loss: 'held-out loss {loss}',
		download: 'Download adapter (PEFT): {file}',
		noVersion: 'No trained version yet: the first one appears when the first round closes.',
		notLora: 'This job trains every parameter of the model, so it has no adapter to download.',
		loadFailed: 'The adapter versions could not be loaded: {message}'
	},
	{
		de: {
			pickerLabel: 'LoRA-Adapter',
			none: 'Keiner (nur das Basismodell)',
			option: '{base} + Adapter des Jobs „{job}“ (Version {version})',
			groupSaved: 'Auf diesem Gerät gespeichert',
			groupServer: 'Abgeschlossene Trainingsjobs (einmal heruntergeladen)',
			downloading: 'Der Adapter wird heruntergeladen… {done, number, percent}',
			saved: 'Der Adapter ist auf diesem Gerät gespeichert und funktioniert auch offline.',
			failed: 'Der Adapter konnte nicht heruntergeladen werden: {message}',
			noStore: 'Dieser Browser hat keinen privaten Dateispeicher (OPFS), daher können Adapter auf diesem Gerät nicht gespeichert werden.',
			otherTab: 'Ein anderer Tab lädt diesen Adapter gerade herunter; versuche es gleich noch einmal.',
			offline: 'Du bist offline: Es werden nur Adapter angeboten, die auf diesem Gerät gespeichert sind.',
			title: 'Adapter (PEFT)',
			intro: 'Jede trainierte Version dieses LoRA-Adapters als Hugging-Face-PEFT-Ordner: Lade sie mit PeftModel.from_pretrained, mit npx oasis generate --adapter oder wähle sie im Chat.',
			version: 'Version {version}',
			newest: 'neueste',
			loss: 'Verlust auf den zurückgehaltenen Daten {loss}',
			download: 'Adapter herunterladen (PEFT): {file}',
			noVersion: 'Noch keine trainierte Version: Die erste erscheint, wenn die erste Runde abgeschlossen ist.',
			notLora: 'Dieser Job trainiert alle Parameter des Modells, daher gibt es keinen Adapter zum Herunterladen.',
			loadFailed: 'Die Adapter-Versionen konnten nicht geladen werden: {message}'
		}
	}
);
