#!/usr/bin/env node
// Build the web client into web/dist: index.html + content-hashed assets, which `mdi-atlas serve`
// serves at / and /assets/.
//
//   node scripts/build.mjs            type-check, bundle, hash, gzip
//   node scripts/build.mjs --no-check skip `tsc --noEmit` (faster while iterating)
//
// Output: dist/index.html, dist/assets/app-<hash>.js (our code + maplibre-gl, minified ESM),
// dist/assets/app-<hash>.css (maplibre-gl.css + ours), dist/assets/maplibre-gl-worker-<hash>.mjs,
// and a level-9 `.gz` sibling of every text file so the server can send it precompressed.
// The sizes table printed at the end is what the bundle budget (< 500 KB gz in total) is checked
// against.

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Built into dist.new/ and swapped in at the end, so that a failed build (type errors, over
// budget) never leaves a half-written dist/ where a working client was being served.
const final = join(root, 'dist');
const dist = join(root, 'dist.new');
const assets = join(dist, 'assets');

if (!process.argv.includes('--no-check')) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '--noEmit', '-p', root], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('build: type check failed');
    process.exit(1);
  }
}

await rm(dist, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const hash = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 10);

// The worker is not bundled: MapLibre starts it as a separate module worker, so we copy it under
// a content-hashed name and tell the bundle its file name at build time (setWorkerUrl).
const worker = await readFile(join(root, 'node_modules', 'maplibre-gl', 'dist', 'maplibre-gl-worker.mjs'));
const workerName = `maplibre-gl-worker-${hash(worker)}.mjs`;
await writeFile(join(assets, workerName), worker);

const common = { bundle: true, minify: true, write: false, logLevel: 'warning', legalComments: 'none' };

const js = await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  format: 'esm',
  target: ['es2022'],
  outfile: join(assets, 'app.js'),
  define: { __WORKER_FILE__: JSON.stringify(workerName) },
  // maplibre-gl ships its own license header; keep one short notice in the bundle.
  banner: { js: '/* mdi-atlas web client; includes MapLibre GL JS (BSD-3-Clause) */' },
});
const css = await build({
  ...common,
  entryPoints: [join(root, 'src', 'app.css')],
  outfile: join(assets, 'app.css'),
});

const jsBuf = Buffer.from(js.outputFiles.find((f) => f.path.endsWith('.js')).contents);
const cssBuf = Buffer.from(css.outputFiles.find((f) => f.path.endsWith('.css')).contents);
const jsName = `app-${hash(jsBuf)}.js`;
const cssName = `app-${hash(cssBuf)}.css`;
await writeFile(join(assets, jsName), jsBuf);
await writeFile(join(assets, cssName), cssBuf);

// index.html: the development references are replaced by the hashed ones (relative URLs, so the
// app also works when served below a path prefix).
let html = await readFile(join(root, 'index.html'), 'utf8');
const replaceOnce = (from, to) => {
  if (!html.includes(from)) throw new Error(`index.html: expected ${from}`);
  html = html.replace(from, to);
};
replaceOnce('src/app.css', `assets/${cssName}`);
replaceOnce('src/main.ts', `assets/${jsName}`);
await writeFile(join(dist, 'index.html'), html);

// Precompressed siblings of every text file.
const rows = [];
for (const dir of [dist, assets]) {
  for (const name of await readdir(dir)) {
    if (!/\.(html|js|mjs|css)$/.test(name)) continue;
    const buf = await readFile(join(dir, name));
    const gz = gzipSync(buf, { level: constants.Z_BEST_COMPRESSION });
    await writeFile(join(dir, name + '.gz'), gz);
    rows.push([join(dir === dist ? '' : 'assets', name), buf.length, gz.length]);
  }
}
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + ' KB';
let raw = 0;
let gz = 0;
for (const [name, r, g] of rows) {
  raw += r;
  gz += g;
  console.log(`${name.padEnd(48)}${kb(r)}${kb(g)} gz`);
}
console.log(`${'total'.padEnd(48)}${kb(raw)}${kb(gz)} gz`);

// Our own share: bundle the app without maplibre-gl to see what we add on top of it.
const own = await build({
  ...common,
  entryPoints: [join(root, 'src', 'main.ts')],
  format: 'esm',
  outfile: join(assets, 'own.js'),
  external: ['maplibre-gl'],
  define: { __WORKER_FILE__: '""' },
});
const ownCss = await build({
  ...common,
  entryPoints: [join(root, 'src', 'style.css')],
  outfile: join(assets, 'own.css'),
});
const ownJs = own.outputFiles.find((f) => f.path.endsWith('.js')).contents;
const ownCssBuf = ownCss.outputFiles.find((f) => f.path.endsWith('.css')).contents;
const ownGz = gzipSync(ownJs, { level: 9 }).length + gzipSync(ownCssBuf, { level: 9 }).length;
console.log(`${'own code (js+css, excl. maplibre-gl)'.padEnd(48)}${kb(ownJs.length + ownCssBuf.length)}${kb(ownGz)} gz`);
if (gz > 500 * 1024) {
  console.error('build: over the 500 KB gz budget');
  await rm(dist, { recursive: true, force: true });
  process.exit(1);
}
// The swap: a server serving dist/ sees either the old or the new client, bar the moment
// between the two renames.
const old = join(root, 'dist.old');
await rm(old, { recursive: true, force: true });
await rename(final, old).catch((e) => { if (e.code !== 'ENOENT') throw e; });
await rename(dist, final);
await rm(old, { recursive: true, force: true });
