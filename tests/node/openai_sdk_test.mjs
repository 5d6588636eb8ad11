// Drives mmserve's chat completions with the official `openai` Node.js SDK, unchanged:
//   node tests/node/openai_sdk_test.mjs <base-url, e.g. http://127.0.0.1:8000/v1> <model>
// Non-streaming and streaming (`for await`), checking content, finish_reason and usage. Exits non-zero on
// any failure.
import OpenAI from 'openai';

const [baseURL, model] = process.argv.slice(2);
if (!baseURL || !model) {
  console.error('usage: openai_sdk_test.mjs <base-url> <model>');
  process.exit(2);
}

let failures = 0;
function check(cond, what) {
  if (!cond) {
    console.error(`FAIL: ${what}`);
    ++failures;
  }
}

const client = new OpenAI({ baseURL, apiKey: 'sk-unused', timeout: 15000, maxRetries: 0 });
const messages = [{ role: 'user', content: 'Say hello.' }];
const maxTokens = 8;

// Non-streaming.
const r = await client.chat.completions.create({ model, messages, max_tokens: maxTokens, temperature: 0 });
check(r.object === 'chat.completion', `object is chat.completion (got ${r.object})`);
check(r.model === model, `model echoed (got ${r.model})`);
check(Array.isArray(r.choices) && r.choices.length === 1, 'one choice');
const choice = r.choices[0];
check(choice.message.role === 'assistant', 'assistant role');
check(typeof choice.message.content === 'string', 'string content');
check(['stop', 'length'].includes(choice.finish_reason), `finish_reason stop|length (got ${choice.finish_reason})`);
check(r.usage && r.usage.prompt_tokens > 0, 'usage.prompt_tokens > 0');
check(r.usage && r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= maxTokens,
      `1 <= usage.completion_tokens <= ${maxTokens} (got ${r.usage?.completion_tokens})`);
check(r.usage && r.usage.total_tokens === r.usage.prompt_tokens + r.usage.completion_tokens, 'total = prompt + completion');
if (choice.finish_reason === 'length') check(r.usage.completion_tokens === maxTokens, 'length means max_tokens generated');

// Streaming, with usage in a final chunk.
const stream = await client.chat.completions.create({
  model, messages, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let text = '';
let finish = null;
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  ++chunks;
  check(chunk.object === 'chat.completion.chunk', `chunk object (got ${chunk.object})`);
  for (const c of chunk.choices) {
    if (c.delta?.content) text += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
  }
  if (chunk.usage) usage = chunk.usage;
}
check(chunks >= 2, `several chunks (got ${chunks})`);
check(finish === choice.finish_reason, `stream finish_reason ${finish} == ${choice.finish_reason}`);
check(text === choice.message.content, `streamed text ${JSON.stringify(text)} == ${JSON.stringify(choice.message.content)}`);
check(usage && usage.completion_tokens === r.usage.completion_tokens, 'stream usage.completion_tokens matches');
check(usage && usage.prompt_tokens === r.usage.prompt_tokens, 'stream usage.prompt_tokens matches');

// An error surfaces as the SDK's typed error.
try {
  await client.chat.completions.create({ model: 'no-such-model', messages, max_tokens: 2 });
  check(false, 'unknown model rejected');
} catch (e) {
  check(e instanceof OpenAI.APIError && e.status === 404, `unknown model: APIError 404 (got ${e?.status} ${e})`);
}

if (failures) {
  console.error(`${failures} check(s) failed`);
  process.exit(1);
}
console.log(`ok: ${JSON.stringify(choice.message.content)} (${r.usage.completion_tokens} tokens, ${finish})`);
