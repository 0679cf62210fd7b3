// Draws the app icons (a sun over water in a rounded square) as PNGs with no dependencies.
// Run once: node scripts/make-icons.mjs — the PNGs are committed under public/icons/.
import { deflateSync } from 'node:zlib';
import { writeFileSync, mkdirSync } from 'node:fs';

const crcTable = new Uint32Array(256).map((_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});
const crc32 = (buf) => {
	let c = 0xffffffff;
	for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
	const len = Buffer.alloc(4);
	len.writeUInt32BE(data.length);
	const td = Buffer.concat([Buffer.from(type), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(td));
	return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
	const raw = Buffer.alloc((size * 4 + 1) * size);
	for (let y = 0; y < size; y++) {
		raw[y * (size * 4 + 1)] = 0;
		for (let x = 0; x < size; x++) {
			const [r, g, b, a] = pixel(x + 0.5, y + 0.5, size);
			const o = y * (size * 4 + 1) + 1 + x * 4;
			raw[o] = r; raw[o + 1] = g; raw[o + 2] = b; raw[o + 3] = a;
		}
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(size, 0);
	ihdr.writeUInt32BE(size, 4);
	ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
	return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const teal = [15, 118, 110, 255], sun = [253, 224, 71, 255], water = [204, 251, 241, 255], clear = [0, 0, 0, 0];
function art(maskable) {
	return (x, y, s) => {
		const u = x / s, v = y / s;
		const r = maskable ? 0 : 0.18, inset = 0;
		const dx = Math.max(Math.abs(u - 0.5) - (0.5 - r - inset), 0), dy = Math.max(Math.abs(v - 0.5) - (0.5 - r - inset), 0);
		if (Math.hypot(dx, dy) > r) return clear;
		const scale = maskable ? 0.72 : 1; // keep the art inside the maskable safe zone
		const cu = 0.5 + (u - 0.5) / scale, cv = 0.5 + (v - 0.5) / scale;
		if (cv > 0.62 && cv < 0.8 && Math.abs(Math.sin(cu * 18)) * 0.03 + 0.64 < cv && Math.abs(cu - 0.5) < 0.32) return water;
		if (Math.hypot(cu - 0.5, cv - 0.45) < 0.17 && cv < 0.6) return sun;
		return teal;
	};
}
mkdirSync('public/icons', { recursive: true });
writeFileSync('public/icons/icon-192.png', png(192, art(false)));
writeFileSync('public/icons/icon-512.png', png(512, art(false)));
writeFileSync('public/icons/icon-maskable-512.png', png(512, art(true)));
console.log('icons written');
