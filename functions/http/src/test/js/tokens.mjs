// Loads the playground in headless Chromium, finds the entities of a text with the token classifier
// and answers a question with the question answerer; checks that the marked spans are exactly the
// ones /predict and /answer return, and saves a screenshot.
// Usage: node tokens.mjs BASE_URL SCREENSHOT NER_MODEL QA_MODEL
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, shot, ner, qa] = process.argv.slice(2);
const text = 'The cat sat on the mat. The dog runs in the park.';
const question = 'What sat on the mat?';
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
const api = async (route, body) => {
  const r = await fetch(base + route, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return r.json();
};
let entities = [];
let answer = null;
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('request', (r) => { if (!r.url().startsWith(base)) external.push(r.url()); });
  page.on('pageerror', (e) => failures.push('page error: ' + e.message));
  await page.goto(base + '/', { waitUntil: 'load' });
  const pick = async (select, model) => {
    const option = await page.waitForFunction(([sel, m]) => {
      const o = [...document.querySelectorAll(sel + ' option')].find((x) => x.value === m || x.value.startsWith(m + '@'));
      return o ? o.value : null;
    }, [select, model]);
    const id = await option.jsonValue();
    await page.selectOption(select, id);
    return id;
  };

  const nerId = await pick('#nerModel', ner);
  await page.selectOption('#nerAgg', 'none');
  await page.fill('#nerText', text);
  await page.click('#nerGo');
  await page.waitForFunction(() => !document.querySelector('#nerOut').textContent.startsWith('tagging'));
  const marked = await page.$$eval('#nerOut mark.ent', (els) => els.map((e) => ({
    start: Number(e.dataset.start), end: Number(e.dataset.end), title: e.title,
  })));
  entities = await api('/predict', { inputs: text, model: nerId, parameters: { aggregation_strategy: 'none' } });
  if (entities.length === 0) failures.push('/predict found no entities to show');
  if (marked.length !== entities.length) failures.push(`page marks ${marked.length} spans, /predict returned ${entities.length}`);
  for (let i = 0; i < Math.min(marked.length, entities.length); i++) {
    const e = entities[i];
    const m = marked[i];
    if (m.start !== e.start || m.end !== e.end) failures.push(`entity ${i}: page [${m.start}, ${m.end}), /predict [${e.start}, ${e.end})`);
    if (!m.title.startsWith(e.entity + ' ')) failures.push(`entity ${i}: title '${m.title}', label ${e.entity}`);
  }

  const qaId = await pick('#qaModel', qa);
  await page.fill('#qaQuestion', question);
  await page.fill('#qaContext', text);
  await page.click('#qaGo');
  await page.waitForSelector('#qaOut mark.answer', { timeout: 60000 });
  const shown = await page.$eval('#qaOut mark.answer', (e) => ({
    text: e.textContent, start: Number(e.dataset.start), end: Number(e.dataset.end),
  }));
  answer = await api('/answer', { question, context: text, model: qaId });
  if (shown.start !== answer.start || shown.end !== answer.end || shown.text !== answer.answer) {
    failures.push(`page marks '${shown.text}' [${shown.start}, ${shown.end}), /answer '${answer.answer}' [${answer.start}, ${answer.end})`);
  }
  await page.locator('#tokens').screenshot({ path: shot });
  if (external.length) failures.push('requests outside the server: ' + external.join(', '));
  console.log(JSON.stringify({ entities: entities.length, answer, failures }));
} catch (e) {
  failures.push(String(e));
  console.log(JSON.stringify({ failures }));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
process.exit(failures.length ? 1 : 0);
