// The official OpenAI Node client runs a batch against a running maaskit server:
//   node batch-client.mjs <baseURL> <lines>
// Uploads a JSONL file of embeddings requests, creates a batch, polls it to a final status, downloads the
// output, and sends the same requests one by one; prints one JSON object with what it saw (BatchQueueTest
// asserts on it).
import OpenAI, { toFile } from "openai";

const [baseURL, count] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
const n = Number(count);
const inputs = Array.from({ length: n }, (_, i) => `node line ${i}: the quick brown fox ${i * 7}`);
const jsonl = inputs
  .map((input, i) =>
    JSON.stringify({ custom_id: `n${i}`, method: "POST", url: "/v1/embeddings", body: { input } }),
  )
  .join("\n");

const file = await client.files.create({
  file: await toFile(Buffer.from(jsonl + "\n"), "node-requests.jsonl"),
  purpose: "batch",
});
let batch = await client.batches.create({
  input_file_id: file.id,
  endpoint: "/v1/embeddings",
  completion_window: "24h",
  metadata: { client: "openai-node" },
});
const deadline = Date.now() + 300_000;
while (!["completed", "failed", "expired", "cancelled"].includes(batch.status) && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 200));
  batch = await client.batches.retrieve(batch.id);
}
const out = {
  fileId: file.id,
  fileBytes: file.bytes,
  status: batch.status,
  counts: batch.request_counts,
  metadata: batch.metadata,
  errorFileId: batch.error_file_id ?? null,
};
if (batch.output_file_id) {
  const text = await (await client.files.content(batch.output_file_id)).text();
  const lines = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  out.lines = lines.length;
  const seen = new Map();
  for (const l of lines) seen.set(l.custom_id, (seen.get(l.custom_id) ?? 0) + 1);
  out.answeredOnce = [...seen.values()].every((c) => c === 1) ? seen.size : -1;
  out.inOrder = lines.every((l, i) => l.custom_id === `n${i}`);
  out.statusCodes = [...new Set(lines.map((l) => l.response?.status_code))];
  // The same requests one by one: the batch answers them as the route does.
  let maxDiff = 0;
  let dims = 0;
  for (let i = 0; i < n; i++) {
    const one = await client.embeddings.create({ input: inputs[i], encoding_format: "float" });
    const a = one.data[0].embedding;
    const b = lines[i].response.body.data[0].embedding;
    dims = a.length;
    if (a.length !== b.length) maxDiff = Infinity;
    for (let d = 0; d < a.length; d++) maxDiff = Math.max(maxDiff, Math.abs(a[d] - b[d]));
  }
  out.dims = dims;
  out.maxDiff = maxDiff;
}
console.log(JSON.stringify(out));
