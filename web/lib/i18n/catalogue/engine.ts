/**
 * The in-browser engines: why a model cannot run here (capabilities.ts), engine errors
 * (errors.ts; the worker sends a key and values, the page words them), loading progress and
 * model downloads (download/manager.ts).
 *
 * Keys starting with `err` and `load` are also matched against the English text an engine sent
 * (see errors.ts `localizeEngineText`): keep their English exactly as the engines write it.
 */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'engine',
	{
		// Units (formatBytes)
		bytesB: '{n} B',
		bytesKB: '{n} KB',
		bytesMB: '{n} MB',
		bytesGB: '{n} GB',

		// Why a model does not run here (capabilities.ts)
		reasonNoWebgpu: 'WebGPU is not available in this browser — models that run on WASM are offered instead.',
		reasonNoAdapter: 'This browser has WebGPU but found no usable GPU (is hardware acceleration off?) — models that run on WASM are offered instead.',
		reasonF16: 'Needs shader-f16, which this GPU does not offer.',
		reasonBuffer: 'Needs about {needed} of GPU buffer, this device allows {allowed}.',
		reasonMemory: 'Needs about {needed} of memory, this device has {has}.',
		reasonStorage: 'Needs {needed} of storage, this browser lets the app use {free} more.',

		// Engine errors (errors.ts and the engines)
		errNotDownloaded: '{name} is not downloaded to this device yet. Download it on the Models page, then choose it again.',
		errDeviceLost: 'The GPU was reset (device lost). Your chat is saved; reload the model or the page to continue.',
		errNoWebgpu: 'This browser cannot run models on the GPU: {detail} Try Chrome or Edge 113+ with hardware acceleration on.',
		errCannotHold: 'This device cannot hold this model: {detail} Choose a smaller model.',
		errGpuOom: 'The GPU ran out of memory. Your chat is saved; choose a smaller model or close other tabs and reload.',
		errGpuInternal: '{detail} Reload the page to start a fresh GPU device.',
		errTooLarge: '{detail}. Choose a smaller model or start a new chat.',
		errModelLoad: 'The model could not be loaded: {detail}. Check your connection and try again.',
		errOom: 'Out of memory. Your chat is saved; choose a smaller model or reload the page.',
		errUnknown: 'Unknown engine error',
		errNotLoaded: 'No model is loaded; load one first.',
		errBusy: 'A reply is being generated; stop it or wait for it to finish.',
		errGpuResetLoadAgain: 'The GPU was reset; load the model again.',
		errEngineClosed: 'The engine was closed.',
		errWorkerStopped: 'The engine worker stopped ({detail}). Reload the page.',
		errUnknownModel: "Unknown model ''{id}''. Pick one from the list.",
		errNoTokenizer: '{name} has no tokenizer.json.',
		errBuildCannotRun: 'This app build cannot run {engine} models. Choose another model.',
		errEngineLoad: 'The {engine} engine could not be loaded ({detail}). Check your connection and try again.',
		errTooLong: 'The message is too long for {name} ({tokens} tokens, at most {max}). Shorten it or start a new chat.',
		errNoAdapterFor: 'This browser cannot run {name} on the GPU (no WebGPU adapter). Choose its WASM (CPU) version, or use Chrome or Edge 113+ with hardware acceleration on.',
		errNeedsF16: '{name} needs 16-bit GPU floats (shader-f16), which this GPU lacks. Choose a q4 or WASM version of the model.',
		errCouldNotStartGpu: '{name} could not start on the GPU ({detail}). Choose its WASM (CPU) version, or use Chrome or Edge 113+ with hardware acceleration on.',
		errCouldNotDownload: '{name} could not be downloaded ({detail}). Check your connection and try again.',
		errDamaged: "{name}''s files are damaged or not a model this app can run ({detail}). Delete it on the Models page and download it again.",
		errWebllmNoWebgpu: 'WebLLM models need WebGPU, which this browser does not offer. Try Chrome or Edge 113+ with hardware acceleration on, or pick a model that runs on WASM.',
		errWebllmFeature: 'This GPU lacks a feature the model needs ({detail}). Choose a q4f32 build of the model instead.',
		errWebllmOom: 'The GPU ran out of memory loading this model (device lost). Reload the page and choose a smaller model or a shorter context.',
		errWebllmContext: "The chat is longer than the model''s context window. Start a new chat or delete some earlier messages.",
		errWebllmContinue: 'WebLLM models can only answer a user message: they cannot continue a cut-off reply. Regenerate the reply instead.',
		errWebllmUnknown: 'WebLLM does not know this model ({detail}). Pick another from the Models page.',
		errWebllmIntegrity: 'A downloaded WebLLM file failed its integrity check and was not used. Try loading the model again.',
		errWebllmNoRoom: 'The browser has no room to store this model. Delete other models on the Models page, or pick a smaller one.',
		errWebllmDownload: 'Could not download the model from Hugging Face. Check your connection and try again (files already fetched are kept).',
		// When an engine sent a sentence this catalogue does not know (worded by its code)
		fallbackNoWebgpu: 'This browser cannot run this model on the GPU ({detail}). Try Chrome or Edge 113+ with hardware acceleration on, or choose a model that runs on WASM.',
		fallbackDeviceLost: 'The GPU was reset ({detail}). Your chat is saved; reload the model or the page to continue.',
		fallbackOutOfMemory: 'This device has too little memory for this model ({detail}). Choose a smaller model.',
		fallbackModelLoad: 'The model could not be loaded ({detail}). Check your connection and try again.',
		fallbackNotLoaded: 'No model is loaded ({detail}); load one first.',
		fallbackBusy: 'The engine is busy ({detail}); wait for the reply to finish or stop it.',
		fallbackBadRequest: 'The engine refused the request ({detail}).',
		fallbackWorkerCrashed: 'The engine worker stopped ({detail}). Reload the page.',
		fallbackInternal: 'Something went wrong in the engine ({detail}). Reload the page.',

		// Loading progress (sent by the engines in the worker)
		loadStartingGpu: 'Starting the GPU…',
		loadReadingModel: 'Reading the model…',
		loadFetching: 'Fetching {file}…',
		loadWeights: 'Loading weights {done}/{total}',
		loadReadingStored: 'Reading {file} from this device…',
		loadReady: 'Ready',
		loadTransformers: 'Loading Transformers.js…',
		loadWebllm: 'Loading WebLLM…',

		// Downloads (download/manager.ts)
		dlNoFiles: '{name} has no files to download.',
		dlQuota: "{name} needs {needed} more storage, but only {free} is free. Delete another model or free space in the browser''s site settings.",
		dlCorrupt: "{file} of {name} failed its SHA-256 check twice (the server sent different bytes than the catalogue lists). Try again later; if it keeps failing, the model''s files have changed.",
		dlRefetch: '{file} arrived damaged (SHA-256 mismatch); it was discarded and is being fetched again.',
		dlResuming: 'Resuming {file} from {from}.',
		dlPaused: 'Download paused. Press Resume to continue where it stopped.',
		dlUnreachable: 'Could not reach {host}: check your connection and press Resume; {kept} already downloaded are kept.',
		dlWrongRange: 'The server answered a resume of {file} with the wrong range ({range}). Press Resume to try again.',
		dlNoRange: 'none',
		dlHttp: 'The server answered {status} for {file}. Try again later.',
		dlDropped: 'The connection dropped while fetching {file}: {kept} of {total} are kept. Press Resume to continue.',
		dlRefused: 'The browser refused to store more: delete another model or free space in the site settings, then press Resume.',
		dlEndedEarly: '{file} ended early ({got} of {size}); the bytes are kept. Press Resume to continue.'
	},
	{
		de: {
			bytesB: '{n} B',
			bytesKB: '{n} KB',
			bytesMB: '{n} MB',
			bytesGB: '{n} GB',

			reasonNoWebgpu: 'WebGPU ist in diesem Browser nicht verfügbar – stattdessen werden Modelle angeboten, die auf WASM laufen.',
			reasonNoAdapter: 'Dieser Browser hat WebGPU, aber keine nutzbare GPU gefunden (ist die Hardwarebeschleunigung aus?) – stattdessen werden Modelle angeboten, die auf WASM laufen.',
			reasonF16: 'Braucht shader-f16, das diese GPU nicht bietet.',
			reasonBuffer: 'Braucht etwa {needed} GPU-Puffer, dieses Gerät erlaubt {allowed}.',
			reasonMemory: 'Braucht etwa {needed} Arbeitsspeicher, dieses Gerät hat {has}.',
			reasonStorage: 'Braucht {needed} Speicherplatz, dieser Browser erlaubt der App nur noch {free}.',

			errNotDownloaded: '{name} ist noch nicht auf dieses Gerät heruntergeladen. Lade es auf der Seite „Modelle“ herunter und wähle es dann erneut aus.',
			errDeviceLost: 'Die GPU wurde zurückgesetzt (Gerät verloren). Dein Chat ist gespeichert; lade das Modell oder die Seite neu, um weiterzumachen.',
			errNoWebgpu: 'Dieser Browser kann keine Modelle auf der GPU ausführen: {detail} Versuch es mit Chrome oder Edge ab Version 113 und eingeschalteter Hardwarebeschleunigung.',
			errCannotHold: 'Dieses Modell passt nicht auf dieses Gerät: {detail} Wähl ein kleineres Modell.',
			errGpuOom: 'Der GPU ist der Speicher ausgegangen. Dein Chat ist gespeichert; wähl ein kleineres Modell oder schließ andere Tabs und lade neu.',
			errGpuInternal: '{detail} Lade die Seite neu, um ein frisches GPU-Gerät zu starten.',
			errTooLarge: '{detail}. Wähl ein kleineres Modell oder beginne einen neuen Chat.',
			errModelLoad: 'Das Modell konnte nicht geladen werden: {detail}. Prüf deine Verbindung und versuch es noch einmal.',
			errOom: 'Kein Speicher mehr frei. Dein Chat ist gespeichert; wähl ein kleineres Modell oder lade die Seite neu.',
			errUnknown: 'Unbekannter Fehler der Engine',
			errNotLoaded: 'Es ist kein Modell geladen; lade zuerst eins.',
			errBusy: 'Gerade wird eine Antwort erzeugt; halte sie an oder warte, bis sie fertig ist.',
			errGpuResetLoadAgain: 'Die GPU wurde zurückgesetzt; lade das Modell neu.',
			errEngineClosed: 'Die Engine wurde geschlossen.',
			errWorkerStopped: 'Der Engine-Worker wurde beendet ({detail}). Lade die Seite neu.',
			errUnknownModel: 'Unbekanntes Modell „{id}“. Wähl eins aus der Liste.',
			errNoTokenizer: '{name} hat keine tokenizer.json.',
			errBuildCannotRun: 'Diese Version der App kann keine {engine}-Modelle ausführen. Wähl ein anderes Modell.',
			errEngineLoad: 'Die Engine {engine} konnte nicht geladen werden ({detail}). Prüf deine Verbindung und versuch es noch einmal.',
			errTooLong: 'Die Nachricht ist zu lang für {name} ({tokens} Token, höchstens {max}). Kürze sie oder beginne einen neuen Chat.',
			errNoAdapterFor:
				'Dieser Browser kann {name} nicht auf der GPU ausführen (kein WebGPU-Adapter). Wähl die WASM-Version (CPU) oder nimm Chrome oder Edge ab Version 113 mit eingeschalteter Hardwarebeschleunigung.',
			errNeedsF16: '{name} braucht 16-Bit-Gleitkommazahlen auf der GPU (shader-f16), die diese GPU nicht hat. Wähl eine q4- oder WASM-Version des Modells.',
			errCouldNotStartGpu: '{name} konnte nicht auf der GPU starten ({detail}). Wähl die WASM-Version (CPU) oder nimm Chrome oder Edge ab Version 113 mit eingeschalteter Hardwarebeschleunigung.',
			errCouldNotDownload: '{name} konnte nicht heruntergeladen werden ({detail}). Prüf deine Verbindung und versuch es noch einmal.',
			errDamaged: 'Die Dateien von {name} sind beschädigt oder kein Modell, das diese App ausführen kann ({detail}). Lösch es auf der Seite „Modelle“ und lade es neu herunter.',
			errWebllmNoWebgpu:
				'WebLLM-Modelle brauchen WebGPU, das dieser Browser nicht bietet. Versuch es mit Chrome oder Edge ab Version 113 und eingeschalteter Hardwarebeschleunigung, oder wähl ein Modell, das auf WASM läuft.',
			errWebllmFeature: 'Dieser GPU fehlt eine Fähigkeit, die das Modell braucht ({detail}). Wähl stattdessen eine q4f32-Variante des Modells.',
			errWebllmOom: 'Der GPU ist beim Laden dieses Modells der Speicher ausgegangen (Gerät verloren). Lade die Seite neu und wähl ein kleineres Modell oder einen kürzeren Kontext.',
			errWebllmContext: 'Der Chat ist länger als das Kontextfenster des Modells. Beginne einen neuen Chat oder lösche einige frühere Nachrichten.',
			errWebllmContinue: 'WebLLM-Modelle können nur auf eine Nachricht von dir antworten, aber keine abgeschnittene Antwort fortsetzen. Erzeuge die Antwort stattdessen neu.',
			errWebllmUnknown: 'WebLLM kennt dieses Modell nicht ({detail}). Wähl auf der Seite „Modelle“ ein anderes.',
			errWebllmIntegrity: 'Eine heruntergeladene WebLLM-Datei hat die Integritätsprüfung nicht bestanden und wurde nicht verwendet. Lade das Modell noch einmal.',
			errWebllmNoRoom: 'Der Browser hat keinen Platz, um dieses Modell zu speichern. Lösch andere Modelle auf der Seite „Modelle“ oder wähl ein kleineres.',
			errWebllmDownload: 'Das Modell konnte nicht von Hugging Face heruntergeladen werden. Prüf deine Verbindung und versuch es noch einmal (schon geladene Dateien bleiben erhalten).',
			fallbackNoWebgpu:
				'Dieser Browser kann dieses Modell nicht auf der GPU ausführen ({detail}). Versuch es mit Chrome oder Edge ab Version 113 und eingeschalteter Hardwarebeschleunigung, oder wähl ein Modell, das auf WASM läuft.',
			fallbackDeviceLost: 'Die GPU wurde zurückgesetzt ({detail}). Dein Chat ist gespeichert; lade das Modell oder die Seite neu, um weiterzumachen.',
			fallbackOutOfMemory: 'Dieses Gerät hat zu wenig Speicher für dieses Modell ({detail}). Wähl ein kleineres Modell.',
			fallbackModelLoad: 'Das Modell konnte nicht geladen werden ({detail}). Prüf deine Verbindung und versuch es noch einmal.',
			fallbackNotLoaded: 'Es ist kein Modell geladen ({detail}); lade zuerst eins.',
			fallbackBusy: 'Die Engine ist beschäftigt ({detail}); warte, bis die Antwort fertig ist, oder halte sie an.',
			fallbackBadRequest: 'Die Engine hat die Anfrage abgelehnt ({detail}).',
			fallbackWorkerCrashed: 'Der Engine-Worker wurde beendet ({detail}). Lade die Seite neu.',
			fallbackInternal: 'In der Engine ist etwas schiefgegangen ({detail}). Lade die Seite neu.',

			loadStartingGpu: 'GPU wird gestartet …',
			loadReadingModel: 'Modell wird gelesen …',
			loadFetching: '{file} wird abgerufen …',
			loadWeights: 'Gewichte werden geladen: {done}/{total}',
			loadReadingStored: '{file} wird von diesem Gerät gelesen …',
			loadReady: 'Bereit',
			loadTransformers: 'Transformers.js wird geladen …',
			loadWebllm: 'WebLLM wird geladen …',

			dlNoFiles: '{name} hat keine Dateien zum Herunterladen.',
			dlQuota: '{name} braucht noch {needed} Speicherplatz, aber nur {free} sind frei. Lösch ein anderes Modell oder gib in den Website-Einstellungen des Browsers Platz frei.',
			dlCorrupt:
				'{file} von {name} hat die SHA-256-Prüfung zweimal nicht bestanden (der Server hat andere Bytes geschickt, als der Katalog angibt). Versuch es später noch einmal; scheitert es weiter, haben sich die Dateien des Modells geändert.',
			dlRefetch: '{file} kam beschädigt an (SHA-256 stimmt nicht); die Datei wurde verworfen und wird neu abgerufen.',
			dlResuming: '{file} wird ab {from} fortgesetzt.',
			dlPaused: 'Download pausiert. Drück „Fortsetzen“, um dort weiterzumachen, wo er aufgehört hat.',
			dlUnreachable: '{host} ist nicht erreichbar: Prüf deine Verbindung und drück „Fortsetzen“; die schon heruntergeladenen {kept} bleiben erhalten.',
			dlWrongRange: 'Der Server hat das Fortsetzen von {file} mit dem falschen Bereich beantwortet ({range}). Drück „Fortsetzen“, um es noch einmal zu versuchen.',
			dlNoRange: 'keiner',
			dlHttp: 'Der Server hat für {file} mit {status} geantwortet. Versuch es später noch einmal.',
			dlDropped: 'Beim Abrufen von {file} ist die Verbindung abgebrochen: {kept} von {total} bleiben erhalten. Drück „Fortsetzen“, um weiterzumachen.',
			dlRefused: 'Der Browser hat sich geweigert, mehr zu speichern: Lösch ein anderes Modell oder gib in den Website-Einstellungen Platz frei und drück dann „Fortsetzen“.',
			dlEndedEarly: '{file} endete zu früh ({got} von {size}); die Bytes bleiben erhalten. Drück „Fortsetzen“, um weiterzumachen.'
		}
	}
);
