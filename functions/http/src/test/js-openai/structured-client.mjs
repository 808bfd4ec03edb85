// Structured outputs and tool calls with the official OpenAI Node client, checked with ajv:
// node structured-client.mjs <baseURL> <model,model> <toolModel,toolModel>
// Prints one JSON object with counts and the first failures; OpenAiNodeClientTest asserts on it.
import OpenAI from "openai";
import Ajv from "ajv";

const [baseURL, models, toolModels] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0 });
const ajv = new Ajv({ strict: false });
const out = { schema: 0, schemaValid: 0, object: 0, objectValid: 0, tool: 0, toolValid: 0, failures: [] };

const schema = {
  type: "object",
  properties: {
    title: { type: "string" },
    year: { type: "integer" },
    rating: { type: "number" },
    genre: { enum: ["drama", "comedy", "horror"] },
    sequel: { anyOf: [{ type: "null" }, { $ref: "#/$defs/movie" }] },
    cast: { type: "array", items: { $ref: "#/$defs/movie" } },
  },
  required: ["title", "year", "rating", "genre", "sequel", "cast"],
  additionalProperties: false,
  $defs: {
    movie: {
      type: "object",
      properties: { name: { type: "string" }, lead: { type: "boolean" } },
      required: ["name", "lead"],
      additionalProperties: false,
    },
  },
};
const validate = ajv.compile(schema);
const ms = models.split(",");
for (let seed = 0; seed < 50; seed++) {
  const r = await client.chat.completions.create({
    model: ms[seed % ms.length],
    messages: [{ role: "user", content: "Describe a movie." }],
    response_format: { type: "json_schema", json_schema: { name: "movie", schema, strict: true } },
    temperature: 1,
    seed,
    max_tokens: 120,
  });
  out.schema++;
  const text = r.choices[0].message.content;
  try {
    if (validate(JSON.parse(text))) out.schemaValid++;
    else out.failures.push({ seed, text, errors: validate.errors });
  } catch (e) {
    out.failures.push({ seed, text, error: String(e) });
  }
}
for (let seed = 0; seed < 50; seed++) {
  const r = await client.chat.completions.create({
    model: ms[seed % ms.length],
    messages: [{ role: "user", content: "JSON, please." }],
    response_format: { type: "json_object" },
    temperature: 1,
    seed,
    max_tokens: 48,
  });
  out.object++;
  const text = r.choices[0].message.content;
  try {
    const v = JSON.parse(text);
    if (v !== null && typeof v === "object" && !Array.isArray(v)) out.objectValid++;
    else out.failures.push({ seed, text });
  } catch (e) {
    out.failures.push({ seed, text, error: String(e) });
  }
}
const params = {
  type: "object",
  properties: { city: { type: "string" }, days: { type: "integer" } },
  required: ["city", "days"],
  additionalProperties: false,
};
const validateArgs = ajv.compile(params);
const ts = toolModels.split(",");
for (let seed = 0; seed < 10; seed++) {
  const r = await client.chat.completions.create({
    model: ts[seed % ts.length],
    messages: [{ role: "user", content: "Weather in Oslo for 3 days?" }],
    tools: [{ type: "function", function: { name: "forecast", description: "A forecast", parameters: params } }],
    tool_choice: seed % 2 ? "required" : { type: "function", function: { name: "forecast" } },
    temperature: 1,
    seed,
    max_tokens: 80,
  });
  out.tool++;
  const c = r.choices[0];
  const call = c.message.tool_calls?.[0];
  try {
    if (c.finish_reason === "tool_calls" && call.function.name === "forecast" &&
        validateArgs(JSON.parse(call.function.arguments))) out.toolValid++;
    else out.failures.push({ seed, message: c.message, finish: c.finish_reason });
  } catch (e) {
    out.failures.push({ seed, message: c.message, error: String(e) });
  }
}
out.failures = out.failures.slice(0, 5);
console.log(JSON.stringify(out));
