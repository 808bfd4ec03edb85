// Playground panel for token classifiers (entities) and question answerers (answer spans).
'use strict';

// Fills a select with the models that declare a capability (from /v1/models).
async function loadTokenModels() {
  try {
    const list = await call('GET', '/v1/models');
    const fill = (sel, capability) => {
      const keep = sel.value;
      sel.innerHTML = '';
      for (const m of list.data.filter((x) => (x.capabilities || []).includes(capability))) {
        const o = document.createElement('option');
        o.value = m.id;
        o.textContent = m.id;
        sel.appendChild(o);
      }
      if (keep) sel.value = keep;
    };
    fill($('nerModel'), 'token-classifier');
    fill($('qaModel'), 'question-answerer');
  } catch (e) {
    showError($('nerOut'), e);
  }
}

// The text with the given [start, end) spans marked; spans sorted and not overlapping.
function markSpans(out, text, spans, className, label) {
  out.innerHTML = '';
  let at = 0;
  for (const s of spans) {
    if (s.start < at) continue;
    if (s.start > at) out.appendChild(document.createTextNode(text.slice(at, s.start)));
    const mark = document.createElement('mark');
    mark.className = className;
    mark.textContent = text.slice(s.start, s.end);
    mark.title = label(s);
    mark.dataset.start = String(s.start);
    mark.dataset.end = String(s.end);
    if (className === 'ent') {
      const tag = document.createElement('span');
      tag.className = 'tag';
      tag.textContent = s.entity_group || s.entity;
      mark.appendChild(tag);
    }
    out.appendChild(mark);
    at = s.end;
  }
  if (at < text.length) out.appendChild(document.createTextNode(text.slice(at)));
}

async function findEntities() {
  const text = $('nerText').value;
  const model = $('nerModel').value;
  $('nerOut').textContent = 'tagging...';
  try {
    if (!model) throw new Error('no token classifier in the store (capability token-classifier)');
    const entities = await call('POST', '/predict', {
      inputs: text, model, parameters: { aggregation_strategy: $('nerAgg').value }
    });
    const sorted = [...entities].sort((a, b) => a.start - b.start);
    markSpans($('nerOut'), text, sorted, 'ent',
      (e) => `${e.entity_group || e.entity} ${e.score.toFixed(3)}: ${e.word}`);
    if (sorted.length === 0) $('nerOut').appendChild(document.createTextNode(' (no entities)'));
  } catch (e) {
    showError($('nerOut'), e);
  }
}

async function answerQuestion() {
  const context = $('qaContext').value;
  const model = $('qaModel').value;
  const topK = Number($('qaTopK').value) || 1;
  $('qaOut').textContent = 'answering...';
  try {
    if (!model) throw new Error('no question answerer in the store (capability question-answerer)');
    const r = await call('POST', '/answer', {
      question: $('qaQuestion').value, context, model, top_k: topK
    });
    const answers = Array.isArray(r) ? r : [r];
    const best = answers[0];
    markSpans($('qaOut'), context, best.end > best.start ? [best] : [], 'answer',
      (a) => `score ${a.score.toFixed(4)}`);
    const list = document.createElement('p');
    list.className = 'legend';
    list.textContent = answers
      .map((a) => `"${a.answer}" ${a.score.toFixed(4)} [${a.start}, ${a.end})`)
      .join('; ');
    $('qaOut').appendChild(list);
  } catch (e) {
    showError($('qaOut'), e);
  }
}

$('nerGo').addEventListener('click', findEntities);
$('qaGo').addEventListener('click', answerQuestion);
loadTokenModels();
