import { describe, expect, it } from 'vitest';
import { V, initialParameters, logitsOf, lossAndGradient, parameterCount, parameterLossAndGradient, symbol, trainLocally, transitionCounts, unsupportedMode } from './bigram.js';
import type { TrainingMode } from './model.js';
import type { SftExample } from './datasets.js';
import { seededRandom } from '../testing/random.js';

const ex = (id: string, user: string, assistant: string): SftExample => ({
	kind: 'sft',
	treeId: id,
	id,
	messages: [
		{ role: 'user', content: user },
		{ role: 'assistant', content: assistant }
	]
});
const batch = [ex('a', 'Hi there', 'Hello! How can I help?'), ex('b', 'What is 2+2?', 'It is 4.\nAnything else? ✓')];

describe('character bigram model', () => {
	it('maps characters to 98 symbols', () => {
		expect(symbol(' '.charCodeAt(0))).toBe(2);
		expect(symbol('~'.charCodeAt(0))).toBe(96);
		expect(symbol(10)).toBe(97);
		expect(symbol('✓'.charCodeAt(0))).toBe(1);
	});

	it('counts every transition, boundaries included', () => {
		const { counts, total } = transitionCounts(batch);
		expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
		const text = 'User: Hi there\nAssistant: Hello! How can I help?\n';
		expect(transitionCounts([batch[0]!]).total).toBe(text.length + 1);
	});

	it('has loss ln V at uniform logits and an exact gradient (finite differences)', () => {
		const { counts, total } = transitionCounts(batch);
		expect(lossAndGradient(new Float32Array(V * V), counts, total)).toBeCloseTo(Math.log(V), 10);
		const r = seededRandom(3);
		const params = new Float32Array(V * V).map(() => r() - 0.5);
		const grad = new Float32Array(V * V);
		lossAndGradient(params, counts, total, grad);
		const h = 1e-2;
		for (const i of [0, V + 5, 55 * V + 69, symbol(72) * V + symbol(105), V * V - 1]) {
			const plus = Float32Array.from(params);
			const minus = Float32Array.from(params);
			plus[i]! += h;
			minus[i]! -= h;
			const numeric = (lossAndGradient(plus, counts, total) - lossAndGradient(minus, counts, total)) / (2 * h);
			expect(grad[i]!).toBeCloseTo(numeric, 4);
		}
	});

	it('local AdamW steps lower the loss on the data they saw', () => {
		const params = new Float32Array(V * V);
		const { delta, trainLoss, tokens } = trainLocally(params, [batch, batch, batch], { lr: 0.1, clip: 1, weightDecay: 0 });
		const { counts, total } = transitionCounts(batch);
		expect(tokens).toBe(3 * total);
		expect(trainLoss).toBeLessThan(Math.log(V));
		const after = Float32Array.from(params, (x, i) => x + delta[i]!);
		expect(lossAndGradient(after, counts, total)).toBeLessThan(Math.log(V) - 0.5);
	});

	it('LoRA: W = (α/r)·B·A, PEFT layout, exact chain-rule gradient, and it trains', () => {
		const mode: TrainingMode = { kind: 'lora', rank: 3, alpha: 6, targets: ['logits'] };
		expect(parameterCount(mode)).toBe(2 * V * 3);
		expect(unsupportedMode(mode)).toBeNull();
		expect(unsupportedMode({ ...mode, targets: ['q_proj'] })).toMatch(/logits/);
		const init = initialParameters(mode, 9);
		expect(init.subarray(3 * V).every((x) => x === 0)).toBe(true); // B starts at zero…
		expect(Math.max(...init.subarray(0, 3 * V).map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(V)); // …A is Kaiming-uniform
		expect(logitsOf(init, mode).every((x) => x === 0)).toBe(true);

		const r = seededRandom(11);
		const params = new Float32Array(parameterCount(mode)).map(() => r() - 0.5);
		// One entry by hand: W[a][b] = 2 · Σ_k B[a][k] A[k][b]
		const W = logitsOf(params, mode);
		const [a, b] = [5, 17];
		let expected = 0;
		for (let k = 0; k < 3; k++) expected += params[3 * V + a * 3 + k]! * params[k * V + b]!;
		expect(W[a * V + b]).toBeCloseTo(2 * expected, 5);

		const { counts, total } = transitionCounts(batch);
		const grad = new Float32Array(params.length);
		parameterLossAndGradient(params, mode, counts, total, grad);
		const h = 1e-2;
		for (const i of [0, 40, 2 * V + 7, 3 * V, 3 * V + 100, 6 * V - 1]) {
			const plus = Float32Array.from(params);
			const minus = Float32Array.from(params);
			plus[i]! += h;
			minus[i]! -= h;
			const numeric = (parameterLossAndGradient(plus, mode, counts, total) - parameterLossAndGradient(minus, mode, counts, total)) / (2 * h);
			expect(grad[i]!).toBeCloseTo(numeric, 4);
		}
		const { delta } = trainLocally(init, [batch, batch, batch, batch], { lr: 0.1, clip: 1, weightDecay: 0 }, mode);
		const after = Float32Array.from(init, (x, i) => x + delta[i]!);
		expect(parameterLossAndGradient(after, mode, counts, total)).toBeLessThan(Math.log(V) - 0.2);
	});
});
