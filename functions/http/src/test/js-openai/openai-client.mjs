// The official OpenAI Node client against a running maaskit server: node openai-client.mjs <baseURL> <model>
// Prints one JSON object with what it saw; OpenAiNodeClientTest asserts on it.
import OpenAI from "openai";

const [baseURL, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
const out = {};

const params = {
  model,
  messages: [{ role: "user", content: "Tell me a short story." }],
  max_tokens: 24,
  temperature: 0.8,
  seed: 4,
};
const whole = await client.chat.completions.create(params);
out.whole = whole.choices[0].message.content;
out.wholeFinish = whole.choices[0].finish_reason;

// The SDK's stream helper accumulates deltas into a message and throws on missing role or finish_reason.
const runner = client.chat.completions.stream({ ...params, stream_options: { include_usage: true } });
let streamed = "";
runner.on("content", (delta) => (streamed += delta));
const final = await runner.finalChatCompletion();
out.streamed = streamed;
out.final = final.choices[0].message.content;
out.finalFinish = final.choices[0].finish_reason;
out.usage = final.usage;

const completion = await client.completions.create({ model, prompt: "Hello", max_tokens: 8, temperature: 0 });
out.completion = completion.choices[0].text;

try {
  await client.chat.completions.create({ ...params, model: "no-such-model" });
  out.unknownModel = "no error";
} catch (e) {
  out.unknownModel = e.status;
}
try {
  await client.chat.completions.create({ ...params, temperature: 3 });
  out.badTemperature = "no error";
} catch (e) {
  out.badTemperature = e.status;
}
console.log(JSON.stringify(out));
