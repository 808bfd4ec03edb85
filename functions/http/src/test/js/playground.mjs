// Loads the playground in headless Chromium, classifies a sample, checks that the highlighted
// tokens carry the attributions /explain returns, and saves a screenshot.
// Usage: node playground.mjs BASE_URL SCREENSHOT MODEL TEXT
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, shot, model, text] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maaskit-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
const external = [];
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page.on('pageerror', (e) => failures.push('page error: ' + e.message));
  await page.goto(base + '/', { waitUntil: 'load' });
  // /v1/models lists name@version ids.
  const option = await page.waitForFunction((m) => {
    const o = [...document.querySelectorAll('#clsModel option')].find((x) => x.value === m || x.value.startsWith(m + '@'));
    return o ? o.value : null;
  }, model);
  await page.selectOption('#clsModel', await option.jsonValue());
  await page.fill('#clsText', text);
  await page.click('#clsGo');
  await page.waitForSelector('#explainOut .tok', { timeout: 60000 });
  const shown = await page.$$eval('#explainOut .tok', (els) => els.map((e) => ({
    text: e.textContent, token: e.dataset.token, attribution: Number(e.dataset.attribution), background: e.style.background,
  })));
  const label = await page.textContent('#clsOut');
  // The same request straight to the API: the page must show exactly these values.
  const res = await fetch(base + '/explain', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs: text, model, method: 'integrated_gradients', aggregate: 'token' }),
  });
  const api = (await res.json())[0].tokens.filter((t) => t.start !== t.end);
  if (shown.length !== api.length) failures.push(`page shows ${shown.length} tokens, /explain returned ${api.length}`);
  for (let i = 0; i < Math.min(shown.length, api.length); i++) {
    const a = api[i];
    const s = shown[i];
    if (s.text !== text.slice(a.start, a.end)) failures.push(`token ${i}: page shows '${s.text}', span is '${text.slice(a.start, a.end)}'`);
    if (Math.abs(s.attribution - a.attribution) > 1e-6 * Math.max(1, Math.abs(a.attribution))) {
      failures.push(`token ${i} '${s.text}': page ${s.attribution}, /explain ${a.attribution}`);
    }
    if (!s.background.startsWith('rgba(')) failures.push(`token ${i} is not highlighted`);
  }
  if (!shown.some((s) => s.attribution !== 0)) failures.push('every attribution is 0');
  await page.fill('#embA', 'The match ended with a late goal.');
  await page.fill('#embB', 'A stoppage-time strike decided the game.');
  await page.click('#embGo');
  await page.waitForSelector('#similarityValue', { timeout: 60000 });
  const similarity = await page.textContent('#similarityValue');
  // Each text's contributions to the similarity, from /explain with target=similarity.
  await page.waitForSelector('#embOut .tok', { timeout: 60000 });
  const simTokens = await page.$$eval('#embOut .tok', (els) => els.map((e) => Number(e.dataset.attribution)));
  if (!simTokens.some((a) => a !== 0)) failures.push('similarity tokens carry no attribution');
  await page.click('#infoGo');
  await page.waitForFunction(() => document.querySelectorAll('#infoTable tbody tr td').length > 1);
  await page.screenshot({ path: shot, fullPage: true });
  if (external.length) failures.push('requests outside the server: ' + external.join(', '));
  console.log(JSON.stringify({ label, tokens: shown.length, similarity, similarityTokens: simTokens.length, failures }));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failures.length ? 1 : 0);
