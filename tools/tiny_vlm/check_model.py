"""Checks model.py against references it did not produce: the repository's tiny Qwen2.5-VL fixtures
(tests/data/tiny-qwen25vl-mmproj-f32.gguf + tiny-qwen2vl-f32.gguf, written by llama.cpp's converter) and
their reference outputs (tests/data/ref/tiny-qwen25vl.exact.*: a float64 NumPy implementation of Hugging
Face's vision tower, and llama.cpp's decoder logits). The GGUF tensors are mapped onto model.py's HF names.

    python3 tools/tiny_vlm/check_model.py    # prints the max |diff| of each; exits 1 over tolerance
"""

import json
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data")


def read_gguf(path):
    """(metadata dict, {name: np.ndarray in ggml's reversed-dims order = numpy row-major shape}) of f32/f16 tensors."""
    with open(path, "rb") as f:
        buf = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = buf[pos:pos + n].decode("utf-8")
        pos += n
        return s

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(t):
        if t in scalar:
            return take(scalar[t])
        if t == 8:
            return string()
        if t == 9:
            et, n = take("I"), take("Q")
            return [value(et) for _ in range(n)]
        raise ValueError(f"gguf value type {t}")

    assert buf[:4] == b"GGUF"
    pos = 4
    _version, n_tensors, n_kv = take("I"), take("Q"), take("Q")
    meta = {}
    for _ in range(n_kv):
        k = string()
        meta[k] = value(take("I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        nd = take("I")
        dims = [take("Q") for _ in range(nd)]
        infos.append((name, dims, take("I"), take("Q")))
    align = meta.get("general.alignment", 32)
    data0 = (pos + align - 1) // align * align
    tensors = {}
    for name, dims, typ, off in infos:
        n = int(np.prod(dims))
        dt = {0: "<f4", 1: "<f2"}[typ]
        a = np.frombuffer(buf, dtype=dt, count=n, offset=data0 + off).astype(np.float32)
        tensors[name] = a.reshape(list(reversed(dims)))
    return meta, tensors


def vision_state(t, depth):
    sd = {"visual.patch_embed.proj.weight": np.stack([t["v.patch_embd.weight"], t["v.patch_embd.weight.1"]], axis=2)}
    for l in range(depth):
        g, h = f"v.blk.{l}.", f"visual.blocks.{l}."
        sd[h + "norm1.weight"] = t[g + "ln1.weight"]
        sd[h + "norm2.weight"] = t[g + "ln2.weight"]
        sd[h + "attn.qkv.weight"] = np.concatenate([t[g + f"attn_{x}.weight"] for x in "qkv"])
        sd[h + "attn.qkv.bias"] = np.concatenate([t[g + f"attn_{x}.bias"] for x in "qkv"])
        sd[h + "attn.proj.weight"], sd[h + "attn.proj.bias"] = t[g + "attn_out.weight"], t[g + "attn_out.bias"]
        for ours, theirs in (("gate_proj", "ffn_gate"), ("up_proj", "ffn_up"), ("down_proj", "ffn_down")):
            sd[h + f"mlp.{ours}.weight"], sd[h + f"mlp.{ours}.bias"] = t[g + theirs + ".weight"], t[g + theirs + ".bias"]
    sd["visual.merger.ln_q.weight"] = t["v.post_ln.weight"]
    for k in ("0", "2"):
        sd[f"visual.merger.mlp.{k}.weight"], sd[f"visual.merger.mlp.{k}.bias"] = t[f"mm.{k}.weight"], t[f"mm.{k}.bias"]
    return sd


def decoder_state(t, layers):
    sd = {"model.embed_tokens.weight": t["token_embd.weight"], "model.norm.weight": t["output_norm.weight"]}
    for l in range(layers):
        g, h = f"blk.{l}.", f"model.layers.{l}."
        sd[h + "input_layernorm.weight"] = t[g + "attn_norm.weight"]
        sd[h + "post_attention_layernorm.weight"] = t[g + "ffn_norm.weight"]
        for x in "qkv":
            sd[h + f"self_attn.{x}_proj.weight"] = t[g + f"attn_{x}.weight"]
            sd[h + f"self_attn.{x}_proj.bias"] = t[g + f"attn_{x}.bias"]
        sd[h + "self_attn.o_proj.weight"] = t[g + "attn_output.weight"]
        for x in ("gate", "up", "down"):
            sd[h + f"mlp.{x}_proj.weight"] = t[g + f"ffn_{x}.weight"]
    return sd


def main():
    torch.set_num_threads(1)
    vmeta, vt = read_gguf(os.path.join(DATA, "tiny-qwen25vl-mmproj-f32.gguf"))
    dmeta, dt = read_gguf(os.path.join(DATA, "tiny-qwen2vl-f32.gguf"))
    depth = vmeta["clip.vision.block_count"]
    n_wa = vmeta["clip.vision.n_wa_pattern"]
    layers = dmeta["qwen2vl.block_count"]
    image_token = 2060
    cfg = M.Config(
        vocab_size=dt["token_embd.weight"].shape[0], hidden_size=dmeta["qwen2vl.embedding_length"],
        intermediate_size=dmeta["qwen2vl.feed_forward_length"], num_hidden_layers=layers,
        num_attention_heads=dmeta["qwen2vl.attention.head_count"],
        num_key_value_heads=dmeta["qwen2vl.attention.head_count_kv"],
        rms_norm_eps=dmeta["qwen2vl.attention.layer_norm_rms_epsilon"], rope_theta=dmeta["qwen2vl.rope.freq_base"],
        mrope_section=[s for s in dmeta["qwen2vl.rope.dimension_sections"] if s][:3],
        tie_word_embeddings="output.weight" not in dt, image_token_id=image_token,
        vision=dict(hidden_size=vmeta["clip.vision.embedding_length"],
                    intermediate_size=vmeta["clip.vision.feed_forward_length"], depth=depth,
                    num_heads=vmeta["clip.vision.attention.head_count"], window_size=112,
                    fullatt_block_indexes=[l for l in range(depth) if (l + 1) % n_wa == 0]))
    net = M.Qwen25VL(cfg)
    sd = {**vision_state(vt, depth), **decoder_state(dt, layers)}
    if not cfg.tie_word_embeddings:
        sd["lm_head.weight"] = dt["output.weight"]
    missing, unexpected = net.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()},
                                              strict=False)
    assert not missing and not unexpected, (missing, unexpected)
    net.eval()
    ok = True

    # Vision tower: the fixture's normalized pixels, flattened as the processor does.
    a = np.load(os.path.join(DATA, "ref", "tiny-qwen25vl.exact.image_input.npy")).astype(np.float32)  # [3, H, W]
    _, H, W = a.shape
    gh, gw = H // 14, W // 14
    p = np.stack([a, a]).reshape(1, 2, 3, gh // 2, 2, 14, gw // 2, 2, 14)
    p = p.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8).reshape(gh * gw, 3 * 2 * 14 * 14)
    with torch.no_grad():
        embd = net.visual(torch.from_numpy(np.ascontiguousarray(p)), [(1, gh, gw)])
    want = np.load(os.path.join(DATA, "ref", "tiny-qwen25vl.exact.numpy-hf.image_embd.npy"))
    d = float(np.abs(embd.numpy() - want).max())
    print(f"vision tower vs NumPy HF definition: max |diff| {d:.2e} (tolerance 1e-4)")
    ok &= d <= 1e-4

    # Decoder: llama.cpp's image embedding in the image rows, every prompt row's logits.
    ref = json.load(open(os.path.join(DATA, "ref", "tiny-qwen25vl.exact.json")))
    ids = [image_token if t < 0 else t for t in ref["row_token"]]
    pos = M.rope_index(ids, [(1, gh, gw)], cfg)
    same = (pos[0].tolist() == ref["row_pos_t"] and pos[1].tolist() == ref["row_pos_y"]
            and pos[2].tolist() == ref["row_pos_x"])
    print(f"M-RoPE positions equal llama.cpp's: {same}")
    ok &= same
    img = torch.from_numpy(np.load(os.path.join(DATA, "ref", "tiny-qwen25vl.exact.image_embd.npy")))
    with torch.no_grad():
        x = net.model.embed_tokens(torch.tensor([ids]))
        x[0, torch.tensor(ids) == image_token] = img
        logits = net.decode_embeddings(x, torch.from_numpy(pos).unsqueeze(1), torch.tensor([len(ids)]))[0]
    want = np.load(os.path.join(DATA, "ref", "tiny-qwen25vl.exact.logits.npy"))
    d = float(np.abs(logits.numpy() - want).max())
    print(f"decoder logits vs llama.cpp: max |diff| {d:.2e} (tolerance 2e-3)")
    ok &= d <= 2e-3
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
