// The real chat templates in tests/data/chat_templates/ (see its README for where each comes from),
// rendered for typical conversations and compared with the prompts written out literally below. The
// expected prompts are what transformers' apply_chat_template produces (Python Jinja2 3.1.6 with Hugging
// Face's environment); each was cross-checked against it when written.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "model/chat_template/chat_template.h"
#include "testing/test_data.h"

// A named namespace of its own: the test executables are unity builds, where anonymous namespaces of
// files in one batch are shared.
namespace mms::real_templates_test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string template_source(const std::string& file) {
  return read_file(testing::test_data("chat_templates/" + file));
}

struct RenderCase {
  std::string template_file;
  std::string messages;
  bool add_generation_prompt = false;
  std::string tools;
  std::string extra_vars;
  std::string bos_token;
};

// 2024-09-05 12:00 UTC: the same calendar day in every time zone from UTC-11 to UTC+11.
constexpr int64_t kNow = 1725537600;

StatusOr<std::string> try_render(const RenderCase& c) {
  MMS_ASSIGN_OR_RETURN(ChatTemplate t, ChatTemplate::parse(template_source(c.template_file)));
  ChatTemplateOptions opts;
  opts.bos_token = c.bos_token;
  opts.eos_token = "</s>";
  opts.tools_json = c.tools;
  opts.extra_vars_json = c.extra_vars;
  opts.now_unix_s = kNow;
  return t.render(c.messages, c.add_generation_prompt, opts);
}

std::string render_file(const RenderCase& c) {
  StatusOr<std::string> out = try_render(c);
  if (!out.ok()) return "ERROR: " + out.status().to_string();
  return *out;
}

TEST(Qwen25Instruct, DefaultSystemPromptAndGenerationPrompt) {
  RenderCase c;
  c.template_file = "qwen2.5-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "Hello!"}])j";
  c.add_generation_prompt = true;
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
      "<|im_start|>user\n"
      "Hello!<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(Qwen25Instruct, SystemMultiTurnNoGenerationPrompt) {
  RenderCase c;
  c.template_file = "qwen2.5-instruct.jinja";
  c.messages = R"j([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}])j";
  c.add_generation_prompt = false;
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "You are terse.<|im_end|>\n"
      "<|im_start|>user\n"
      "Hi<|im_end|>\n"
      "<|im_start|>assistant\n"
      "Hello.<|im_end|>\n"
      "<|im_start|>user\n"
      "Bye<|im_end|>\n");
}

TEST(Qwen25Instruct, ToolsToolCallsAndToolResponses) {
  RenderCase c;
  c.template_file = "qwen2.5-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "content": "{\"temp\": 21}"}, {"role": "assistant", "content": "It is 21C."}])j";
  c.add_generation_prompt = true;
  c.tools = R"j([{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])j";
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n"
      "\n"
      "# Tools\n"
      "\n"
      "You may call one or more functions to assist with the user query.\n"
      "\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n"
      "<tools>\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n"
      "</tools>\n"
      "\n"
      "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
      "<tool_call>\n"
      "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "Weather in Paris?<|im_end|>\n"
      "<|im_start|>assistant\n"
      "<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "<tool_response>\n"
      "{\"temp\": 21}\n"
      "</tool_response><|im_end|>\n"
      "<|im_start|>assistant\n"
      "It is 21C.<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(Qwen25VlInstruct, ImageAndVideoParts) {
  RenderCase c;
  c.template_file = "qwen2.5-vl-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": [{"type": "image", "image": "file:///a.png"}, {"type": "text", "text": "Describe this image."}]}, {"role": "assistant", "content": "A cat."}, {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}, {"type": "video", "video": "v.mp4"}, {"type": "text", "text": "And these?"}]}])j";
  c.add_generation_prompt = true;
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "You are a helpful assistant.<|im_end|>\n"
      "<|im_start|>user\n"
      "<|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
      "<|im_start|>assistant\n"
      "A cat.<|im_end|>\n"
      "<|im_start|>user\n"
      "<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|video_pad|><|vision_end|>And these?<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(Qwen25VlInstruct, AddVisionId) {
  RenderCase c;
  c.template_file = "qwen2.5-vl-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": [{"type": "image", "image": "file:///a.png"}, {"type": "text", "text": "Describe this image."}]}])j";
  c.add_generation_prompt = true;
  c.extra_vars = R"j({"add_vision_id": true})j";
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "You are a helpful assistant.<|im_end|>\n"
      "<|im_start|>user\n"
      "Picture 1: <|vision_start|><|image_pad|><|vision_end|>Describe this image.<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(Llama31Instruct, SystemMultiTurnWithBos) {
  RenderCase c;
  c.template_file = "llama3.1-instruct.jinja";
  c.messages = R"j([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}])j";
  c.add_generation_prompt = true;
  c.bos_token = "<|begin_of_text|>";
  EXPECT_EQ(render_file(c),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
      "\n"
      "Cutting Knowledge Date: December 2023\n"
      "Today Date: 26 Jul 2024\n"
      "\n"
      "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
      "\n"
      "Hi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n"
      "Hello.<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
      "\n"
      "Bye<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n");
}

TEST(Llama31Instruct, ToolsInFirstUserMessage) {
  RenderCase c;
  c.template_file = "llama3.1-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "content": "{\"temp\": 21}"}, {"role": "assistant", "content": "It is 21C."}])j";
  c.add_generation_prompt = true;
  c.tools = R"j([{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])j";
  c.bos_token = "<|begin_of_text|>";
  EXPECT_EQ(render_file(c),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
      "\n"
      "Environment: ipython\n"
      "Cutting Knowledge Date: December 2023\n"
      "Today Date: 26 Jul 2024\n"
      "\n"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
      "\n"
      "Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n"
      "\n"
      "Respond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n"
      "\n"
      "{\n"
      "    \"type\": \"function\",\n"
      "    \"function\": {\n"
      "        \"name\": \"get_weather\",\n"
      "        \"description\": \"Get the weather\",\n"
      "        \"parameters\": {\n"
      "            \"type\": \"object\",\n"
      "            \"properties\": {\n"
      "                \"city\": {\n"
      "                    \"type\": \"string\"\n"
      "                }\n"
      "            },\n"
      "            \"required\": [\n"
      "                \"city\"\n"
      "            ]\n"
      "        }\n"
      "    }\n"
      "}\n"
      "\n"
      "Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n"
      "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n"
      "\n"
      "\"{\\\"temp\\\": 21}\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n"
      "It is 21C.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n");
}

TEST(Llama31Instruct, BuiltinToolsInSystemMessage) {
  RenderCase c;
  c.template_file = "llama3.1-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "Search for cats"}])j";
  c.add_generation_prompt = true;
  c.extra_vars = R"j({"builtin_tools": ["code_interpreter", "brave_search"]})j";
  c.bos_token = "<|begin_of_text|>";
  EXPECT_EQ(render_file(c),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
      "\n"
      "Environment: ipython\n"
      "Tools: brave_search\n"
      "\n"
      "Cutting Knowledge Date: December 2023\n"
      "Today Date: 26 Jul 2024\n"
      "\n"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
      "\n"
      "Search for cats<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n");
}

TEST(Llama32Instruct, DateFromStrftimeNow) {
  RenderCase c;
  c.template_file = "llama3.2-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "What day is it?"}])j";
  c.add_generation_prompt = true;
  c.bos_token = "<|begin_of_text|>";
  EXPECT_EQ(render_file(c),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
      "\n"
      "Cutting Knowledge Date: December 2023\n"
      "Today Date: 05 Sep 2024\n"
      "\n"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
      "\n"
      "What day is it?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n"
      "\n");
}

TEST(Llama32Instruct, DateStringOverridesClock) {
  RenderCase c;
  c.template_file = "llama3.2-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "Hi"}])j";
  c.add_generation_prompt = false;
  c.extra_vars = R"j({"date_string": "01 Jan 2025"})j";
  c.bos_token = "<|begin_of_text|>";
  EXPECT_EQ(render_file(c),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n"
      "\n"
      "Cutting Knowledge Date: December 2023\n"
      "Today Date: 01 Jan 2025\n"
      "\n"
      "<|eot_id|><|start_header_id|>user<|end_header_id|>\n"
      "\n"
      "Hi<|eot_id|>");
}

TEST(ChatMl, MultiTurn) {
  RenderCase c;
  c.template_file = "chatml.jinja";
  c.messages = R"j([{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Bye"}])j";
  c.add_generation_prompt = true;
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "You are terse.<|im_end|>\n"
      "<|im_start|>user\n"
      "Hi<|im_end|>\n"
      "<|im_start|>assistant\n"
      "Hello.<|im_end|>\n"
      "<|im_start|>user\n"
      "Bye<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(Qwen3, StripsEarlierReasoning) {
  RenderCase c;
  c.template_file = "qwen3.jinja";
  c.messages = R"j([{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "<think>\nadd\n</think>\n\n4"}, {"role": "user", "content": "3+3?"}])j";
  c.add_generation_prompt = true;
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>user\n"
      "2+2?<|im_end|>\n"
      "<|im_start|>assistant\n"
      "4<|im_end|>\n"
      "<|im_start|>user\n"
      "3+3?<|im_end|>\n"
      "<|im_start|>assistant\n");
}

TEST(Qwen3, ThinkingDisabled) {
  RenderCase c;
  c.template_file = "qwen3.jinja";
  c.messages = R"j([{"role": "user", "content": "2+2?"}])j";
  c.add_generation_prompt = true;
  c.extra_vars = R"j({"enable_thinking": false})j";
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>user\n"
      "2+2?<|im_end|>\n"
      "<|im_start|>assistant\n"
      "<think>\n"
      "\n"
      "</think>\n"
      "\n");
}

TEST(Qwen3, Tools) {
  RenderCase c;
  c.template_file = "qwen3.jinja";
  c.messages = R"j([{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}, {"role": "tool", "content": "{\"temp\": 21}"}, {"role": "assistant", "content": "It is 21C."}])j";
  c.add_generation_prompt = false;
  c.tools = R"j([{"type": "function", "function": {"name": "get_weather", "description": "Get the weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])j";
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<|im_start|>system\n"
      "# Tools\n"
      "\n"
      "You may call one or more functions to assist with the user query.\n"
      "\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n"
      "<tools>\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n"
      "</tools>\n"
      "\n"
      "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
      "<tool_call>\n"
      "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "Weather in Paris?<|im_end|>\n"
      "<|im_start|>assistant\n"
      "<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n"
      "</tool_call><|im_end|>\n"
      "<|im_start|>user\n"
      "<tool_response>\n"
      "{\"temp\": 21}\n"
      "</tool_response><|im_end|>\n"
      "<|im_start|>assistant\n"
      "<think>\n"
      "\n"
      "</think>\n"
      "\n"
      "It is 21C.<|im_end|>\n");
}

TEST(Mistral, AlternatingRoles) {
  RenderCase c;
  c.template_file = "mistral-7b-instruct-v0.1.jinja";
  c.messages = R"j([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}])j";
  c.add_generation_prompt = false;
  c.bos_token = "<s>";
  EXPECT_EQ(render_file(c),
      "<s>[INST] a [/INST]b</s>[INST] c [/INST]");
}


TEST(Mistral, NonAlternatingRolesRaiseTheTemplatesMessage) {
  RenderCase c;
  c.template_file = "mistral-7b-instruct-v0.1.jinja";
  c.messages = R"j([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])j";
  StatusOr<std::string> out = try_render(c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.status().message(), "Conversation roles must alternate user/assistant/user/assistant/...");
  c.messages = R"j([{"role": "user", "content": "a"}, {"role": "system", "content": "b"}])j";
  out = try_render(c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "Only user and assistant roles are supported!");
}

TEST(Llama31Instruct, MoreThanOneToolCallRaises) {
  RenderCase c;
  c.template_file = "llama3.1-instruct.jinja";
  c.messages = R"j([{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [
      {"function": {"name": "a", "arguments": {}}}, {"function": {"name": "b", "arguments": {}}}]}])j";
  StatusOr<std::string> out = try_render(c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "This model only supports single tool-calls at once!");
}

// The fixture model's own template reproduces the golden prompt the reference logits were computed for.
TEST(FixtureChatMl, ReproducesGoldenTextPrompt) {
  RenderCase c;
  c.template_file = "tiny-qwen2-hf-chatml.jinja";
  nlohmann::json messages = nlohmann::json::array(
      {{{"role", "user"}, {"content", "The quick brown fox jumps over the lazy dog. 1234 h\u00e9llo \u4e16\u754c!"}}});
  c.messages = messages.dump();
  c.add_generation_prompt = true;
  EXPECT_EQ(render_file(c), read_file(testing::test_data("ref/prompt-text.txt")));
}

// A plain ChatML template cannot concatenate list content; flattening with a media marker and retrying
// gives the golden VLM prompt.
TEST(FixtureChatMl, ListContentFailsThenRendersAfterFlattening) {
  RenderCase c;
  c.template_file = "tiny-qwen2-hf-chatml.jinja";
  c.messages = R"j([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}},
                                                 {"type": "text", "text": "Describe this image."}]}])j";
  c.add_generation_prompt = true;
  StatusOr<std::string> out = try_render(c);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("can only concatenate str (not \"list\") to str"), std::string::npos)
      << out.status().message();
  StatusOr<std::string> flat = flatten_content_parts(c.messages, "<__media__>", "<__video__>");
  ASSERT_TRUE(flat.ok()) << flat.status().to_string();
  c.messages = *flat;
  EXPECT_EQ(render_file(c), read_file(testing::test_data("ref/prompt-vlm.txt")));
}

// The copies in chat_templates/ are byte-identical to the fixtures' tokenizer_config.json templates.
TEST(TemplateFiles, CopiesMatchTokenizerConfigs) {
  auto config_template = [](const std::string& rel) {
    return nlohmann::json::parse(read_file(testing::test_data(rel)))["chat_template"].get<std::string>();
  };
  EXPECT_EQ(template_source("qwen3.jinja"), config_template("tokenizer/qwen-tokenizer_config.json"));
  EXPECT_EQ(template_source("tiny-qwen2-hf-chatml.jinja"), config_template("tiny-qwen2-hf/tokenizer_config.json"));
}

TEST(TemplateFiles, AllParse) {
  for (const char* f : {"qwen2.5-instruct.jinja", "qwen2.5-vl-instruct.jinja", "llama3.1-instruct.jinja",
                        "llama3.2-instruct.jinja", "chatml.jinja", "mistral-7b-instruct-v0.1.jinja", "qwen3.jinja",
                        "tiny-qwen2-hf-chatml.jinja"}) {
    StatusOr<ChatTemplate> t = ChatTemplate::parse(template_source(f));
    EXPECT_TRUE(t.ok()) << f << ": " << t.status().to_string();
  }
}

}  // namespace
}  // namespace mms::real_templates_test
