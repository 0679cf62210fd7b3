/**
 * Node only, for tests: an HTTP server that serves a model folder the way a CDN does (HEAD, GET,
 * single `Range: bytes=a-[b]` requests answered 206 with Content-Range, CORS for a page on another
 * port), with switches to cut the connection part-way through a file and to send one wrong byte.
 * The unit tests drive the downloader against it with Node's fetch; the e2e test serves the
 * browser from it. Never imported by the app.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ModelServer {
	/** `http://127.0.0.1:PORT/` */
	url: string;
	/** Every request: method, path and Range header. */
	requests: { method: string; path: string; range: string | null }[];
	/** The next GET of `path` sends headers for the whole answer, `afterBytes` of it, then drops the socket. */
	cutOnce(path: string, afterBytes: number): void;
	/** The next GET of `path` that covers byte `offset` sends that byte flipped. */
	corruptOnce(path: string, offset: number): void;
	/** Sends bodies in 64 KiB pieces `ms` apart (0: at once), so progress can be watched. */
	setPace(ms: number): void;
	close(): Promise<void>;
}

export async function startModelServer(files: ReadonlyMap<string, Uint8Array>): Promise<ModelServer> {
	const requests: ModelServer['requests'] = [];
	const cuts = new Map<string, number>();
	const corruptions = new Map<string, number>();
	const pace = { ms: 0 };
	const handle = (req: IncomingMessage, res: ServerResponse) => {
		const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
		const range = req.headers.range ?? null;
		requests.push({ method: req.method ?? 'GET', path, range });
		res.setHeader('access-control-allow-origin', '*');
		res.setHeader('access-control-expose-headers', 'content-range, content-length, accept-ranges');
		if (req.method === 'OPTIONS') {
			res.writeHead(204, { 'access-control-allow-headers': 'range', 'access-control-allow-methods': 'GET, HEAD' }).end();
			return;
		}
		const body = files.get(path);
		if (!body) {
			res.writeHead(404).end();
			return;
		}
		let start = 0;
		let end = body.byteLength - 1;
		let status = 200;
		const headers: Record<string, string> = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
		if (range) {
			const m = /^bytes=(\d+)-(\d*)$/.exec(range);
			if (!m || Number(m[1]) >= body.byteLength) {
				res.writeHead(416, { 'content-range': `bytes */${body.byteLength}` }).end();
				return;
			}
			start = Number(m[1]);
			end = m[2] ? Math.min(Number(m[2]), body.byteLength - 1) : body.byteLength - 1;
			status = 206;
			headers['content-range'] = `bytes ${start}-${end}/${body.byteLength}`;
		}
		let part = Buffer.from(body.subarray(start, end + 1));
		headers['content-length'] = String(part.byteLength);
		res.writeHead(status, headers);
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		const bad = corruptions.get(path);
		if (bad !== undefined && bad >= start && bad <= end) {
			corruptions.delete(path);
			part = Buffer.from(part);
			part[bad - start] ^= 0xff;
		}
		let cut = cuts.get(path);
		if (cut !== undefined && cut < part.byteLength) cuts.delete(path);
		else cut = undefined;
		if (!pace.ms && cut === undefined) {
			res.end(part);
			return;
		}
		// Paced and/or cut: 64 KiB pieces, `pace.ms` apart; at the cut, the socket is dropped.
		const stop = cut ?? part.byteLength;
		let sent = 0;
		const next = () => {
			if (res.destroyed) return;
			if (sent >= stop) {
				if (cut === undefined) res.end();
				else setTimeout(() => res.socket?.destroy(), 50);
				return;
			}
			const piece = part.subarray(sent, Math.min(stop, sent + 65536));
			sent += piece.byteLength;
			res.write(piece, () => setTimeout(next, pace.ms));
		};
		next();
	};
	const server = createServer(handle);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/`,
		requests,
		cutOnce: (path, afterBytes) => cuts.set(path, afterBytes),
		corruptOnce: (path, offset) => corruptions.set(path, offset),
		setPace: (ms) => (pace.ms = ms),
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}
