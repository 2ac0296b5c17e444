// A real browser attacks a local `vmlx serve`: headless Chromium (Debian's chromium package, driven by
// playwright-core) loads a page from a second loopback origin that tries a text/plain form, a simple fetch
// and a no-cors fetch against /v1/mcp/execute, and a page on a rebinding-style name (mapped to 127.0.0.1 by
// --host-resolver-rules) that reads the MCP routes same-origin. None may run a tool or read an answer. A page
// from an origin in --allowed-origins can, which shows the browser really reaches the server.
// Run with `npm run test:browser` (.ci/run does, after installing chromium when it is missing).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, scripted, startFilesystemMcp, type TestServer, type FilesystemMcp } from '../server/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const REBIND_NAME = 'rebind.vmlx-test';

let fs: FilesystemMcp;
let pages: Server;
let pageOrigin: string;
let closed: TestServer; // default policy: no origin allowed
let opened: TestServer; // --allowed-origins = the page server's origin
let browser: BrowserContext;
let profile: string;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this as root)`);
  fs = await startFilesystemMcp();
  pages = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another local site</title><p>hello</p>');
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const addr = pages.address();
  pageOrigin = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  closed = await startServer(scripted(['ok']), {}, fs.manager);
  opened = await startServer(scripted(['ok']), { allowedOrigins: [pageOrigin] }, fs.manager);
  profile = mkdtempSync(join(tmpdir(), 'vmlx-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-proxy-server',
      `--host-resolver-rules=MAP ${REBIND_NAME} 127.0.0.1`,
    ],
  });
});

after(async () => {
  await browser?.close();
  await opened?.close();
  await closed?.close();
  await new Promise<void>((resolve) => (pages ? pages.close(() => resolve()) : resolve()));
  await fs?.cleanup();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const writeCall = (file: string) => ({ server: 'filesystem', tool: 'write_file', arguments: { path: join(fs.root, file), content: 'written from a web page' } });

async function pageAt(url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  return page;
}

test('a <form enctype="text/plain"> from another origin cannot run a tool', async () => {
  const page = await pageAt(`${pageOrigin}/form`);
  const target = `${closed.url}/v1/mcp/execute`;
  const answer = page.waitForResponse((r) => r.url() === target);
  // The classic trick: the field name carries the JSON, the '=' lands inside a padding string.
  const json = JSON.stringify(writeCall('form.txt'));
  await page.evaluate(
    ({ target, name }) => {
      const document = (globalThis as any).document; // this runs in the page (tsconfig has no DOM types)
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = target;
      form.enctype = 'text/plain';
      const input = document.createElement('input');
      input.name = name;
      input.value = '"}';
      form.appendChild(input);
      document.body.appendChild(form);
      form.submit();
    },
    { target, name: json.slice(0, -1) + ',"pad":"' },
  );
  const r = await answer;
  assert.equal(r.status(), 403);
  assert.equal(((await r.json()) as any).error.code, 'origin_not_allowed');
  assert.equal(existsSync(join(fs.root, 'form.txt')), false);
  await page.close();
});

test('a simple (text/plain) fetch, a no-cors fetch and a JSON fetch from another origin run nothing and read nothing', async () => {
  const page = await pageAt(`${pageOrigin}/fetch`);
  const results = await page.evaluate(
    async ({ target, bodies }) => {
      const out: string[] = [];
      const attempts: RequestInit[] = [
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: bodies[0] },
        { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: bodies[1] },
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies[2] },
      ];
      for (const init of attempts) {
        try {
          const r = await fetch(target, init);
          out.push(`${r.type}:${r.status}:${await r.text()}`);
        } catch (err) {
          out.push(`blocked:${(err as Error).name}`);
        }
      }
      const tools = await fetch(target.replace('/execute', '/tools')).then(
        async (r) => `read:${r.status}:${await r.text()}`,
        (err: Error) => `blocked:${err.name}`,
      );
      out.push(tools);
      return out;
    },
    { target: `${closed.url}/v1/mcp/execute`, bodies: ['f1.txt', 'f2.txt', 'f3.txt'].map((f) => JSON.stringify(writeCall(f))) },
  );
  assert.deepEqual(results, ['blocked:TypeError', 'opaque:0:', 'blocked:TypeError', 'blocked:TypeError']);
  for (const f of ['f1.txt', 'f2.txt', 'f3.txt']) assert.equal(existsSync(join(fs.root, f)), false, f);
  await page.close();
});

test('a rebinding-style name resolving to 127.0.0.1 cannot read or run the MCP routes, even same-origin', async () => {
  const port = new URL(closed.url).port;
  const origin = `http://${REBIND_NAME}:${port}`;
  // The state after the DNS answer changed: the attacker's name now resolves to 127.0.0.1, so the page's
  // origin is the attacker's while its requests reach vmlx (which already refuses the document itself).
  const page = await browser.newPage();
  const first = await page.goto(`${origin}/attack`);
  assert.equal(first?.status(), 403);
  const results = await page.evaluate(async (body) => {
    const read = async (r: Response) => `${r.status}:${((await r.json()) as { error?: { code?: string } }).error?.code ?? 'ok'}`;
    return [
      await fetch('/v1/mcp/tools').then(read),
      await fetch('/health').then(read),
      await fetch('/v1/mcp/execute', { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(read),
    ];
  }, JSON.stringify(writeCall('rebind.txt')));
  assert.deepEqual(results, ['403:host_not_allowed', '403:host_not_allowed', '403:host_not_allowed']);
  assert.equal(existsSync(join(fs.root, 'rebind.txt')), false);
  await page.close();
});

test('control: a page from an origin in --allowed-origins can call the server (and a text/plain body is still 415)', async () => {
  const page = await pageAt(`${pageOrigin}/app`);
  const target = `${opened.url}/v1/mcp/execute`;
  const results = await page.evaluate(
    async ({ target, body }) => {
      const plain = await fetch(target, { method: 'POST', headers: { 'content-type': 'text/plain' }, body });
      const json = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return [`${plain.status}:${((await plain.json()) as any).error.code}`, `${json.status}:${((await json.json()) as any).is_error}`];
    },
    { target, body: JSON.stringify(writeCall('allowed.txt')) },
  );
  assert.deepEqual(results, ['415:unsupported_media_type', '200:false']);
  assert.equal(existsSync(join(fs.root, 'allowed.txt')), true);
  await page.close();
});
