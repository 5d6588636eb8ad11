#include "model/gguf/gguf_tensor_names.h"


namespace mms::gguf {
namespace {

struct NamePair {
  std::string_view hf;
  std::string_view gguf;
};

constexpr NamePair kGlobal[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
};

// Per layer, after "model.layers.N." / "blk.N.".
constexpr NamePair kLayer[] = {
    {"input_layernorm.weight", "attn_norm.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
};

// Splits "<prefix><N>.<rest>" into N and rest; N must be a canonical decimal (no sign, no leading 0s).
bool split_layer(std::string_view name, std::string_view prefix, std::string_view* layer, std::string_view* rest) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  name.remove_prefix(prefix.size());
  const size_t dot = name.find('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  std::string_view digits = name.substr(0, dot);
  if (digits.size() > 1 && digits[0] == '0') return false;
  for (char c : digits)
    if (c < '0' || c > '9') return false;
  *layer = digits;
  *rest = name.substr(dot + 1);
  return true;
}

std::optional<std::string> translate(std::string_view name, bool to_gguf) {
  for (const NamePair& p : kGlobal) {
    if ((to_gguf ? p.hf : p.gguf) == name) return std::string(to_gguf ? p.gguf : p.hf);
  }
  const std::string_view from_prefix = to_gguf ? "model.layers." : "blk.";
  const std::string_view to_prefix = to_gguf ? "blk." : "model.layers.";
  std::string_view layer, rest;
  if (!split_layer(name, from_prefix, &layer, &rest)) return std::nullopt;
  for (const NamePair& p : kLayer) {
    if ((to_gguf ? p.hf : p.gguf) == rest) {
      std::string out(to_prefix);
      out.append(layer).append(".").append(to_gguf ? p.gguf : p.hf);
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> hf_to_gguf_name(std::string_view hf_name) { return translate(hf_name, true); }
std::optional<std::string> gguf_to_hf_name(std::string_view gguf_name) { return translate(gguf_name, false); }

}  // namespace mms::gguf
