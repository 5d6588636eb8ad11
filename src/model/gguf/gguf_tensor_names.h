// The one table between canonical (Hugging Face) decoder tensor names and llama.cpp's GGUF names:
// "model.layers.3.self_attn.q_proj.weight" <-> "blk.3.attn_q.weight". Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mms::gguf {

// nullopt when the name has no GGUF counterpart in the table.
std::optional<std::string> hf_to_gguf_name(std::string_view hf_name);
std::optional<std::string> gguf_to_hf_name(std::string_view gguf_name);

}  // namespace mms::gguf
