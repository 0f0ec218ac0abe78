// Drives a running `phd serve` with OpenAI's official client: node test.mjs BASE_URL API_KEY
// Exits 0 when every call gives what the OpenAI API promises, else prints what failed and exits 1.
import OpenAI from "openai";
import assert from "node:assert/strict";

const [baseURL, apiKey] = process.argv.slice(2);
const client = new OpenAI({ baseURL: baseURL + "/v1", apiKey, maxRetries: 0 });

const models = await client.models.list();
assert.equal(models.data.length, 1);
const model = models.data[0].id;

const messages = [{ role: "user", content: "Once upon a time" }];
const whole = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0 });
assert.equal(whole.object, "chat.completion");
assert.equal(whole.choices[0].message.role, "assistant");
assert.equal(whole.choices[0].finish_reason, "length");
assert.equal(whole.usage.completion_tokens, 6);
assert.equal(whole.usage.total_tokens, whole.usage.prompt_tokens + 6);

const stream = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0, stream: true,
  stream_options: { include_usage: true } });
let text = "", finish = null, usage = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) {
    text += c.delta?.content ?? "";
    if (c.finish_reason) finish = c.finish_reason;
  }
}
assert.equal(text, whole.choices[0].message.content, "streamed text equals the whole reply (greedy)");
assert.equal(finish, "length");
assert.deepEqual(usage, whole.usage);

const completion = await client.completions.create({ model, prompt: "It is a truth", max_tokens: 4, temperature: 0 });
assert.equal(completion.object, "text_completion");
assert.equal(completion.usage.completion_tokens, 4);

const withLogprobs = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0, logprobs: true,
  top_logprobs: 2, presence_penalty: 0.5, frequency_penalty: 0.5 });
const entries = withLogprobs.choices[0].logprobs.content;
assert.equal(entries.length, 6);
for (const e of entries) {
  assert.ok(e.logprob <= 0 && e.top_logprobs.length === 2 && Array.isArray(e.bytes), JSON.stringify(e));
}

await assert.rejects(client.chat.completions.create({ model, messages: [], max_tokens: 4 }),
  (e) => e.status === 400 && /messages/.test(e.message));
const wrongKey = new OpenAI({ baseURL: baseURL + "/v1", apiKey: "wrong", maxRetries: 0 });
await assert.rejects(wrongKey.models.list(), (e) => e.status === 401);

console.log("openai client: all checks passed (" + JSON.stringify(text) + ")");
