/** A push-fed async iterable: producers `push`/`end`/`fail`, one consumer `for await`s. */
export class AsyncQueue<T> implements AsyncIterable<T> {
	private items: T[] = [];
	private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
	private done = false;
	private error: { e: unknown } | null = null;

	constructor(private readonly onCancel?: () => void) {}

	push(item: T): void {
		if (this.done) return;
		if (this.waiting) {
			const w = this.waiting;
			this.waiting = null;
			w.resolve({ value: item, done: false });
		} else this.items.push(item);
	}

	end(): void {
		this.done = true;
		if (this.waiting && this.items.length === 0) {
			const w = this.waiting;
			this.waiting = null;
			w.resolve({ value: undefined, done: true });
		}
	}

	fail(e: unknown): void {
		if (this.done) return;
		this.error = { e };
		this.done = true;
		if (this.waiting && this.items.length === 0) {
			const w = this.waiting;
			this.waiting = null;
			w.reject(e);
		}
	}

	[Symbol.asyncIterator](): AsyncIterator<T> {
		return {
			next: () => {
				if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
				if (this.error) {
					const e = this.error.e;
					this.error = null;
					return Promise.reject(e);
				}
				if (this.done) return Promise.resolve({ value: undefined, done: true });
				return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
			},
			// The consumer stopped early (break/throw): tell the producer.
			return: () => {
				if (!this.done) {
					this.done = true;
					this.items = [];
					this.onCancel?.();
				}
				return Promise.resolve({ value: undefined, done: true });
			}
		};
	}
}
