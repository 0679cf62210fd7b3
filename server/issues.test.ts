import { describe, expect, it } from 'vitest';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { z } from 'zod';
import { inputIssues, MAX_VALUES, type InputIssue } from './issues.js';
import type { Context } from './context.js';
import { publicProcedure, router } from './trpc.js';

function issuesOf(schema: z.ZodType, input: unknown): InputIssue[] {
	const parsed = schema.safeParse(input);
	if (parsed.success) throw new Error('expected the input to fail');
	return inputIssues(parsed.error, input);
}

describe('input issues as codes and limits', () => {
	it('gives the limits of too_small and too_big, by what they measure', () => {
		const schema = z.object({ text: z.string().max(2000), password: z.string().min(8, 'use at least 8 characters'), turns: z.array(z.string()).min(1), rounds: z.number().int().gt(0), code: z.string().length(2) });
		const issues = issuesOf(schema, { text: 'x'.repeat(2001), password: 'short', turns: [], rounds: 0, code: 'abc' });
		expect(issues.map(({ message: _, ...rest }) => rest)).toEqual([
			{ path: ['text'], code: 'too_big', origin: 'string', limit: 2000, inclusive: true },
			{ path: ['password'], code: 'too_small', origin: 'string', limit: 8, inclusive: true },
			{ path: ['turns'], code: 'too_small', origin: 'array', limit: 1, inclusive: true },
			{ path: ['rounds'], code: 'too_small', origin: 'number', limit: 0, inclusive: false },
			{ path: ['code'], code: 'too_big', origin: 'string', limit: 2, inclusive: true, exact: true }
		]);
		// The schema's own English stays beside the codes, for clients with no words of their own.
		expect(issues[1]!.message).toBe('use at least 8 characters');
	});

	it('tells a missing field from one of the wrong type, and never echoes the input', () => {
		const schema = z.object({ name: z.string(), count: z.number().int(), nested: z.object({ flag: z.boolean() }) });
		const issues = issuesOf(schema, { count: 1.5, nested: { flag: 'secret text' } });
		expect(issues.map(({ message: _, ...rest }) => rest)).toEqual([
			{ path: ['name'], code: 'invalid_type', expected: 'string', missing: true },
			{ path: ['count'], code: 'invalid_type', expected: 'int' },
			{ path: ['nested', 'flag'], code: 'invalid_type', expected: 'boolean' }
		]);
		expect(JSON.stringify(issues)).not.toContain('secret text');
	});

	it('lists the allowed values (capped), formats, divisors and unknown keys', () => {
		const many = Array.from({ length: MAX_VALUES + 3 }, (_, i) => `v${i}`) as [string, ...string[]];
		const schema = z.strictObject({ role: z.enum(['prompter', 'assistant']), lang: z.enum(many), email: z.email(), step: z.number().multipleOf(5), list: z.array(z.object({ id: z.uuid() })) });
		const issues = issuesOf(schema, { role: 'robot', lang: 'xx', email: 'nope', step: 7, list: [{ id: 'abc' }], extra: 1 });
		expect(issues.map(({ message: _, ...rest }) => rest)).toEqual([
			{ path: ['role'], code: 'invalid_value', values: ['prompter', 'assistant'] },
			{ path: ['lang'], code: 'invalid_value', values: many.slice(0, MAX_VALUES), moreValues: true },
			{ path: ['email'], code: 'invalid_format', format: 'email' },
			{ path: ['step'], code: 'not_multiple_of', divisor: 5 },
			{ path: ['list', 0, 'id'], code: 'invalid_format', format: 'uuid' },
			{ path: [], code: 'unrecognized_keys', keys: ['extra'] }
		]);
	});
});

describe('the tRPC error formatter', () => {
	const testRouter = router({
		echo: publicProcedure.input(z.object({ text: z.string().trim().min(1).max(20), lang: z.enum(['en', 'de']) })).query(({ input }) => input)
	});
	const call = async (input: unknown) => {
		const url = `http://localhost/api/trpc/echo?input=${encodeURIComponent(JSON.stringify(input))}`;
		const res = await fetchRequestHandler({ endpoint: '/api/trpc', router: testRouter, req: new Request(url), createContext: () => ({ headers: new Headers() }) as unknown as Context });
		return { status: res.status, body: (await res.json()) as { error: { data: { code: string; issues: InputIssue[] | null; zodError: unknown; rule: string | null } } } };
	};

	it('sends input failures as codes and limits beside the flattened zod error', async () => {
		const { status, body } = await call({ text: 'x'.repeat(21), lang: 'fr' });
		expect(status).toBe(400);
		expect(body.error.data.code).toBe('BAD_REQUEST');
		expect(body.error.data.rule).toBeNull();
		expect(body.error.data.zodError).toMatchObject({ fieldErrors: { text: [expect.any(String)], lang: [expect.any(String)] } });
		expect(body.error.data.issues).toEqual([
			{ path: ['text'], code: 'too_big', origin: 'string', limit: 20, inclusive: true, message: expect.any(String) },
			{ path: ['lang'], code: 'invalid_value', values: ['en', 'de'], message: expect.any(String) }
		]);
		const missing = await call({ lang: 'en' });
		expect(missing.body.error.data.issues).toEqual([{ path: ['text'], code: 'invalid_type', expected: 'string', missing: true, message: expect.any(String) }]);
	});
});
