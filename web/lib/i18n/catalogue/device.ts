/** The device page: the WebGPU adapter, its features and limits, and the kernel self-check. */
import { defineMessages } from '../messages';

export const t = defineMessages(
	'device',
	{
		title: 'Your device',
		intro: "What your browser's GPU offers Oasis for chatting and training, checked by running our kernels on it.",
		checking: 'Checking your GPU…',
		tryAgain: 'Try again',
		adapter: 'Adapter',
		vendor: 'Vendor',
		architecture: 'Architecture',
		unknown: 'unknown',
		onCpu: '{architecture} (software, runs on the CPU)',
		f16: 'Half precision (shader-f16)',
		f16Missing: 'no — models run in f32',
		subgroups: 'Subgroups',
		yes: 'yes',
		no: 'no',
		maxBinding: 'Largest buffer binding',
		maxBuffer: 'Largest buffer',
		mib: '{n, number} MiB',
		selfCheck: 'Kernel self-check',
		allMatch: 'All kernels match their CPU references.',
		someDisagree: 'Some kernels disagree with their CPU references.',
		colKernel: 'Kernel',
		colShape: 'Shape',
		colMaxError: 'Max error',
		colResult: 'Result',
		errorWithin: '{error} (≤ {tolerance})',
		match: 'match',
		mismatch: 'mismatch',
		kernel: '{kernel, select, linear {linear (f32)} rmsnorm {RMSNorm} other {{kernel}}}',
		problem:
			'{code, select, no_webgpu {WebGPU is not available in this browser. Use a browser with WebGPU (Chrome or Edge 113 or newer) to chat and train on this device.} no_adapter {The browser found no WebGPU adapter. Check that hardware acceleration is on (chrome://gpu shows it), then try again.} device_lost {The GPU stopped responding during the check. Try again; if it keeps happening, close other tabs that use the GPU.} other {The GPU check failed: {detail}}}'
	},
	{
		de: {
			title: 'Dein Gerät',
			intro: 'Was die GPU deines Browsers Oasis zum Chatten und Trainieren bietet – geprüft, indem unsere Kernels darauf laufen.',
			checking: 'Deine GPU wird geprüft …',
			tryAgain: 'Erneut versuchen',
			adapter: 'Adapter',
			vendor: 'Hersteller',
			architecture: 'Architektur',
			unknown: 'unbekannt',
			onCpu: '{architecture} (Software, läuft auf der CPU)',
			f16: 'Halbe Genauigkeit (shader-f16)',
			f16Missing: 'nein – Modelle laufen in f32',
			subgroups: 'Subgroups',
			yes: 'ja',
			no: 'nein',
			maxBinding: 'Größte Puffer-Bindung',
			maxBuffer: 'Größter Puffer',
			mib: '{n, number} MiB',
			selfCheck: 'Kernel-Selbsttest',
			allMatch: 'Alle Kernels stimmen mit ihren CPU-Referenzen überein.',
			someDisagree: 'Einige Kernels weichen von ihren CPU-Referenzen ab.',
			colKernel: 'Kernel',
			colShape: 'Form',
			colMaxError: 'Max. Fehler',
			colResult: 'Ergebnis',
			errorWithin: '{error} (≤ {tolerance})',
			match: 'stimmt',
			mismatch: 'weicht ab',
			kernel: '{kernel, select, linear {linear (f32)} rmsnorm {RMSNorm} other {{kernel}}}',
			problem:
				'{code, select, no_webgpu {WebGPU ist in diesem Browser nicht verfügbar. Nutze einen Browser mit WebGPU (Chrome oder Edge ab Version 113), um auf diesem Gerät zu chatten und zu trainieren.} no_adapter {Der Browser hat keinen WebGPU-Adapter gefunden. Prüfe, ob die Hardwarebeschleunigung eingeschaltet ist (chrome://gpu zeigt es), und versuche es dann erneut.} device_lost {Die GPU hat während des Tests nicht mehr reagiert. Versuche es erneut; passiert es wieder, schließe andere Tabs, die die GPU nutzen.} other {Der GPU-Test ist fehlgeschlagen: {detail}}}'
		}
	}
);
