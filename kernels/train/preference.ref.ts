/**
 * Float64 references of the preference losses (reward model and DPO) on per-pair scalars.
 *
 *   Reward model: pairs p = 1..P with rewards r_c (chosen), r_r (rejected), Δ = r_c − r_r:
 *     L = (1/P) Σ_p [ −log σ(Δ_p) + λ·(r_c² + r_r²) ]
 *   DPO: sequence log-probs π (policy) and ρ (frozen reference) of chosen and rejected,
 *     z = β·((π_c − ρ_c) − (π_r − ρ_r)):  L = (1/P) Σ_p −log σ(z_p)
 */

/** −log σ(x) = softplus(−x), stable for large |x|. */
export function negLogSigmoid(x: number): number {
	return x >= 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

/** σ(x). */
export function sigmoid(x: number): number {
	return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Pairwise reward loss and its derivatives with respect to each reward. */
export function rewardLossRef(
	chosen: ArrayLike<number>,
	rejected: ArrayLike<number>,
	l2: number
): { loss: number; dChosen: Float64Array; dRejected: Float64Array; accuracy: number } {
	const P = chosen.length;
	const dChosen = new Float64Array(P);
	const dRejected = new Float64Array(P);
	let loss = 0;
	let right = 0;
	for (let p = 0; p < P; p++) {
		const d = chosen[p] - rejected[p];
		loss += (negLogSigmoid(d) + l2 * (chosen[p] ** 2 + rejected[p] ** 2)) / P;
		const g = -sigmoid(-d);
		dChosen[p] = (g + 2 * l2 * chosen[p]) / P;
		dRejected[p] = (-g + 2 * l2 * rejected[p]) / P;
		if (d > 0) right++;
	}
	return { loss, dChosen, dRejected, accuracy: right / P };
}

/** DPO loss and its derivatives with respect to the policy log-probs. */
export function dpoLossRef(
	policyChosen: ArrayLike<number>,
	policyRejected: ArrayLike<number>,
	refChosen: ArrayLike<number>,
	refRejected: ArrayLike<number>,
	beta: number
): { loss: number; dChosen: Float64Array; dRejected: Float64Array; accuracy: number } {
	const P = policyChosen.length;
	const dChosen = new Float64Array(P);
	const dRejected = new Float64Array(P);
	let loss = 0;
	let right = 0;
	for (let p = 0; p < P; p++) {
		const z = beta * (policyChosen[p] - refChosen[p] - (policyRejected[p] - refRejected[p]));
		loss += negLogSigmoid(z) / P;
		const g = (-beta * sigmoid(-z)) / P;
		dChosen[p] = g;
		dRejected[p] = -g;
		if (z > 0) right++;
	}
	return { loss, dChosen, dRejected, accuracy: right / P };
}
