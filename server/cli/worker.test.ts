import { describe, expect, it } from 'vitest';
import { UsageError } from './command.js';
import { parseWorkerArgs } from './worker.js';

const JOB = '5b0c2a4e-1f3d-4c1a-9a8b-0d2e3f4a5b6c';

describe('oasis worker: command line', () => {
	it('takes a server, one way to sign in, jobs and model folders', () => {
		const o = parseWorkerArgs(['--server', 'https://oasis.example.org/', '--session', 'oasis_session=abc%3D', '--jobs', `${JOB}, ${JOB}`, '--once', '--model', 'big=/models/big', '--worker-id', 'gpu-box'], {});
		expect(o).toMatchObject({ server: 'https://oasis.example.org', session: 'abc%3D', jobs: [JOB, JOB], once: true, workerId: 'gpu-box' });
		expect([...o.models]).toEqual([['oasis-tiny', 'public/models/oasis-tiny'], ['big', '/models/big']]);
		expect(parseWorkerArgs(['--server', 'http://localhost:5173', '--email', 'a@b.c'], { OASIS_PASSWORD: 'secret123' })).toMatchObject({ email: 'a@b.c', password: 'secret123' });
		expect(parseWorkerArgs(['--server', 'http://localhost:5173'], { OASIS_SESSION: 'tok' }).session).toBe('tok');
		expect(parseWorkerArgs(['--server', 'http://localhost:5173', '--dev-login', 'al']).workerId).toMatch(/^cli-[A-Za-z0-9._-]+$/);
	});

	it.each([
		[[], /--server URL is required/],
		[['--server', 'oasis'], /must be a URL/],
		[['--server', 'ftp://x.org', '--dev-login', 'a'], /http or https/],
		[['--server', 'http://x.org'], /sign in with one of --session/],
		[['--server', 'http://x.org', '--session', 's', '--dev-login', 'a'], /only one of/],
		[['--server', 'http://x.org', '--email', 'a@b.c'], /--email needs --password/],
		[['--server', 'http://x.org', '--dev-login', 'a', '--jobs', 'seven'], /job ids \(UUIDs\), got "seven"/],
		[['--server', 'http://x.org', '--dev-login', 'a', '--model', 'tiny'], /--model takes ID=FOLDER/],
		[['--server', 'http://x.org', '--dev-login', 'a', '--worker-id', 'my box'], /--worker-id must be/]
	] as const)('refuses %j in words', (args, message) => {
		expect(() => parseWorkerArgs([...args], {})).toThrow(UsageError);
		expect(() => parseWorkerArgs([...args], {})).toThrow(message);
	});
});
