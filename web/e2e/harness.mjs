// Browser-test harness for the mdi-atlas web client (issue 6): starts `mdi-atlas serve` on the
// demo atlas with the built client (web/dist), drives Debian's Chromium through playwright-core
// (recipe: ../shared/docs/WEB.md §4), logs every request, blocks every request that would leave
// 127.0.0.1, and offers probes (rendered features with interior screen points, pixels from
// screenshots, legend, state) for the tests in this folder. The tests compare what the app
// shows against expectations computed here from the tiles' properties and the JSON API, never
// against the app's own computations.
//
// Environment:
//   MDI_ATLAS_BIN      the server binary (default target/debug/mdi-atlas, else target/release)
//   CHROMIUM           the browser (default: `chromium` on the PATH, as .ci/run looks for it,
//                      else /usr/bin/chromium)
//   MDI_WEB_DIST       the built client (default web/dist)
//   MDI_E2E_CACHE      the demo atlas cache folder, shared by all test files
//                      (default $TMPDIR/mdi-atlas-e2e-cache)
//   MDI_E2E_ARTIFACTS  where screenshots go (default web/e2e/artifacts)
//   MDI_E2E_ATLAS      an atlas directory to test instead of the demo (e.g. the national atlas);
//                      assertions that hold only for the demo are then skipped with a printed
//                      reason (Harness.demoOnly)
//   MDI_E2E_STATIC     "1": test the static site instead of the server's pages: the atlas is
//                      also written by `mdi-atlas publish` and served by Debian's nginx, whose
//                      origin the browser opens (Harness.origin); `mdi-atlas serve` still runs as
//                      the reference the tests ask (Harness.api, Harness.serverOrigin)
//   NGINX              the nginx binary for MDI_E2E_STATIC (default /usr/sbin/nginx, else
//                      `nginx` on the PATH)
//   CI                 when set (and not "false"/"0"), a missing browser, binary or web/dist
//                      fails the tests instead of skipping them
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { decodePng } from './png.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(HERE, '..', '..');
export const ARTIFACTS = process.env.MDI_E2E_ARTIFACTS || join(HERE, 'artifacts');
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-swiftshader',
  // Shared memory in /tmp, not /dev/shm: a container's /dev/shm is often 64 MB, too small for
  // the renderer, which then crashes ("Target crashed", seen in CI).
  '--disable-dev-shm-usage',
];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
const IN_CI = !!process.env.CI && !['false', '0'].includes(process.env.CI.toLowerCase());

export function serverBinary() {
  if (process.env.MDI_ATLAS_BIN) return process.env.MDI_ATLAS_BIN;
  for (const p of ['target/debug/mdi-atlas', 'target/release/mdi-atlas']) {
    if (existsSync(join(REPO, p))) return join(REPO, p);
  }
  return null;
}
/** The browser: CHROMIUM, else `chromium` on the PATH (as `.ci/run` finds it), else Debian's path. */
export const chromiumPath = () => process.env.CHROMIUM
  || (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'chromium')).find((p) => existsSync(p))
  || '/usr/bin/chromium';
export const webDist = () => process.env.MDI_WEB_DIST || join(REPO, 'web', 'dist');
export const cacheDir = () => process.env.MDI_E2E_CACHE || join(tmpdir(), 'mdi-atlas-e2e-cache');
/** The atlas under test from MDI_E2E_ATLAS, or null for the demo. */
export const envAtlas = () => (process.env.MDI_E2E_ATLAS ? resolve(process.env.MDI_E2E_ATLAS) : null);
/** MDI_E2E_STATIC=1: the browser opens the static site (`mdi-atlas publish` behind nginx). */
export const staticMode = () => !!process.env.MDI_E2E_STATIC && !['false', '0'].includes(process.env.MDI_E2E_STATIC.toLowerCase());
/** Debian's nginx: NGINX, else /usr/sbin/nginx, else `nginx` on the PATH. */
export const nginxPath = () => process.env.NGINX
  || ['/usr/sbin/nginx', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'nginx'))].find((p) => existsSync(p))
  || '/usr/sbin/nginx';

/** Why the browser tests cannot run here, or null. */
export function missingPrerequisite() {
  const bin = serverBinary();
  if (!bin || !existsSync(bin)) {
    return `no mdi-atlas binary (set MDI_ATLAS_BIN or run cargo build): ${bin ?? 'target/{debug,release}/mdi-atlas'}`;
  }
  if (!existsSync(chromiumPath())) {
    return `no Chromium at ${chromiumPath()} (apt-get install -y chromium, or set CHROMIUM)`;
  }
  if (!existsSync(join(webDist(), 'index.html'))) {
    return `no built web client at ${webDist()}/index.html (run: npm run build --prefix web)`;
  }
  const atlas = envAtlas();
  if (atlas && !existsSync(join(atlas, 'atlas.pmtiles'))) {
    return `MDI_E2E_ATLAS=${atlas} holds no atlas.pmtiles`;
  }
  if (staticMode() && !existsSync(nginxPath())) {
    return `MDI_E2E_STATIC=1 needs nginx: none at ${nginxPath()} (apt-get install -y nginx, or set NGINX)`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The server

/** Several test files may start servers at once: only one builds the demo atlas into the cache. */
async function withCacheLock(dir, fn) {
  mkdirSync(dirname(dir), { recursive: true });
  const lock = `${dir}.lock`;
  const t0 = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      // a lock older than 5 minutes is left over from a killed run
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
      if (Date.now() - t0 > 330_000) throw new Error(`cache lock ${lock} held for > 5 min`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Start `mdi-atlas serve` on a free loopback port with web/dist and an atlas: `atlas` (a
 * directory), else MDI_E2E_ATLAS, else the demo atlas (built once into the shared cache).
 * Returns {origin, proc, log(): string, stop()}. The access log (stderr) is kept.
 */
export async function startServer({ timeoutMs = 180_000, atlas = envAtlas() } = {}) {
  const bin = serverBinary();
  const cache = cacheDir();
  return withCacheLock(cache, () => new Promise((resolvePromise, reject) => {
    const args = ['serve', '--bind', '127.0.0.1:0', '--web', webDist(), '--cache-dir', cache,
      '--watch', '0', '--access-log', ...(atlas ? ['--atlas', atlas] : [])];
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // never leave a server behind, even when the test process ends abruptly
    const killOnExit = () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } };
    process.once('exit', killOnExit);
    proc.once('exit', () => process.removeListener('exit', killOnExit));
    let out = '';
    let err = '';
    let done = false;
    const timer = setTimeout(() => finish(new Error(`server did not print "listening on" within ${timeoutMs} ms`)), timeoutMs);
    const server = {
      proc,
      origin: null,
      log: () => err,
      stdout: () => out,
      async stop() {
        if (proc.exitCode !== null || proc.signalCode) return;
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      },
    };
    function finish(e) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (e) {
        proc.kill('SIGKILL');
        reject(new Error(`${e.message}\n$ ${bin} ${args.join(' ')}\nstdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`));
      } else resolvePromise(server);
    }
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^\s/]+)\//);
      if (m && !server.origin) {
        server.origin = m[1];
        finish();
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', (e) => finish(e));
    proc.on('exit', (code, sig) => finish(new Error(`server exited early (code ${code}, signal ${sig})`)));
  }));
}

// ---------------------------------------------------------------------------------------------
// The static site (MDI_E2E_STATIC=1): `mdi-atlas publish` and nginx

/**
 * The atlas folder a server started by startServer serves: `atlas`, else the cached demo, named
 * by the server's log (which may come in after its "listening on").
 */
async function servedAtlas(server, atlas, timeoutMs = 10_000) {
  if (atlas) return atlas;
  const t0 = Date.now();
  for (;;) {
    const m = server.log().match(/(?:using the demo atlas cached in|building the demo atlas into) (.+?)(?: \(once\))?$/m);
    if (m) return m[1];
    if (Date.now() - t0 > timeoutMs) throw new Error(`cannot tell from the server's log which atlas it serves:\n${server.log().slice(-2000)}`);
    await sleep(20);
  }
}

/** Run a command to its end: {code, out, err}. */
function run(bin, args, { timeoutMs = 300_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('exit', (code, sig) => { clearTimeout(timer); resolvePromise({ code, sig, out, err }); });
  });
}

/** `mdi-atlas publish --atlas <atlas> --out <dir>/site --web <web/dist>`; returns the site folder. */
export async function publishSite(atlas, dir) {
  const bin = serverBinary();
  const site = join(dir, 'site');
  const args = ['publish', '--atlas', atlas, '--out', site, '--web', webDist()];
  const r = await run(bin, args);
  if (r.code !== 0) throw new Error(`publish failed (code ${r.code}, signal ${r.sig})\n$ ${bin} ${args.join(' ')}\nstdout:\n${r.out.slice(-3000)}\nstderr:\n${r.err.slice(-3000)}`);
  if (!existsSync(join(site, 'index.html'))) throw new Error(`publish wrote no index.html into ${site}\n${r.out}`);
  return site;
}

/** A free loopback port (free when asked: nginx is started again on a clash). */
function freePort() {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePromise(port));
    });
  });
}

/** The access log's format: `$request $status $http_range $body_bytes_sent`. */
const NGINX_LOG = /^(\S+) (\S+) (\S+) (\d{3}) (\S+) (\d+)$/;

/**
 * Debian's nginx serving `site` on 127.0.0.1 and a free port, with a config of its own in `dir`
 * (no system file is read or written). atlas.pmtiles is sent with `Cache-Control: no-store`, so
 * that every range request the browser logs reaches nginx's access log (the tests compare the
 * two). Returns {origin, log(): [{method, path, status, range, bytes}], logText(), stop()}.
 */
export async function startNginx(site, dir, { timeoutMs = 20_000 } = {}) {
  const bin = nginxPath();
  const accessLog = join(dir, 'access.log');
  const errorLog = join(dir, 'error.log');
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = join(dir, 'nginx.conf');
    const root = process.geteuid?.() === 0;
    writeFileSync(conf, `# written by web/e2e/harness.mjs for one test file
${root ? 'user root;\n' : ''}worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 256; }
http {
  types {
    text/html html;
    application/json json;
    text/javascript js mjs;
    text/css css;
    application/vnd.pmtiles pmtiles;
    application/geopackage+sqlite3 gpkg;
    text/csv csv;
  }
  default_type application/octet-stream;
  log_format e2e '$request $status $http_range $body_bytes_sent';
  access_log ${accessLog} e2e;
  log_not_found off;
  client_body_temp_path ${join(dir, 'client_body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
  sendfile on;
  gzip_static on;
  server {
    listen 127.0.0.1:${port};
    root ${site};
    index index.html;
    location = /atlas.pmtiles {
      add_header Cache-Control "no-store" always;
    }
  }
}
`);
    const proc = spawn(bin, ['-p', dir, '-c', conf, '-e', errorLog, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // never leave nginx behind; SIGTERM lets its master stop the worker too
    const killOnExit = () => { try { proc.kill('SIGTERM'); } catch { /* gone */ } };
    process.once('exit', killOnExit);
    let output = '';
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    let exited = null;
    proc.on('exit', (code, sig) => { exited = { code, sig }; process.removeListener('exit', killOnExit); });
    const origin = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    let up = false;
    while (!exited && Date.now() - t0 < timeoutMs) {
      try {
        const r = await fetch(`${origin}/data/site.json`);
        await r.arrayBuffer();
        if (r.ok) { up = true; break; }
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    const errors = () => `${output}${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`.slice(-3000);
    if (!up) {
      try { proc.kill('SIGKILL'); } catch { /* gone */ }
      if (attempt < 2 && /Address already in use/.test(errors())) continue;
      throw new Error(`nginx did not serve ${origin}/data/site.json within ${timeoutMs} ms (exit ${JSON.stringify(exited)})\n$ ${bin} -p ${dir} -c ${conf}\n${errors()}`);
    }
    const logText = () => (existsSync(accessLog) ? readFileSync(accessLog, 'utf8') : '');
    return {
      origin,
      proc,
      logText,
      errors,
      log: () => logText().split('\n').map((l) => l.match(NGINX_LOG)).filter(Boolean)
        .map(([, method, target, , status, range, bytes]) => ({ method, path: target.split('?')[0], status: +status, range: range === '-' ? null : range, bytes: +bytes })),
      async stop() {
        if (exited) return;
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await done;
        clearTimeout(t);
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------
// One harness per test file: a server, a browser, the request log and the network guard.

export class Harness {
  /** `atlas`: a directory to serve (default: MDI_E2E_ATLAS, else the demo). */
  constructor(name, { atlas = envAtlas() } = {}) {
    this.name = name;
    this.atlas = atlas;
    /** True when the atlas under test is the demo (the default). */
    this.demo = !atlas;
    /** True when the browser opens the static site (MDI_E2E_STATIC=1) instead of the server. */
    this.static = staticMode();
    this.skipReason = null;
    this.requests = []; // {url, method, resourceType, page}
    this.blocked = []; // URLs aborted because they would leave 127.0.0.1
    this.pageErrors = [];
    this.contexts = [];
    this._meta = null;
  }

  /** For a test: true (and the test marked skipped) when prerequisites are missing. */
  skip(t) {
    if (this.skipReason) {
      t.skip(this.skipReason);
      return true;
    }
    return false;
  }

  /**
   * For an assertion that holds only for the demo atlas: when another atlas is under test
   * (MDI_E2E_ATLAS), prints `SKIPPED: <why>` and returns true (the test is marked skipped when
   * `t` is given).
   */
  demoOnly(t, why) {
    if (this.demo) return false;
    const msg = `${this.name}: ${why} holds only for the demo atlas, not for ${this.atlas}`;
    console.log(`SKIPPED: ${msg}`);
    t?.skip(msg);
    return true;
  }

  async start() {
    const missing = missingPrerequisite();
    if (missing) {
      if (IN_CI) throw new Error(`browser tests cannot run in CI: ${missing}`);
      this.skipReason = missing;
      console.log(`SKIPPED: ${missing}`);
      return this;
    }
    this.server = await startServer({ atlas: this.atlas });
    /** The server's origin: the reference the tests ask (api(), meta()). */
    this.serverOrigin = this.server.origin;
    /** The origin the browser opens: the server's, or nginx's in static mode. */
    this.origin = this.server.origin;
    if (this.static) {
      this.tmp = mkdtempSync(join(tmpdir(), 'mdi-e2e-static-'));
      const atlas = await servedAtlas(this.server, this.atlas);
      const site = await publishSite(atlas, this.tmp);
      this.nginx = await startNginx(site, this.tmp);
      this.origin = this.nginx.origin;
      console.log(`${this.name}: the static site of ${atlas} at ${this.origin} (nginx); the reference server at ${this.serverOrigin}`);
    }
    this.browser = await chromium.launch({
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
    });
    mkdirSync(ARTIFACTS, { recursive: true });
    return this;
  }

  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
    await this.browser?.close().catch(() => {});
    await this.nginx?.stop();
    await this.server?.stop();
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }


  /** JSON from the server (Node's fetch, outside the browser). */
  async api(path) {
    // The server answers the API with 503 + Retry-After while its atlas loads.
    let r = await fetch(this.serverOrigin + path);
    for (let tries = 0; r.status === 503 && tries < 120; tries++) {
      await sleep(500);
      r = await fetch(this.serverOrigin + path);
    }
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  }

  async meta() {
    this._meta ??= await this.api('/api/meta');
    return this._meta;
  }

  /**
   * Where the probing tests look on another atlas than the demo: the demo's start view shows
   * every buurt, the national one shows the whole country at a zoom whose tiles carry the
   * `minimal` property set (no code, name, domains or reasons) and buurten a few pixels wide.
   * This is the most populous area of the top level (gemeenten), found through the API:
   * `/api/search` ranks the areas matching a code prefix by population, five per first digit
   * after the prefix; `/api/areas` gives each one's population per year and its bbox (WGS84
   * degrees); the one with the most inhabitants in its emptiest year wins (an area without
   * figures in some year, e.g. after a recoding, would leave that year's map grey).
   * Returns {code, name, bbox, pop} or null for the demo.
   */
  async denseArea() {
    if (this.demo) return null;
    if (this._dense !== undefined) return this._dense;
    const meta = await this.meta();
    const top = meta.levels.at(-1);
    let best = null;
    for (let d = 0; d <= 9; d++) {
      const found = (await this.api(`/api/search?q=${encodeURIComponent(`${top.code_prefix}${d}`)}&limit=5`)).results
        .filter((r) => r.level === top.layer && r.bbox);
      for (const r of found) {
        const area = await this.api(`/api/areas/${r.code}`);
        const pop = Math.min(...meta.years.map((y) => area.years.find((v) => v.year === y)?.population ?? 0));
        if (!best || pop > best.pop) best = { code: area.code, name: area.name, bbox: area.bbox, pop };
      }
    }
    if (!best) throw new Error(`no ${top.layer} area found through /api/search?q=${top.code_prefix}<digit>`);
    this._dense = best;
    return best;
  }

  /**
   * On another atlas than the demo, centre `page`'s map on denseArea() at `zoom` (default: one
   * above the first zoom whose tiles carry every property, /api/meta `full_from_zoom`: around a
   * city several hundred buurten are then large enough to probe) and wait until it is drawn.
   * On the demo it does nothing: its start view already shows every buurt. Returns the area or
   * null.
   */
  async focusDense(page, { zoom } = {}) {
    const area = await this.denseArea();
    if (!area) return null;
    const meta = await this.meta();
    const z = zoom ?? Math.max(meta.min_zoom, (meta.full_from_zoom ?? meta.min_zoom) + 1);
    const [w, s, e, n] = area.bbox;
    await page.evaluate(([c, z]) => window.mdi.map.jumpTo({ center: c, zoom: z }), [[(w + e) / 2, (s + n) / 2], z]);
    await settle(page);
    return area;
  }

  /**
   * A fresh browser context (own cache and storage) and page. Every request of the context
   * (page, its workers) is logged; anything not for 127.0.0.1 is aborted and counted.
   */
  async newPage({ viewport = DESKTOP, label = 'page' } = {}) {
    const context = await this.browser.newContext({
      viewport,
      deviceScaleFactor: 1,
      acceptDownloads: true,
      serviceWorkers: 'block',
      locale: 'nl-NL',
    });
    this.contexts.push(context);
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLoopback(url)) return route.continue();
      this.blocked.push(url);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const entries = new WeakMap();
    page.on('request', (r) => {
      const e = { url: r.url(), method: r.method(), type: r.resourceType(), page: label, done: false };
      entries.set(r, e);
      this.requests.push(e);
    });
    const finish = (r) => { const e = entries.get(r); if (e) e.done = true; };
    page.on('requestfinished', finish);
    page.on('requestfailed', finish);
    page.on('pageerror', (e) => this.pageErrors.push(`${label}: ${e.message}`));
    // for messages when a wait times out
    const diag = { console: [], bad: [] };
    page.on('console', (m) => { if (m.type() === 'error') diag.console.push(m.text().slice(0, 300)); });
    page.on('response', (r) => { if (r.status() >= 400) diag.bad.push(`${r.status()} ${r.url()}`); });
    page.on('requestfailed', (r) => diag.bad.push(`failed (${r.failure()?.errorText}) ${r.url()}`));
    page.mdiDiag = diag;
    page.mdiPageErrors = () => this.pageErrors.filter((e) => e.startsWith(`${label}: `));
    page.label = label;
    return page;
  }

  /** Open the app (query string and hash optional) and wait for its first complete map. */
  async open(page, suffix = '') {
    const url = suffix.startsWith('http') ? suffix : `${this.origin}/${suffix}`;
    await page.goto(url, { waitUntil: 'load' });
    await waitReady(page);
    return page;
  }

  /**
   * Wait for requests matching `re` from page `label`: at least one more than `seen`, then
   * none new for `quietMs`, and all of them answered.
   */
  async waitRequests(label, re, seen, { quietMs = 500, timeout = 15_000 } = {}) {
    const list = () => this.requests.filter((r) => r.page === label && re.test(r.url));
    const t0 = Date.now();
    let n = list().length;
    let since = Date.now();
    for (;;) {
      const l = list();
      if (l.length !== n) { n = l.length; since = Date.now(); }
      if (n > seen && l.every((r) => r.done) && Date.now() - since >= quietMs) return l.slice(seen);
      if (Date.now() - t0 > timeout) {
        const recent = this.requests.filter((r) => r.page === label).slice(-6).map((r) => r.url.replace(this.origin, ''));
        throw new Error(`waiting for ${re} requests: ${n - seen} new, ${l.filter((r) => !r.done).length} unanswered; the page's last requests: ${recent.join(', ')}`);
      }
      await sleep(50);
    }
  }

  /** Requests for vector tiles logged so far (for one page label, or all). */
  tileRequests(label) {
    return this.requests.filter((r) => (!label || r.page === label || r.page === `${label}:worker`) && isTileUrl(r.url));
  }

  /**
   * Wait until the server's access log (read from its stderr as it comes) holds every request
   * answered so far: a marker request made now is logged after them, so once its line is here,
   * theirs are too. No fixed sleep.
   */
  async serverLogSynced(timeout = 10_000) {
    this._sync = (this._sync ?? 0) + 1;
    const marker = `/e2e-log-sync-${this._sync}`;
    // static mode: nginx's access log, which the browser's requests reach
    const log = this.static ? () => this.nginx.logText() : () => this.server.log();
    await fetch(`${this.origin}${marker}`).then((r) => r.arrayBuffer()).catch(() => {});
    const t0 = Date.now();
    while (!log().includes(marker)) {
      if (Date.now() - t0 > timeout) throw new Error(`the ${this.static ? 'nginx' : 'server\'s'} access log never showed ${marker} within ${timeout} ms`);
      await sleep(5);
    }
  }

  /**
   * Tile requests in the server's access log (independent of the browser's instrumentation); in
   * static mode the range requests on atlas.pmtiles in nginx's (staticTileRanges).
   */
  serverTileRequests() {
    if (this.static) return this.staticTileRanges().length;
    return (this.server.log().match(/\/tiles\/\d+\/\d+\/\d+\.(mvt|pbf)/g) || []).length;
  }

  /**
   * Static mode: the range requests nginx answered on atlas.pmtiles (206 with a Range header),
   * as [{method, path, status, range, bytes}]: the header and directories of the archive, and
   * the tiles.
   */
  staticTileRanges() {
    if (!this.nginx) return [];
    return this.nginx.log().filter((l) => /\/atlas\.pmtiles$/.test(l.path) && l.status === 206 && l.range);
  }

  /** Static mode: every request in nginx's access log (see startNginx). */
  staticRequests() {
    return this.nginx ? this.nginx.log() : [];
  }

  /** Assert that nothing left 127.0.0.1: a message listing offenders, or null. */
  networkProblems() {
    const off = this.requests.filter((r) => !isLoopback(r.url));
    const lines = [];
    if (off.length) lines.push(`${off.length} request(s) not for 127.0.0.1: ${[...new Set(off.map((r) => r.url))].slice(0, 10).join(', ')}`);
    if (this.blocked.length) lines.push(`${this.blocked.length} request(s) blocked: ${[...new Set(this.blocked)].slice(0, 10).join(', ')}`);
    return lines.length ? lines.join('\n') : null;
  }

  async screenshot(page, name) {
    const file = join(ARTIFACTS, name);
    await page.screenshot({ path: file });
    return file;
  }
}

export function isLoopback(url) {
  if (/^(data|blob|about):/.test(url)) return true; // never leave the browser
  try {
    return new URL(url).hostname === '127.0.0.1';
  } catch {
    return false;
  }
}

/** A request for tile bytes: a server tile, or (the static site) a range of atlas.pmtiles. */
export function isTileUrl(url) {
  try {
    const path = new URL(url).pathname;
    return /^\/tiles\/\d+\/\d+\/\d+\.(mvt|pbf)$/.test(path) || /\/atlas\.pmtiles$/.test(path);
  } catch {
    return false;
  }
}

/**
 * What every test file starts with: the server and browser of `setup(name)`, the atlas's
 * `/api/meta`, and one page (requests logged under `label`) with the app opened and idle; on
 * another atlas than the demo its map is then fitted to Harness.focusDense (unless `dense` is
 * false). `year` is the year the app shows at start. With a skip reason, only `h` is set.
 */
export async function openApp(name, label, { dense = true, suffix = '', ...opts } = {}) {
  const h = await setup(name, opts);
  if (h.skipReason) return { h };
  const meta = await h.meta();
  const page = await h.newPage({ label });
  await h.open(page, suffix);
  const year = (await state(page)).year;
  if (dense) await h.focusDense(page);
  return { h, meta, page, year };
}

export async function setup(name, opts = {}) {
  const h = new Harness(name, opts);
  await h.start();
  return h;
}

// ---------------------------------------------------------------------------------------------
// Waiting

export async function waitReady(page, timeout = 60_000) {
  // A crashed renderer never becomes idle: fail at once rather than after the whole timeout.
  const crashed = new Promise((_, reject) => page.once('crash', () => reject(new Error('the page crashed (its renderer process is gone)'))));
  crashed.catch(() => {});
  try {
    await Promise.race([
      page.waitForFunction(() => window.__mdiIdle === true && !!window.mdi && !!window.mdi.map, null, { timeout }),
      crashed,
    ]);
  } catch (e) {
    const st = await page.evaluate(() => ({ mdi: !!window.mdi, idle: window.__mdiIdle ?? null,
      loaded: window.mdi?.map?.loaded?.() ?? null })).catch((x) => ({ evaluate: x.message }));
    const d = page.mdiDiag ?? { console: [], bad: [] };
    throw new Error(`the app never set window.__mdiIdle within ${timeout} ms at ${page.url()} (${e.message.split('\n')[0]}): ` +
      `${JSON.stringify(st)}; page errors: ${JSON.stringify(page.mdiPageErrors?.() ?? [])}; ` +
      `console errors: ${JSON.stringify(d.console.slice(0, 5))}; failed responses: ${JSON.stringify(d.bad.slice(0, 8))}`);
  }
  await page.evaluate(() => window.mdi.ready);
}

/**
 * Wait until the map has nothing left to do: no camera movement, every visible tile loaded,
 * the last frame drawn (MapLibre's `idle`). A repaint is triggered so `idle` always comes.
 */
export async function settle(page, { timeout = 30_000 } = {}) {
  await page.waitForFunction(() => !window.mdi.map.isMoving(), null, { timeout });
  const ok = await page.evaluate((timeout) => new Promise((res) => {
    const map = window.mdi.map;
    const t = setTimeout(() => res(false), timeout);
    map.once('idle', () => { clearTimeout(t); res(true); });
    map.triggerRepaint();
  }), timeout);
  if (!ok) throw new Error(`the map did not become idle within ${timeout} ms (tiles still loading?)`);
}

/** Wait for a predicate on window.mdi.state(). */
export async function waitState(page, fnSource, arg, timeout = 15_000) {
  await page.waitForFunction(
    ([src, a]) => (0, eval)(src)(window.mdi.state(), a), // eslint-disable-line no-eval
    [fnSource, arg],
    { timeout },
  );
}

export const state = (page) => page.evaluate(() => window.mdi.state());

/** Wait until the page URL satisfies pred(URL). */
export async function waitUrl(page, pred, timeout = 10_000) {
  const t0 = Date.now();
  for (;;) {
    const u = new URL(page.url());
    if (pred(u)) return u;
    if (Date.now() - t0 > timeout) throw new Error(`URL never satisfied the condition: ${page.url()}`);
    await sleep(100);
  }
}

/** Move the mouse somewhere it hovers no buurt (a UI element off the map, else the corner). */
export async function parkMouse(page) {
  const pos = await page.evaluate(() => {
    for (const id of ['legend', 'legend-title', 'variable', 'search']) {
      const el = document.getElementById(id);
      const r = el?.getBoundingClientRect();
      if (r && r.width > 4 && r.height > 4) return { x: r.left + 2, y: r.top + 2 };
    }
    return { x: 1, y: 1 };
  });
  await page.mouse.move(pos.x, pos.y);
}

// ---------------------------------------------------------------------------------------------
// Probes

/** The legend: [{cls (string), lo, hi, color: [r,g,b], hex, text}] in document order. */
export async function legend(page) {
  const items = await page.$$eval('#legend .legend-item', (els) => els.map((el) => ({
    cls: el.getAttribute('data-class'),
    hex: el.getAttribute('data-color'),
    text: el.textContent.trim(),
  })));
  return items.map((it) => ({ ...it, ...parseClass(it.cls), color: parseHex(it.hex) }));
}

/** "7" → [7,7]; "≤−3" → [-inf,-3]; "≥+3" / "3+" → [3,inf]; "1-2" → [1,2]. */
export function parseClass(s) {
  const t = String(s ?? '').replace(/\u2212/g, '-').replace(/\s+/g, '');
  let m;
  if ((m = t.match(/^(?:≤|<=)([-+]?\d+)$/))) return { lo: -Infinity, hi: +m[1] };
  if ((m = t.match(/^(?:≥|>=)([-+]?\d+)$/)) || (m = t.match(/^([-+]?\d+)\+$/))) return { lo: +m[1], hi: Infinity };
  if ((m = t.match(/^([-+]?\d+)[-–]([-+]?\d+)$/))) return { lo: +m[1], hi: +m[2] };
  if ((m = t.match(/^([-+]?\d+)$/))) return { lo: +m[1], hi: +m[1] };
  return { lo: NaN, hi: NaN };
}

export function parseHex(hex) {
  const m = String(hex ?? '').trim().match(/^#([0-9a-f]{3}|[0-9a-f]{6})([0-9a-f]{2})?$/i);
  if (!m) return null;
  let h = m[1];
  if (h.length === 3) h = h.split('').map((c) => c + c).join('');
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** The legend item whose class range holds value v (clamped into the legend's range). */
export function legendItemFor(items, v) {
  const finite = items.flatMap((i) => [i.lo, i.hi]).filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const c = Math.min(Math.max(v, lo), hi);
  return items.find((i) => c >= i.lo && c <= i.hi) ?? null;
}

/**
 * Rendered features of a layer, grouped by feature id, each with interior screen points:
 * points at least `margin` CSS px from every edge of the feature's (tile) polygons, not covered
 * by any page element other than the map canvas. Runs in the page, using only MapLibre's
 * queryRenderedFeatures/project.
 */
export async function renderedFeatures(page, { layer = 'buurten-fill', margin = 4, maxPoints = 5, minPoints = 1, keep = null } = {}) {
  // returned as a JSON string: Playwright's own serialisation of ~600 features with ~200
  // properties each takes seconds
  return JSON.parse(await page.evaluate(({ layer, margin, maxPoints, minPoints, keep }) => {
    const keepRe = keep ? new RegExp(keep) : null;
    const map = window.mdi.map;
    const canvas = map.getCanvas();
    const SHADOW = [-6, 0, 6].flatMap((dx) => [-6, 0, 6].map((dy) => [dx, dy]));
    const rect = canvas.getBoundingClientRect();
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const byId = new Map();
    for (const f of map.queryRenderedFeatures({ layers: [layer] })) {
      let e = byId.get(f.id);
      if (!e) {
        let props = f.properties;
        if (keepRe) props = Object.fromEntries(Object.entries(props).filter(([k]) => keepRe.test(k)));
        e = { id: f.id, props, polys: [] };
        byId.set(f.id, e);
      }
      const g = f.geometry;
      const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
      for (const poly of polys) {
        e.polys.push(poly.map((ring) => ring.map((c) => {
          const p = map.project(c);
          return [p.x + rect.left, p.y + rect.top];
        })));
      }
    }
    const inRing = (x, y, ring) => {
      let inside = false;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    };
    const segDist2 = (x, y, [ax, ay], [bx, by]) => {
      const dx = bx - ax;
      const dy = by - ay;
      const l2 = dx * dx + dy * dy;
      let t = l2 ? ((x - ax) * dx + (y - ay) * dy) / l2 : 0;
      t = Math.max(0, Math.min(1, t));
      const ex = ax + t * dx - x;
      const ey = ay + t * dy - y;
      return ex * ex + ey * ey;
    };
    // a deterministic shuffle, so reruns probe the same points
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const out = [];
    for (const e of byId.values()) {
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const poly of e.polys) for (const [x, y] of poly[0]) {
        x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      }
      x0 = Math.max(x0, rect.left, 0); y0 = Math.max(y0, rect.top, 0);
      x1 = Math.min(x1, rect.right, vw); y1 = Math.min(y1, rect.bottom, vh);
      if (!(x1 - x0 > 2 * margin && y1 - y0 > 2 * margin)) continue;
      // grid points over the bbox, visited in a (deterministic) random order until enough
      // interior points are found: cheap even for hundreds of features
      const step = Math.max(1, Math.sqrt(((x1 - x0) * (y1 - y0)) / 400));
      const grid = [];
      for (let y = Math.floor(y0) + 0.5; y < y1; y += step) {
        for (let x = Math.floor(x0) + 0.5; x < x1; x += step) grid.push([Math.floor(x) + 0.5, Math.floor(y) + 0.5]);
      }
      for (let i = grid.length - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [grid[i], grid[j]] = [grid[j], grid[i]];
      }
      const points = [];
      let inner = 0;
      for (const [px, py] of grid) {
        if (points.length >= maxPoints) break;
        if (px < 0 || py < 0 || px >= vw || py >= vh) continue;
        const inside = e.polys.some((poly) => poly.reduce((acc, ring) => acc !== inRing(px, py, ring), false));
        if (!inside) continue;
        let d2 = Infinity;
        const m2 = margin * margin;
        for (const poly of e.polys) for (const ring of poly) {
          for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
            const a = ring[j];
            const b = ring[i];
            // quick reject: the segment's box is more than `margin` (or the best so far) away
            const lim = Math.min(margin * 4, Math.sqrt(d2));
            if (px < Math.min(a[0], b[0]) - lim || px > Math.max(a[0], b[0]) + lim
              || py < Math.min(a[1], b[1]) - lim || py > Math.max(a[1], b[1]) + lim) continue;
            d2 = Math.min(d2, segDist2(px, py, a, b));
          }
        }
        if (d2 < m2) continue;
        // the canvas must be the topmost element at the point and around it as far as a
        // panel's shadow reaches (--shadow: 0 1px 4px), which darkens the map next to a panel
        if (!SHADOW.every(([dx, dy]) => document.elementFromPoint(px + dx, py + dy) === canvas)) continue;
        points.push([px, py]);
        inner = Math.max(inner, Math.sqrt(d2));
      }
      if (points.length < minPoints) continue;
      const ll = map.unproject([points[0][0] - rect.left, points[0][1] - rect.top]);
      out.push({ id: e.id, props: e.props, points, inner, size: [x1 - x0, y1 - y0], lngLat: [ll.lng, ll.lat] });
    }
    return JSON.stringify(out);
  }, { layer, margin, maxPoints, minPoints, keep }));
}

/** Distinct feature ids (and codes) that queryRenderedFeatures returns for a layer. */
export async function renderedIds(page, layer = 'buurten-fill') {
  return page.evaluate((layer) => {
    const fs = window.mdi.map.queryRenderedFeatures({ layers: [layer] });
    const ids = new Map();
    for (const f of fs) ids.set(f.id, f.properties.code ?? null);
    return [...ids.entries()];
  }, layer);
}

/** A decoded screenshot of the viewport (CSS px = device px: deviceScaleFactor 1). */
export async function grab(page) {
  return decodePng(await page.screenshot({ type: 'png' }));
}

export const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
const dist2 = (a, b) => (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2;
const mix = (c, bg, a) => [0, 1, 2].map((i) => a * c[i] + (1 - a) * bg[i]);
const nearest = (s, cols) => {
  let k = 0;
  let best = dist2(s, cols[0]);
  for (let i = 1; i < cols.length; i++) {
    const d = dist2(s, cols[i]);
    if (d < best) { best = d; k = i; }
  }
  return [k, Math.sqrt(best)];
};

/**
 * Classify each feature's probe pixels to the nearest legend colour. The fill may be drawn
 * with an opacity over the background: one opacity (0.4–1) is fitted over the pixels of the
 * screenshot, without using the expected classes. Returns {result: [{id, props, item (the
 * legend item drawn, by majority of the feature's points), share, err, points}], alpha, meanErr}.
 */
export function classify(img, feats, items, bg = [255, 255, 255]) {
  const samples = [];
  for (const f of feats) for (const [x, y] of f.points) samples.push(img.get(x, y));
  const fit = samples.filter((_, i) => i % 3 === 0);
  let best = { alpha: 1, err: Infinity };
  for (let a = 1; a >= 0.399; a -= 0.025) {
    const alpha = +a.toFixed(3);
    const cols = items.map((it) => mix(it.color, bg, alpha));
    let err = 0;
    for (const s of fit) err += nearest(s, cols)[1];
    if (err < best.err) best = { alpha, err };
  }
  const cols = items.map((it) => mix(it.color, bg, best.alpha));
  let errAll = 0;
  const result = feats.map((f) => {
    const votes = new Map();
    let errSum = 0;
    for (const [x, y] of f.points) {
      const [k, d] = nearest(img.get(x, y), cols);
      errSum += d;
      votes.set(k, (votes.get(k) ?? 0) + 1);
    }
    errAll += errSum;
    const [k, n] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
    return { id: f.id, props: f.props, item: items[k], share: n / f.points.length, err: errSum / f.points.length, points: f.points };
  });
  return { result, alpha: best.alpha, meanErr: errAll / Math.max(1, samples.length) };
}

/** Colour (as [r,g,b]) of a CSS colour string, normalised by the page's canvas. */
export async function cssColor(page, css) {
  const hex = await page.evaluate((css) => {
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.fillStyle = '#000000';
    ctx.fillStyle = css;
    return ctx.fillStyle;
  }, css);
  return parseHex(hex) ?? (hex.match(/\d+(\.\d+)?/g) || [0, 0, 0]).slice(0, 3).map(Number);
}

/** The map background colour (the `background` layer), for the opacity fit. */
export async function backgroundColor(page) {
  const css = await page.evaluate(() => {
    const map = window.mdi.map;
    const c = map.getLayer('background') ? map.getPaintProperty('background', 'background-color') : null;
    if (!c) return '#ffffff';
    if (typeof c === 'string') return c;
    if (typeof c === 'object' && 'r' in c) return `rgba(${c.r * 255},${c.g * 255},${c.b * 255},${c.a})`;
    return '#ffffff';
  });
  return cssColor(page, css);
}

/**
 * Probe what the map draws: features with interior points, a screenshot, classification to
 * the current legend. `expect(props, id)` gives the expected class value (or null to skip).
 * Returns {checked, mismatches: [...], alpha, items, probes}.
 */
export const PROBE_PROPS = '^(code|name|level|nodata|water)$|_decile_|^domains_in_worst_decile_';

export async function probeColours(page, expect, { layer = 'buurten-fill', margin = 4, keep = PROBE_PROPS, hideLabels = envAtlas() !== null } = {}) {
  await parkMouse(page);
  // hideLabels: labels (symbol layers, with halos) cover small buurten at low zoom (phone, and
  // the many gemeente names around a city of another atlas than the demo, Harness.focusDense):
  // hidden while the pixels are read, then restored. Only layout visibility changes; no tile
  // is requested.
  const hidden = hideLabels ? await page.evaluate(() => {
    const map = window.mdi.map;
    const ids = map.getStyle().layers.filter((l) => l.type === 'symbol' && (l.layout?.visibility ?? 'visible') === 'visible').map((l) => l.id);
    for (const id of ids) map.setLayoutProperty(id, 'visibility', 'none');
    return ids;
  }) : [];
  try {
    await settle(page);
    const items = await legend(page);
    const feats = (await renderedFeatures(page, { layer, margin, minPoints: 3, keep }))
      .filter((f) => !f.props.nodata && !f.props.water);
    const img = await grab(page);
    const bg = await backgroundColor(page);
    const { result, alpha, meanErr } = classify(img, feats, items, bg);
    const mismatches = [];
    let checked = 0;
    for (const r of result) {
      const v = expect(r.props, r.id);
      if (v === null || v === undefined || Number.isNaN(v)) continue;
      const want = legendItemFor(items, v);
      checked++;
      if (r.item !== want) {
        mismatches.push({ code: r.props.code, id: r.id, expected: want?.cls, expectedValue: v, drawn: r.item.cls, share: r.share, at: r.points[0], rgb: img.get(...r.points[0]).slice(0, 3) });
      }
    }
    return { checked, mismatches, alpha, meanErr, items, result };
  } finally {
    if (hidden.length) {
      await page.evaluate((ids) => {
        for (const id of ids) window.mdi.map.setLayoutProperty(id, 'visibility', 'visible');
      }, hidden);
    }
  }
}

export function describeMismatches(p, n = 8) {
  return `${p.mismatches.length} of ${p.checked} features drawn in another class than expected ` +
    `(fitted fill opacity ${p.alpha}, mean colour error ${p.meanErr.toFixed(1)}); e.g. ` +
    p.mismatches.slice(0, n).map((m) => `${m.code}: expected class ${m.expected} (value ${m.expectedValue}), drawn ${m.drawn} rgb(${m.rgb}) at ${m.at.map(Math.round)}`).join('; ');
}

/** Relative luminance (sRGB, WCAG) of [r,g,b]. */
export function luminance([r, g, b]) {
  const f = (c) => {
    c /= 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

/** Save a JSON or text artifact next to the screenshots (for debugging failures). */
export function writeArtifact(name, data) {
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, name), typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data, null, 2));
}

/** Select an <option> the way a user does (change event) and wait for the map to settle. */
export async function choose(page, selector, value) {
  await page.selectOption(selector, String(value));
  await settle(page);
}

/** A small CSV parser (RFC 4180 quotes; , or ; separated). */
export function parseCsv(text) {
  const firstLine = text.split(/\r?\n/, 1)[0];
  const sep = (firstLine.match(/;/g) || []).length > (firstLine.match(/,/g) || []).length ? ';' : ',';
  const rows = [];
  let row = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
    } else if (c === '"') q = true;
    else if (c === sep) { row.push(cell); cell = ''; } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push(row); }
  return rows.filter((r) => r.some((c) => c !== ''));
}
