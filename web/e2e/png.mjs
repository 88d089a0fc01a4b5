// A small PNG reader for the browser tests: enough for Chromium's screenshots and the app's
// export (8-bit greyscale/RGB/RGBA/palette, non-interlaced). Written for these tests; no
// third-party code.
import { inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The IHDR fields of a PNG, or an Error naming what is wrong. */
export function pngHeader(buf) {
  buf = Buffer.from(buf);
  if (buf.length < 33) throw new Error(`not a PNG: ${buf.length} bytes`);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) {
    throw new Error(`not a PNG: signature ${buf.subarray(0, 8).toString('hex')}`);
  }
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return {
    width: buf.readUInt32BE(16),
    height: buf.readUInt32BE(20),
    bitDepth: buf[24],
    colorType: buf[25],
    interlace: buf[28],
  };
}

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Decode to {width, height, data: Uint8Array RGBA, get(x, y) -> [r, g, b, a]}. */
export function decodePng(input) {
  const buf = Buffer.from(input);
  const hdr = pngHeader(buf);
  if (hdr.bitDepth !== 8) throw new Error(`PNG bit depth ${hdr.bitDepth} not supported`);
  if (hdr.interlace !== 0) throw new Error('interlaced PNG not supported');
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[hdr.colorType];
  if (!channels) throw new Error(`PNG colour type ${hdr.colorType} not supported`);
  const idat = [];
  let palette = null;
  let trns = null;
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const body = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IDAT') idat.push(body);
    else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') trns = body;
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const { width, height } = hdr;
  const stride = width * channels;
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i];
      const a = i >= channels ? px[dst + i - channels] : 0;
      const b = y > 0 ? px[dst - stride + i] : 0;
      const c = y > 0 && i >= channels ? px[dst - stride + i - channels] : 0;
      let v;
      switch (filter) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + b; break;
        case 3: v = x + ((a + b) >> 1); break;
        case 4: v = x + paeth(a, b, c); break;
        default: throw new Error(`PNG filter ${filter} in row ${y}`);
      }
      px[dst + i] = v & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    let r, g, b, al = 255;
    const s = p * channels;
    switch (hdr.colorType) {
      case 0: r = g = b = px[s]; break;
      case 4: r = g = b = px[s]; al = px[s + 1]; break;
      case 2: r = px[s]; g = px[s + 1]; b = px[s + 2]; break;
      case 6: r = px[s]; g = px[s + 1]; b = px[s + 2]; al = px[s + 3]; break;
      case 3: {
        const i = px[s];
        r = palette[i * 3]; g = palette[i * 3 + 1]; b = palette[i * 3 + 2];
        al = trns && i < trns.length ? trns[i] : 255;
        break;
      }
    }
    data.set([r, g, b, al], p * 4);
  }
  return {
    width,
    height,
    data,
    get(x, y) {
      const i = (Math.floor(y) * width + Math.floor(x)) * 4;
      return [data[i], data[i + 1], data[i + 2], data[i + 3]];
    },
  };
}
