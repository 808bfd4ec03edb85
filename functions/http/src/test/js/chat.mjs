// The playground's chat panel in headless Chromium: the streamed answer grows in visible steps
// before it completes, equals the non-streamed answer of the same seeded request, and Stop ends the
// stream with the server's active-sequence count back to 0. Saves a screenshot.
// Usage: node chat.mjs BASE_URL SCREENSHOT MODEL
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [base, shot, model] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'maaskit-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const failures = [];
const report = { failures };
const prompt = 'Hi';
const request = (seed, maxTokens) => ({
  model, messages: [{ role: 'user', content: prompt }], temperature: 0.8, max_tokens: maxTokens, seed,
});
async function whole(seed, maxTokens) {
  const res = await fetch(base + '/v1/chat/completions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(request(seed, maxTokens)),
  });
  return res.json();
}
async function activeSequences() {
  const info = await (await fetch(base + '/info')).json();
  return info.generation.activeSequences;
}
try {
  const page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (e) => failures.push('page error: ' + e.message));
  await page.goto(base + '/', { waitUntil: 'load' });
  const option = await page.waitForFunction((m) => {
    const o = [...document.querySelectorAll('#chatModel option')].find((x) => x.value === m || x.value.startsWith(m + '@'));
    return o ? o.value : null;
  }, model);
  await page.selectOption('#chatModel', await option.jsonValue());
  await page.fill('#chatSystem', '');
  await page.fill('#chatUser', prompt);
  await page.fill('#chatTemp', '0.8');
  await page.fill('#chatMax', '150');
  await page.fill('#chatSeed', '7');
  // Every visible state of the answer, with the stream's state at that moment.
  await page.evaluate(() => {
    window.steps = [];
    const out = document.getElementById('chatOut');
    new MutationObserver(() => window.steps.push({ text: out.textContent, state: out.dataset.state }))
      .observe(out, { childList: true, characterData: true, subtree: true });
  });
  // The network delivers the stream at 16 KB/s (Chromium's own throttling): a tiny model on a fast
  // host can finish its answer before the page's first read, and what is tested here is that the
  // page shows the answer as it arrives, not how fast the server is.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency: 0, downloadThroughput: 16 * 1024, uploadThroughput: -1,
  });
  await page.click('#chatGo');
  await page.waitForFunction(() => document.getElementById('chatOut').dataset.state !== 'streaming', null, { timeout: 120000 });
  const state = await page.$eval('#chatOut', (e) => e.dataset.state);
  const shown = await page.textContent('#chatOut');
  const steps = await page.evaluate(() => window.steps);
  const growing = steps.filter((s) => s.state === 'streaming' && s.text.length > 0);
  const lengths = [...new Set(growing.map((s) => s.text.length))];
  report.state = state;
  report.visibleSteps = lengths.length;
  if (state !== 'done') failures.push(`the stream ended as '${state}', not [DONE]`);
  if (lengths.length < 3) failures.push(`the answer grew in ${lengths.length} visible steps before it completed`);
  for (let i = 1; i < growing.length; i++) {
    if (!growing[i].text.startsWith(growing[i - 1].text)) failures.push(`step ${i} rewrote earlier text`);
  }
  const expected = await whole(7, 150);
  const text = expected.choices[0].message.content;
  if (shown !== text) failures.push(`page shows ${JSON.stringify(shown)}, the non-streamed answer is ${JSON.stringify(text)}`);
  const usage = await page.textContent('#chatUsage');
  if (!usage.includes(`+ ${expected.usage.completion_tokens} completion`)) failures.push(`usage shown: '${usage}'`);
  await page.screenshot({ path: shot, fullPage: true });

  // Stop: caught while the server is still generating (tried with a few seeds, since a tiny model
  // may finish before the click lands), then the server's active sequences go back to 0.
  let caught = false;
  let busy = [];
  for (let seed = 11; seed < 19 && !caught; seed++) {
    await page.fill('#chatMax', '220');
    await page.fill('#chatSeed', String(seed));
    // Other clients keep the server busy meanwhile (a tiny model on an idle host would otherwise be
    // done with 220 tokens before a Stop could land): continuous batching runs them in the same
    // steps as the page's sequence.
    await Promise.all(busy);
    busy = Array.from({ length: 12 }, (_, i) => whole(100 + i, 220).catch(() => null));
    await page.click('#chatGo');
    // As soon as the request is out (Stop enabled), not after the first text: a fast host may be
    // done generating by then.
    await page.waitForFunction(() => !document.getElementById('chatStop').disabled
      || document.getElementById('chatOut').dataset.state !== 'streaming', null, { timeout: 120000 });
    const active = await activeSequences();
    // The answer may already be complete (Stop disabled again): try the next seed.
    if (!(await page.isEnabled('#chatStop'))) continue;
    try {
      await page.click('#chatStop', { timeout: 2000 });
    } catch (e) {
      continue; // it ended between the check and the click
    }
    await page.waitForFunction(() => document.getElementById('chatOut').dataset.state !== 'streaming', null, { timeout: 60000 });
    const after = await page.$eval('#chatOut', (e) => ({ state: e.dataset.state, finish: e.dataset.finish || null }));
    if (active > 0 && after.state === 'stopped') {
      caught = true;
      if (after.finish) failures.push(`stopped, yet the answer finished (${after.finish})`);
      let left = active;
      for (let i = 0; i < 100 && left > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = await activeSequences();
      }
      report.activeAtStop = active;
      report.activeAfterStop = left;
      if (left !== 0) failures.push(`${left} sequences still active after Stop`);
    }
  }
  if (!caught) failures.push('never caught a generation in progress to stop');
} catch (e) {
  failures.push('error: ' + (e && e.stack ? e.stack : e));
} finally {
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log(JSON.stringify(report));
process.exit(failures.length ? 1 : 0);
