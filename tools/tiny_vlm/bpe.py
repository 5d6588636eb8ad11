"""Byte-level BPE for the bundled tiny Qwen2.5-VL model: a trainer that writes a Hugging Face tokenizer.json
(+ tokenizer_config.json with Qwen2.5-VL's special tokens and chat template) and an encoder that gives the
same ids as that file does in Hugging Face `tokenizers` and in mmserve's C++ tokenizer.

The format is Qwen2's: NFC normalizer, the Qwen2 split regex then ByteLevel (no regex of its own), a BPE
model whose ids 0..255 are the 256 byte symbols in GPT-2's order and whose merges follow, then the 22
added tokens of Qwen2.5-VL (<|endoftext|> first, <|im_start|>, <|im_end|>, ..., <|file_sep|>) directly
after the BPE vocabulary, as in Qwen's own files (151643..151664 there).

    python3 tools/tiny_vlm/bpe.py --out DIR [--merges 420]   # trains on scenes.py's corpus
"""

import argparse
import collections
import json
import os
import re
import unicodedata

# The Qwen2 pre-tokenizer regex as it appears in tokenizer.json (PCRE / Rust regex syntax).
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
               r"\s*[\r\n]+|\s+(?!\S)|\s+")
# The same in Python's re: \p{L} = [^\W\d_] (letters), \p{N} = a \w that is neither a letter nor "_".
_L = r"[^\W\d_]"
_N = r"(?:(?![^\W\d_])[^\W_])"
_NOT_LN = r"(?:[^\w\r\n]|_)"       # [^\r\n\p{L}\p{N}]
_NOT_SLN = r"(?:[^\s\w]|_)"        # [^\s\p{L}\p{N}]
_SPLIT_RE = re.compile(
    rf"(?i:'s|'t|'re|'ve|'m|'ll|'d)|{_NOT_LN}?{_L}+|{_N}| ?{_NOT_SLN}+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

# Qwen2.5-VL's added tokens in id order; all but the last eight are special.
ADDED_TOKENS = (
    ("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True), ("<|object_ref_start|>", True),
    ("<|object_ref_end|>", True), ("<|box_start|>", True), ("<|box_end|>", True), ("<|quad_start|>", True),
    ("<|quad_end|>", True), ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
    ("<|image_pad|>", True), ("<|video_pad|>", True), ("<tool_call>", False), ("</tool_call>", False),
    ("<|fim_prefix|>", False), ("<|fim_middle|>", False), ("<|fim_suffix|>", False), ("<|fim_pad|>", False),
    ("<|repo_name|>", False), ("<|file_sep|>", False),
)

# Qwen2.5-VL-*-Instruct's chat template (the same text as tests/data/chat_templates/qwen2.5-vl-instruct.jinja).
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in "
    "content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
    "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] "
    "== 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}"
    "Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content "
    "%}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}"
    "<|im_start|>assistant\n{% endif %}")
DEFAULT_SYSTEM = "You are a helpful assistant."


def render_chat(messages, add_generation_prompt=False):
    """CHAT_TEMPLATE rendered in Python (no jinja2 in Debian's minimal Python): messages are dicts with role and
    content (a string, or a list of {"type": "image"} / {"type": "text", "text": ...} parts)."""
    out = []
    for i, m in enumerate(messages):
        if i == 0 and m["role"] != "system":
            out.append(f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n")
        out.append(f"<|im_start|>{m['role']}\n")
        if isinstance(m["content"], str):
            out.append(m["content"])
        else:
            for part in m["content"]:
                if part.get("type") == "image" or "image" in part or "image_url" in part:
                    out.append("<|vision_start|><|image_pad|><|vision_end|>")
                elif "text" in part:
                    out.append(part["text"])
        out.append("<|im_end|>\n")
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def bytes_to_unicode():
    """GPT-2's byte -> printable character table; its order is the order of ids 0..255."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_CHARS = bytes_to_unicode()


def pre_tokenize(text):
    """NFC, then the Qwen2 split, each piece as byte-level symbols."""
    text = unicodedata.normalize("NFC", text)
    return ["".join(BYTE_CHARS[b] for b in piece.encode("utf-8")) for piece in _SPLIT_RE.findall(text)]


# --------------------------------------------------------------------------------------------- trainer

def train(texts, num_merges):
    """Merges learned from (text, count) pairs: the most frequent adjacent pair first, ties by the pair's text."""
    words = collections.Counter()
    for text, count in texts:
        for piece in pre_tokenize(text):
            words[piece] += count
    seqs = {w: list(w) for w in words}
    merges = []
    for _ in range(num_merges):
        pairs = collections.Counter()
        for w, symbols in seqs.items():
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += words[w]
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        joined = best[0] + best[1]
        for w, symbols in seqs.items():
            i, out = 0, []
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == best[0] and symbols[i + 1] == best[1]:
                    out.append(joined)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            seqs[w] = out
    return merges


def build_vocab(merges):
    """Ids 0..255: the byte symbols in GPT-2's order; then one id per new merged string."""
    vocab = {c: i for i, c in enumerate(BYTE_CHARS.values())}
    for a, b in merges:
        vocab.setdefault(a + b, len(vocab))
    return vocab


# --------------------------------------------------------------------------------------------- encoder

class Tokenizer:
    """Encoder/decoder for a tokenizer.json written by this module (and Qwen's, for that matter)."""

    def __init__(self, tokenizer_json):
        tj = tokenizer_json
        self.vocab = dict(tj["model"]["vocab"])
        self.ranks = {}
        for i, m in enumerate(tj["model"]["merges"]):
            a, b = m.split(" ") if isinstance(m, str) else m
            self.ranks[(a, b)] = i
        self.added = {t["content"]: t["id"] for t in tj["added_tokens"]}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        self.id_to_token.update({i: t for t, i in self.added.items()})
        self.byte_decoder = {c: b for b, c in BYTE_CHARS.items()}
        alternatives = sorted(self.added, key=len, reverse=True)
        self._added_re = re.compile("(" + "|".join(re.escape(t) for t in alternatives) + ")")
        self._cache = {}

    @classmethod
    def load(cls, directory):
        with open(os.path.join(directory, "tokenizer.json"), encoding="utf-8") as f:
            return cls(json.load(f))

    def token_id(self, text):
        return self.added[text] if text in self.added else self.vocab[text]

    def _bpe(self, piece):
        if piece in self._cache:
            return self._cache[piece]
        symbols = list(piece)
        while len(symbols) > 1:
            ranked = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, _ = min(ranked)
            if rank == 1 << 30:
                break
            a, b = next((symbols[i], symbols[i + 1]) for r, i in ranked if r == rank)
            out, i = [], 0
            while i < len(symbols):
                if i + 1 < len(symbols) and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            symbols = out
        ids = [self.vocab[s] for s in symbols]
        self._cache[piece] = ids
        return ids

    def encode(self, text):
        """Ids of text; added tokens written in it are recognized (as the server's chat prompts are)."""
        ids = []
        for part in self._added_re.split(text):
            if not part:
                continue
            if part in self.added:
                ids.append(self.added[part])
            else:
                for piece in pre_tokenize(part):
                    ids.extend(self._bpe(piece))
        return ids

    def decode(self, ids, skip_special=True):
        out, buf = [], bytearray()
        for i in ids:
            t = self.id_to_token.get(i, "")
            if t in self.added:
                out.append(buf.decode("utf-8", "replace"))
                buf = bytearray()
                if not skip_special:
                    out.append(t)
            else:
                buf.extend(self.byte_decoder[c] for c in t)
        out.append(buf.decode("utf-8", "replace"))
        return "".join(out)


# ------------------------------------------------------------------------------------------- writing

def tokenizer_json(merges):
    vocab = build_vocab(merges)
    added = [{"id": len(vocab) + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": special} for i, (t, special) in enumerate(ADDED_TOKENS)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT}, "behavior": "Isolated", "invert": False},
            byte_level]},
        "post_processor": byte_level, "decoder": byte_level,
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for a, b in merges]},
    }


def tokenizer_config(tj):
    added = {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
             for t in tj["added_tokens"]}
    return {
        "add_bos_token": False, "add_prefix_space": False, "added_tokens_decoder": added,
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                                      "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>",
                                      "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>",
                                      "<|video_pad|>"],
        "bos_token": None, "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>", "errors": "replace", "model_max_length": 4096, "pad_token": "<|endoftext|>",
        "split_special_tokens": False, "tokenizer_class": "Qwen2Tokenizer", "unk_token": None,
    }


def training_corpus(num_scenes=4000, seed=1):
    """(text, count) pairs: the rendered conversations of scenes.py (their frequencies shape the merges)."""
    import scenes
    texts = collections.Counter()
    for i in range(num_scenes):
        for _qtype, q, a, _truth in scenes.training_questions(seed, i):
            texts[q] += 1
            texts[a] += 1
        for _qtype, q, a in scenes.chat_turns(seed, i):
            texts[q] += 1
            texts[a] += 1
    texts["system\n" + DEFAULT_SYSTEM] += num_scenes
    texts["user\n"] += num_scenes
    texts["assistant\n"] += num_scenes
    for t in scenes.corpus_texts():  # every phrase at least once
        texts[t] += 1
    return sorted(texts.items())


def write(out_dir, merges):
    os.makedirs(out_dir, exist_ok=True)
    tj = tokenizer_json(merges)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config(tj), f, ensure_ascii=False, indent=2)
        f.write("\n")
    with open(os.path.join(out_dir, "chat_template.json"), "w", encoding="utf-8") as f:
        json.dump({"chat_template": CHAT_TEMPLATE}, f, ensure_ascii=False, indent=2)
        f.write("\n")
    return tj


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--merges", type=int, default=420)
    args = ap.parse_args()
    merges = train(training_corpus(), args.merges)
    tj = write(args.out, merges)
    print(f"bpe: {len(tj['model']['vocab'])} tokens + {len(tj['added_tokens'])} added -> {args.out}")


if __name__ == "__main__":
    main()
