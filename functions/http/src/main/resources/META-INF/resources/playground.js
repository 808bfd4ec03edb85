// The playground: plain browser JavaScript over the public HTTP API, no dependencies.
'use strict';

const $ = (id) => document.getElementById(id);

async function call(method, path, body) {
  const headers = { 'Content-Type': 'application/json' };
  const key = $('apiKey').value.trim();
  if (key) headers.Authorization = 'Bearer ' + key;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch (e) { json = null; }
  if (!res.ok) {
    const msg = json && json.error ? json.error.message : text || res.statusText;
    throw new Error(res.status + ': ' + msg);
  }
  return json;
}

function showError(el, e) {
  el.innerHTML = '';
  const p = document.createElement('p');
  p.className = 'error';
  p.textContent = e.message;
  el.appendChild(p);
}

async function loadModels() {
  try {
    const list = await call('GET', '/v1/models');
    const ids = list.data.map((m) => m.id);
    for (const sel of [$('clsModel'), $('embModel')]) {
      const keep = sel.value;
      sel.innerHTML = '';
      for (const id of ids) {
        const o = document.createElement('option');
        o.value = id;
        o.textContent = id;
        sel.appendChild(o);
      }
      if (keep && ids.includes(keep)) sel.value = keep;
    }
    // Guess sensible defaults: a classifier-looking name, and the server's default encoder.
    const cls = ids.find((id) => /spam|topic|cls|classif/i.test(id));
    if (cls && !$('clsModel').dataset.touched) $('clsModel').value = cls;
    const def = list.data.find((m) => m.default);
    if (def && !$('embModel').dataset.touched) $('embModel').value = def.id;
  } catch (e) {
    showError($('clsOut'), e);
  }
}

function colour(a, max) {
  const t = max > 0 ? Math.min(1, Math.abs(a) / max) : 0;
  // Green supports the label, red speaks against it.
  return a >= 0 ? `rgba(34, 160, 70, ${0.08 + 0.72 * t})` : `rgba(210, 40, 40, ${0.08 + 0.72 * t})`;
}

function renderExplanation(text, e, out = $('explainOut')) {
  out.innerHTML = '';
  const head = document.createElement('p');
  head.className = 'legend';
  const gap = e.completeness_gap == null ? '' : `, completeness gap ${e.completeness_gap.toExponential(2)}`;
  head.textContent = e.label === 'similarity'
    ? `${e.method} of the cosine similarity (${e.score.toFixed(3)}${gap}); green raises it, red lowers it`
    : `${e.method} toward "${e.label}" (p = ${e.score.toFixed(3)}${gap}); green supports the label, red opposes it`;
  out.appendChild(head);
  const body = document.createElement('div');
  const max = Math.max(...e.tokens.map((t) => Math.abs(t.attribution)));
  let at = 0;
  for (const t of e.tokens) {
    if (t.start === t.end) continue; // special tokens cover no text
    if (t.start > at) body.appendChild(document.createTextNode(text.slice(at, t.start)));
    if (t.start < at) continue; // overlapping piece (should not happen)
    const span = document.createElement('span');
    span.className = 'tok';
    span.textContent = text.slice(t.start, t.end);
    span.dataset.token = t.token;
    span.dataset.attribution = String(t.attribution);
    span.title = `${t.token}: ${t.attribution.toExponential(3)}`;
    span.style.background = colour(t.attribution, max);
    body.appendChild(span);
    at = t.end;
  }
  if (at < text.length) body.appendChild(document.createTextNode(text.slice(at)));
  out.appendChild(body);
}

async function classify() {
  const text = $('clsText').value;
  const model = $('clsModel').value || undefined;
  $('clsOut').textContent = 'classifying...';
  $('explainOut').textContent = '';
  try {
    const rows = await call('POST', '/predict', { inputs: text, model });
    const out = $('clsOut');
    out.innerHTML = '';
    for (const r of rows[0]) {
      const line = document.createElement('div');
      line.className = 'label';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = Math.round(200 * r.score) + 'px';
      line.appendChild(bar);
      line.appendChild(document.createTextNode(`${r.label} ${r.score.toFixed(4)}`));
      out.appendChild(line);
    }
    $('explainOut').textContent = 'explaining...';
    const ex = await call('POST', '/explain', {
      inputs: text, model, method: $('method').value, aggregate: $('words').checked ? 'word' : 'token'
    });
    renderExplanation(text, ex[0]);
  } catch (e) {
    showError($('explainOut'), e);
  }
  loadInfo();
}

async function compare() {
  const out = $('embOut');
  out.textContent = 'embedding...';
  try {
    const v = await call('POST', '/embed', {
      inputs: [$('embA').value, $('embB').value], model: $('embModel').value || undefined, normalize: true
    });
    let dot = 0;
    for (let i = 0; i < v[0].length; i++) dot += v[0][i] * v[1][i];
    out.innerHTML = '';
    const p = document.createElement('p');
    p.id = 'similarityValue';
    p.textContent = `cosine similarity ${dot.toFixed(4)} (${v[0].length} dimensions)`;
    out.appendChild(p);
    const parts = [document.createElement('div'), document.createElement('div')];
    for (const d of parts) {
      d.className = 'explain';
      d.textContent = 'explaining...';
      out.appendChild(d);
    }
    const texts = [$('embA').value, $('embB').value];
    const ex = await call('POST', '/explain', {
      inputs: texts, model: $('embModel').value || undefined, target: 'similarity', steps: 32
    });
    ex.forEach((e, i) => renderExplanation(texts[i], e, parts[i]));
  } catch (e) {
    showError(out, e);
  }
  loadInfo();
}

// The last finished chat exchange, for Explain: the conversation and the answer the model streamed.
let lastChat = null;

// Prompt tokens shaded by their contribution to the answer's log-probability; special tokens
// (the chat template's markers) shown as small grey tags.
function renderCompletionExplanation(e, out) {
  out.innerHTML = '';
  const head = document.createElement('p');
  head.className = 'legend';
  const gap = e.completeness_gap == null ? '' : `, completeness gap ${e.completeness_gap.toExponential(2)}`;
  head.textContent = `${e.method}: each prompt token's contribution to log p(answer) = ${e.logprob.toFixed(3)}`
    + `${gap}; green made the answer more likely, red less`;
  out.appendChild(head);
  const body = document.createElement('div');
  body.id = 'chatTokens';
  const max = Math.max(...e.prompt_tokens.map((t) => Math.abs(t.attribution)));
  for (const t of e.prompt_tokens) {
    const span = document.createElement('span');
    span.className = t.special ? 'tok special' : 'tok';
    span.textContent = t.token;
    span.dataset.attribution = String(t.attribution);
    span.title = `${JSON.stringify(t.token)}: ${t.attribution.toExponential(3)}`;
    if (!t.special) span.style.background = colour(t.attribution, max);
    body.appendChild(span);
  }
  out.appendChild(body);
}

async function explainAnswer() {
  const out = $('chatExplainOut');
  if (!lastChat) return;
  out.textContent = 'explaining...';
  try {
    const method = $('chatMethod').value || undefined;
    const ex = await call('POST', '/explain', {
      model: lastChat.model, messages: lastChat.messages, completion: lastChat.answer, method
    });
    renderCompletionExplanation(ex[0], out);
  } catch (e) {
    showError(out, e);
  }
  loadInfo();
}

async function loadInfo() {
  const body = $('infoTable').querySelector('tbody');
  try {
    const info = await call('GET', '/info');
    body.innerHTML = '';
    for (const m of info.models) {
      const tr = document.createElement('tr');
      const ms = m.stats && m.stats.fetchMillis != null ? (m.stats.fetchMillis + m.stats.buildMillis) + ' ms' : '';
      for (const v of [m.model, m.state, m.engine || '', ms, m.error || '']) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    if (!info.models.length) {
      body.innerHTML = '<tr><td colspan="5" class="muted">no model loaded yet: models load on first use</td></tr>';
    }
  } catch (e) {
    body.innerHTML = '';
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 5;
    td.className = 'error';
    td.textContent = e.message;
    tr.appendChild(td);
    body.appendChild(tr);
  }
}

$('clsGo').addEventListener('click', classify);
$('embGo').addEventListener('click', compare);
$('infoGo').addEventListener('click', loadInfo);
$('chatExplain').addEventListener('click', explainAnswer);
$('clsModel').addEventListener('change', (ev) => { ev.target.dataset.touched = '1'; });
$('embModel').addEventListener('change', (ev) => { ev.target.dataset.touched = '1'; });
loadModels();
loadInfo();

// ---- Chat panel: /v1/chat/completions with "stream": true, read as server-sent events. The answer
// grows once per chunk read; Stop aborts the request, the server sees the connection close and drops
// the sequence from its decode loop.
let chatAbort = null;

async function loadGenerators() {
  try {
    const list = await call('GET', '/v1/models');
    const sel = $('chatModel');
    sel.innerHTML = '';
    for (const m of list.data.filter((x) => x.context_length != null)) {
      const o = document.createElement('option');
      o.value = m.id;
      o.textContent = m.id;
      sel.appendChild(o);
    }
    if (!sel.options.length) {
      $('chatUsage').textContent = 'no generator in the store (scripts/import-model a Llama, Mistral, Qwen2 or GPT-2 package)';
    }
  } catch (e) {
    showError($('chatOut'), e);
  }
}

function chatRequest() {
  const messages = [];
  const system = $('chatSystem').value.trim();
  if (system) messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: $('chatUser').value });
  const body = {
    model: $('chatModel').value,
    messages,
    temperature: Number($('chatTemp').value),
    max_tokens: Number($('chatMax').value),
    stream: true,
    stream_options: { include_usage: true },
  };
  const seed = $('chatSeed').value.trim();
  if (seed !== '') body.seed = Number(seed);
  return body;
}

/** Applies one event's chunk to the answer; returns the text it added. */
function chatChunk(chunk, out) {
  if (chunk.error) throw new Error(chunk.error.status + ': ' + chunk.error.message);
  let added = '';
  for (const ch of chunk.choices || []) {
    if (ch.delta && ch.delta.content) added += ch.delta.content;
    if (ch.finish_reason) out.dataset.finish = ch.finish_reason;
  }
  if (chunk.usage) {
    const u = chunk.usage;
    $('chatUsage').textContent = `${u.prompt_tokens} prompt + ${u.completion_tokens} completion = ${u.total_tokens} tokens`;
  }
  return added;
}

async function chat() {
  const out = $('chatOut');
  out.textContent = '';
  out.dataset.state = 'streaming';
  delete out.dataset.finish;
  $('chatUsage').textContent = '';
  $('chatExplain').hidden = true;
  $('chatExplainOut').textContent = '';
  lastChat = null;
  const request = chatRequest();
  const headers = { 'Content-Type': 'application/json' };
  const key = $('apiKey').value.trim();
  if (key) headers.Authorization = 'Bearer ' + key;
  chatAbort = new AbortController();
  $('chatGo').disabled = true;
  $('chatStop').disabled = false;
  try {
    const res = await fetch('/v1/chat/completions', {
      method: 'POST', headers, body: JSON.stringify(request), signal: chatAbort.signal,
    });
    if (!res.ok) {
      const text = await res.text();
      let msg = text;
      try { msg = JSON.parse(text).error.message; } catch (e) { /* not JSON */ }
      throw new Error(res.status + ': ' + msg);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let pending = '';
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      let end;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        const event = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (!event.startsWith('data: ')) continue;
        const data = event.slice(6);
        if (data === '[DONE]') {
          out.dataset.state = 'done';
        } else {
          text += chatChunk(JSON.parse(data), out);
        }
      }
      out.textContent = text; // one visible step per chunk read
    }
    if (out.dataset.state !== 'done') out.dataset.state = 'ended';
    if (out.dataset.state === 'done' && text.length > 0) {
      lastChat = { model: request.model, messages: request.messages, answer: text };
      $('chatExplain').hidden = false;
    }
  } catch (e) {
    if (e.name === 'AbortError') {
      out.dataset.state = 'stopped';
    } else {
      out.dataset.state = 'error';
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = e.message;
      out.appendChild(p);
    }
  } finally {
    chatAbort = null;
    $('chatGo').disabled = false;
    $('chatStop').disabled = true;
  }
}

$('chatGo').addEventListener('click', chat);
$('chatStop').addEventListener('click', () => { if (chatAbort) chatAbort.abort(); });
loadGenerators();
