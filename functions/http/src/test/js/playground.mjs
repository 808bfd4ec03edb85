// Loads the playground in headless Chromium, classifies a sample and asks the generator, checks that
// the highlighted tokens (classifier and chat answer) carry the attributions /explain returns, and
// saves a screenshot.
// Usage: node playground.mjs BASE_URL SCREENSHOT MODEL TEXT GENERATOR
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
  // A chat answer from the generator, then its explanation: prompt tokens shaded by their
  // contribution to the answer's log-probability, exactly the values /explain returns.
  const generator = process.argv[6];
  const genOption = await page.waitForFunction((m) => {
    const o = [...document.querySelectorAll('#chatModel option')].find((x) => x.value === m || x.value.startsWith(m + '@'));
    return o ? o.value : null;
  }, generator);
  await page.selectOption('#chatModel', await genOption.jsonValue());
  // Greedy, no system prompt: the same conversation is sent to /explain below.
  await page.fill('#chatSystem', '');
  await page.fill('#chatUser', 'Is the river cold in winter?');
  await page.fill('#chatTemp', '0');
  await page.fill('#chatMax', '24');
  await page.click('#chatGo');
  await page.waitForFunction(() => document.getElementById('chatOut').dataset.state === 'done'
    || document.getElementById('chatOut').dataset.state === 'error', null, { timeout: 60000 });
  const answer = await page.textContent('#chatOut');
  if (await page.$eval('#chatOut', (e) => e.dataset.state) !== 'done') failures.push('chat: ' + answer);
  let chatTokens = 0;
  if (!answer) {
    failures.push('the chat answer is empty');
  } else {
    await page.click('#chatExplain');
    await page.waitForSelector('#chatTokens .tok', { timeout: 120000 });
    const chat = await page.$$eval('#chatTokens .tok', (els) => els.map((e) => ({
      text: e.textContent, attribution: Number(e.dataset.attribution), special: e.classList.contains('special'),
      background: e.style.background,
    })));
    chatTokens = chat.length;
    const r = await fetch(base + '/explain', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: generator, messages: [{ role: 'user', content: 'Is the river cold in winter?' }], completion: answer }),
    });
    const prompt = (await r.json())[0].prompt_tokens;
    if (chat.length !== prompt.length) failures.push(`chat: page shows ${chat.length} tokens, /explain returned ${prompt.length}`);
    for (let i = 0; i < Math.min(chat.length, prompt.length); i++) {
      const a = prompt[i];
      const s = chat[i];
      if (s.text !== a.token) failures.push(`chat token ${i}: page shows '${s.text}', /explain '${a.token}'`);
      if (Math.abs(s.attribution - a.attribution) > 1e-5 * Math.max(1, Math.abs(a.attribution))) {
        failures.push(`chat token ${i} '${s.text}': page ${s.attribution}, /explain ${a.attribution}`);
      }
      if (!a.special && !s.background.startsWith('rgba(')) failures.push(`chat token ${i} is not shaded`);
    }
    if (!chat.some((s) => !s.special && s.attribution !== 0)) failures.push('every chat token attribution is 0');
  }
  await page.click('#infoGo');
  await page.waitForFunction(() => document.querySelectorAll('#infoTable tbody tr td').length > 1);
  await page.screenshot({ path: shot, fullPage: true });
  if (external.length) failures.push('requests outside the server: ' + external.join(', '));
  console.log(JSON.stringify({ label, tokens: shown.length, similarity, similarityTokens: simTokens.length, answer, chatTokens, failures }));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failures.length ? 1 : 0);
