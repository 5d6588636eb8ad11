"""Writes the trained model as a Hugging Face Qwen2.5-VL directory and the reference dump for mmserve's
agreement test (tests/golden/tiny_vlm_shapes_test.cc).

Directory: config.json (Qwen2_5_VLForConditionalGeneration, the published checkpoints' keys incl.
vision_config), model.safetensors (f32, names visual.* / model.* as published), preprocessor_config.json
(Qwen2VLImageProcessor), generation_config.json, tokenizer.json, tokenizer_config.json, chat_template.json, and
example.png (a scene for the README's curl example).

Reference dump (--ref-out): the PyTorch model is rebuilt from the written model.safetensors (the shipped bytes,
not the training tensors) and run on a fixed scene PNG + question through the chat template:
    <name>.png             the image (a size that is not a multiple of 28, so the resize is exercised)
    <name>.json            messages, rendered prompt, token ids (image rows expanded), grid, image offset
    <name>.logits.npy      [prompt tokens, vocab_size] f32 logits of every prompt row
    <name>.image_input.npy [3, height, width] f32 the resized, normalized pixels (Pillow bicubic)
    <name>.image_embd.npy  [image rows, hidden_size] f32 merger output
    python3 tools/tiny_vlm/export.py --model models/tiny-qwen25vl-shapes --ref-out tests/data/ref
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import model as M  # noqa: E402
import scenes  # noqa: E402

REF_NAME = "tiny-qwen25vl-shapes"
REF_SEED, REF_INDEX = 4242, 1
REF_QUESTION = "What colour is the circle?"
EXAMPLE_SEED, EXAMPLE_INDEX = 2026, 25  # example.png, the README's picture: an orange circle, a blue triangle, a green star
TOKENIZER_EXTRA = ["Hello, wörld! 123 café  x\n\n y", "What's the colour of the CIRCLE??", "  leading spaces\tand tabs",
                   "<|im_start|>user\nhi<|im_end|>\n", "emoji 🙂 and ümlauts", "It's 42 o'clock; they'll see."]


def config_json(cfg, tok, info=None):
    ids = {name: tok.token_id(name) for name in ("<|endoftext|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                                                  "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>")}
    c = {
        "architectures": ["Qwen2_5_VLForConditionalGeneration"],
        "attention_dropout": 0.0,
        "bos_token_id": ids["<|endoftext|>"],
        "eos_token_id": ids["<|im_end|>"],
        "vision_start_token_id": ids["<|vision_start|>"],
        "vision_end_token_id": ids["<|vision_end|>"],
        "vision_token_id": ids["<|vision_pad|>"],
        "image_token_id": ids["<|image_pad|>"],
        "video_token_id": ids["<|video_pad|>"],
        "hidden_act": "silu",
        "hidden_size": cfg.hidden_size,
        "initializer_range": 0.02,
        "intermediate_size": cfg.intermediate_size,
        "max_position_embeddings": 4096,
        "max_window_layers": cfg.num_hidden_layers,
        "model_type": "qwen2_5_vl",
        "num_attention_heads": cfg.num_attention_heads,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_key_value_heads": cfg.num_key_value_heads,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_scaling": {"type": "mrope", "mrope_section": list(cfg.mrope_section)},
        "rope_theta": cfg.rope_theta,
        "sliding_window": 4096,
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "torch_dtype": "float32",
        "transformers_version": "4.49.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": cfg.vocab_size,
        "vision_config": {
            "depth": cfg.v_depth,
            "hidden_act": "silu",
            "hidden_size": cfg.v_hidden,
            "intermediate_size": cfg.v_intermediate,
            "num_heads": cfg.v_heads,
            "in_chans": cfg.in_channels,
            "out_hidden_size": cfg.hidden_size,
            "patch_size": cfg.patch_size,
            "spatial_merge_size": cfg.spatial_merge_size,
            "spatial_patch_size": cfg.patch_size,
            "window_size": cfg.window_size,
            "fullatt_block_indexes": list(cfg.fullatt_block_indexes),
            "tokens_per_second": 2,
            "temporal_patch_size": cfg.temporal_patch_size,
        },
    }
    if info:
        c["mmserve_training"] = info  # how this checkpoint was made (ignored by loaders)
    return c


def config_from_json(c):
    v = c["vision_config"]
    return M.Config(
        vocab_size=c["vocab_size"], hidden_size=c["hidden_size"], intermediate_size=c["intermediate_size"],
        num_hidden_layers=c["num_hidden_layers"], num_attention_heads=c["num_attention_heads"],
        num_key_value_heads=c["num_key_value_heads"], rms_norm_eps=c["rms_norm_eps"], rope_theta=c["rope_theta"],
        mrope_section=c["rope_scaling"]["mrope_section"], tie_word_embeddings=c["tie_word_embeddings"],
        image_token_id=c["image_token_id"], vision_start_token_id=c["vision_start_token_id"],
        vision=dict(hidden_size=v["hidden_size"], intermediate_size=v["intermediate_size"], depth=v["depth"],
                    num_heads=v["num_heads"], patch_size=v["patch_size"], temporal_patch_size=v["temporal_patch_size"],
                    spatial_merge_size=v["spatial_merge_size"], window_size=v["window_size"],
                    fullatt_block_indexes=v["fullatt_block_indexes"]))


def preprocessor_config(min_pixels, max_pixels):
    return {
        "min_pixels": min_pixels, "max_pixels": max_pixels, "patch_size": 14, "temporal_patch_size": 2,
        "merge_size": 2, "image_mean": list(M.CLIP_MEAN), "image_std": list(M.CLIP_STD),
        "do_resize": True, "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
        "do_convert_rgb": True, "resample": 3, "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": "Qwen2_5_VLProcessor",
    }


def _write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def export(net, cfg, tok, out_dir, min_pixels, max_pixels, info=None):
    os.makedirs(out_dir, exist_ok=True)
    tensors = {k: v.float() for k, v in net.state_dict().items()}
    M.save_safetensors(tensors, os.path.join(out_dir, "model.safetensors"), metadata={"format": "pt"})
    _write_json(os.path.join(out_dir, "config.json"), config_json(cfg, tok, info))
    _write_json(os.path.join(out_dir, "preprocessor_config.json"), preprocessor_config(min_pixels, max_pixels))
    scenes.scene_image(EXAMPLE_SEED, EXAMPLE_INDEX)[1].save(os.path.join(out_dir, "example.png"))
    eos = [tok.token_id("<|im_end|>"), tok.token_id("<|endoftext|>")]
    _write_json(os.path.join(out_dir, "generation_config.json"),
                {"bos_token_id": tok.token_id("<|endoftext|>"), "eos_token_id": eos,
                 "pad_token_id": tok.token_id("<|endoftext|>"), "do_sample": False, "transformers_version": "4.49.0"})


def load(model_dir):
    """(net, cfg, tok, preprocessor config) from an exported directory (the shipped bytes)."""
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = config_from_json(json.load(f))
    with open(os.path.join(model_dir, "preprocessor_config.json")) as f:
        pre = json.load(f)
    net = M.Qwen25VL(cfg)
    missing, unexpected = net.load_state_dict(M.load_safetensors(os.path.join(model_dir, "model.safetensors")),
                                              strict=False)
    if missing or unexpected:
        raise ValueError(f"{model_dir}: missing {missing}, unexpected {unexpected}")
    net.eval()
    return net, cfg, bpe.Tokenizer.load(model_dir), pre


@torch.no_grad()
def reference_dump(model_dir, ref_dir):
    net, cfg, tok, pre = load(model_dir)
    os.makedirs(ref_dir, exist_ok=True)
    _scene, img = scenes.scene_image(REF_SEED, REF_INDEX)
    png = os.path.join(ref_dir, REF_NAME + ".png")
    img.save(png)
    from PIL import Image
    img = Image.open(png)  # what the server will decode
    patches, grid, pixels = M.preprocess(img, pre["min_pixels"], pre["max_pixels"])
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": REF_QUESTION}]}]
    text = bpe.render_chat(messages, add_generation_prompt=True)
    ids_unexpanded = tok.encode(text)
    n_img = grid[1] * grid[2] // 4
    ids = []
    for t in ids_unexpanded:
        ids.extend([t] * n_img if t == cfg.image_token_id else [t])
    offset = ids.index(cfg.image_token_id)
    embd = net.visual(torch.from_numpy(patches), [grid])
    x = net.model.embed_tokens(torch.tensor([ids]))
    x[0, offset:offset + n_img] = embd
    pos = torch.from_numpy(M.rope_index(ids, [grid], cfg)).unsqueeze(1)
    logits = net.decode_embeddings(x, pos, torch.tensor([len(ids)]))[0]
    # the greedy answer, for a human reading the JSON (recomputed without a cache)
    answer, seq = [], list(ids)
    for _ in range(16):
        xs = net.model.embed_tokens(torch.tensor([seq]))
        xs[0, offset:offset + n_img] = embd
        ps = torch.from_numpy(M.rope_index(seq, [grid], cfg)).unsqueeze(1)
        t = int(net.decode_embeddings(xs, ps, torch.tensor([len(seq)]))[0, -1].argmax())
        if t == tok.token_id("<|im_end|>"):
            break
        answer.append(t)
        seq.append(t)
    np.save(os.path.join(ref_dir, REF_NAME + ".logits.npy"), logits.numpy().astype("<f4"))
    np.save(os.path.join(ref_dir, REF_NAME + ".image_embd.npy"), embd.numpy().astype("<f4"))
    np.save(os.path.join(ref_dir, REF_NAME + ".image_input.npy"), pixels.astype("<f4"))
    meta = {
        "model": os.path.relpath(model_dir, os.path.dirname(os.path.abspath(ref_dir))),
        "image": REF_NAME + ".png", "image_size": [img.width, img.height], "grid_thw": list(grid),
        "messages": messages, "prompt": text, "prompt_ids_unexpanded": ids_unexpanded, "prompt_ids": ids,
        "image_offset": offset, "image_rows": n_img, "greedy_answer_ids": answer,
        "greedy_answer": tok.decode(answer), "made_by": "tools/tiny_vlm/export.py (PyTorch, f32)",
        # every phrase of the task and a few strings beyond it, with the ids the Python tokenizer gives
        "tokenizer_cases": [[t, tok.encode(t)] for t in scenes.corpus_texts() + TOKENIZER_EXTRA],
    }
    _write_json(os.path.join(ref_dir, REF_NAME + ".json"), meta)
    print(f"reference: {len(ids)} prompt tokens ({n_img} image rows, grid {grid}), greedy answer "
          f"{meta['greedy_answer']!r} -> {ref_dir}/{REF_NAME}.*")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="an exported directory")
    ap.add_argument("--ref-out", required=True, help="where the reference dump goes (tests/data/ref)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    reference_dump(args.model, args.ref_out)


if __name__ == "__main__":
    main()
