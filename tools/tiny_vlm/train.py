"""Trains the bundled tiny Qwen2.5-VL model on scenes.py's synthetic task and exports it (export.py).

    python3 tools/tiny_vlm/train.py --out models/tiny-qwen25vl-shapes

One command does it all: trains the tokenizer (bpe.py), trains the model from `--seed` for `--steps` steps
(data are generated on the fly from training seed `--seed`; the held-out evaluation uses `--eval-seed`, the
end-to-end test another seed again), prints the loss and, every `--eval-every` steps and at the end, the
per-question-type accuracy of greedy answers on held-out scenes, then writes the Hugging Face directory and
the reference dump for mmserve's agreement test. Deterministic for a given seed and thread count.
Debian's python3-torch, python3-pil and python3-numpy are all it needs.
"""

import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import export  # noqa: E402
import model as M  # noqa: E402
import scenes  # noqa: E402

MIN_PIXELS = 112 * 112
MAX_PIXELS = 140 * 140  # images become 112x112..140x140-ish: 16..25 image rows

# The bundled model's sizes (see export.py for the config.json they become).
MODEL_SIZES = dict(
    hidden_size=192, intermediate_size=512, num_hidden_layers=4, num_attention_heads=6, num_key_value_heads=6,
    mrope_section=[4, 6, 6], tie_word_embeddings=True,
    vision=dict(hidden_size=128, intermediate_size=256, depth=4, num_heads=4, window_size=112,
                fullatt_block_indexes=[1, 3]),
)


# --------------------------------------------------------------------------------------------- data

class Encoder:
    """Conversations -> token ids and labels, through the real chat template and tokenizer."""

    def __init__(self, tok):
        self.tok = tok
        self.image_pad = tok.token_id("<|image_pad|>")
        self.im_end = tok.token_id("<|im_end|>")

    def prompt_ids(self, messages, grid=None):
        """Ids of messages + generation prompt, the image placeholder expanded for grid (1, gh, gw)."""
        return self.expand(self.tok.encode(bpe.render_chat(messages, add_generation_prompt=True)), grid)

    def expand(self, ids, grid):
        if grid is None:
            return ids
        n = grid[1] * grid[2] // 4
        out = []
        for t in ids:
            out.extend([t] * n if t == self.image_pad else [t])
        return out

    def conversation(self, turns, grid, image_first=True):
        """turns [(user_text, answer)]; the first user turn holds the image when grid is given.
        Returns ids, labels (-100 except on answer tokens and their <|im_end|>), and where each answer starts
        in ids."""
        ids, labels, messages, starts = [], [], [], []
        for k, (user, answer) in enumerate(turns):
            if k == 0 and grid is not None:
                parts = [{"type": "image"}, {"type": "text", "text": user}]
                content = parts if image_first else parts[::-1]
            else:
                content = user
            messages.append({"role": "user", "content": content})
            prefix = bpe.render_chat(messages, add_generation_prompt=True)
            done = bpe.render_chat(messages[:-1]) if len(messages) > 1 else ""
            new = self.tok.encode(prefix[len(done):])
            ids += new
            labels += [-100] * len(new)
            ans = self.tok.encode(answer) + [self.im_end]
            starts.append(len(ids))
            ids += ans
            labels += ans
            nl = self.tok.encode("\n")
            ids += nl
            labels += [-100] * len(nl)
            messages.append({"role": "assistant", "content": answer})
        if grid is not None:
            n = grid[1] * grid[2] // 4
            exp_ids, exp_labels = [], []
            for t, l in zip(ids, labels):
                reps = n if t == self.image_pad else 1
                exp_ids += [t] * reps
                exp_labels += [l] * reps
            ids, labels = exp_ids, exp_labels
            starts = [st + n - 1 for st in starts]  # the image comes before every answer
        return ids, labels, starts


def image_supervision(scene, grid, min_cover=0.08):
    """Training-only targets for the image rows of a scene (merged 28 x 28 px cells in raster order):
    token [tokens, 2]: colour (1..6) and kind (1..4) of the shape covering most of the cell, 0 where shapes
    cover less than min_cover of it; cover [shapes, tokens]: each shape's share of its pixels per cell (rows sum
    to 1, for pooling); shape [shapes, 2]: each shape's colour and kind (0-based)."""
    gh, gw = grid[1], grid[2]
    S, cell = 2, 28
    lab = np.asarray(scenes.render_labels(scene, gw * 14, gh * 14, S))
    lh, lw = gh // 2, gw // 2
    blocks = lab.reshape(lh, cell * S, lw, cell * S).transpose(0, 2, 1, 3).reshape(lh * lw, -1)
    counts = np.stack([(blocks == k + 1).sum(1) for k in range(len(scene.shapes))], 1).astype(np.float32)
    best = counts.argmax(1)
    covered = counts.max(1) >= min_cover * blocks.shape[1]
    colours = np.array([scenes.COLOUR_NAMES.index(s.colour) for s in scene.shapes])
    kinds = np.array([scenes.KINDS.index(s.kind) for s in scene.shapes])
    token = np.stack([(colours[best] + 1) * covered, (kinds[best] + 1) * covered], 1)
    cover = counts.T / np.maximum(counts.sum(0), 1)[:, None]
    return {"token": torch.from_numpy(token).long(), "cover": torch.from_numpy(cover),
            "shape": torch.from_numpy(np.stack([colours, kinds], 1)).long()}


class AuxHeads(torch.nn.Module):
    """Training-only linear probes on the image rows (not exported). A vision tower trained from scratch through
    the decoder alone learns colours quickly but shapes hardly at all in this budget; these probes teach it
    both, per cell and per shape (the cells a shape covers, pooled), first alone (phase 1), then alongside
    the language-model loss (phase 2)."""

    def __init__(self, hidden):
        super().__init__()
        self.colour = torch.nn.Linear(hidden, len(scenes.COLOURS) + 1)
        self.kind = torch.nn.Linear(hidden, len(scenes.KINDS) + 1)
        self.shape_colour = torch.nn.Linear(hidden, len(scenes.COLOURS))
        self.shape_kind = torch.nn.Linear(hidden, len(scenes.KINDS))
        self.register_buffer("cell_weight", torch.tensor([0.2] + [1.0] * len(scenes.COLOURS)))
        self.register_buffer("kind_weight", torch.tensor([0.2] + [1.0] * len(scenes.KINDS)))

    def pooled(self, img, sups):
        out, start = [], 0
        for sup in sups:
            n = sup["cover"].shape[1]
            out.append(sup["cover"] @ img[start:start + n])
            start += n
        return torch.cat(out)

    def loss(self, img, sups):
        token = torch.cat([s["token"] for s in sups])
        shape = torch.cat([s["shape"] for s in sups])
        pooled = self.pooled(img, sups)
        return (F.cross_entropy(self.colour(img), token[:, 0], weight=self.cell_weight)
                + F.cross_entropy(self.kind(img), token[:, 1], weight=self.kind_weight)
                + F.cross_entropy(self.shape_colour(pooled), shape[:, 0])
                + F.cross_entropy(self.shape_kind(pooled), shape[:, 1]))

    @torch.no_grad()
    def shape_accuracy(self, img, sups):
        pooled = self.pooled(img, sups)
        shape = torch.cat([s["shape"] for s in sups])
        return ((self.shape_colour(pooled).argmax(1) == shape[:, 0]).float().mean().item(),
                (self.shape_kind(pooled).argmax(1) == shape[:, 1]).float().mean().item())


def vision_example(seed, index):
    scene, img = scenes.scene_image(seed, index)
    patches, grid, _ = M.preprocess(img, MIN_PIXELS, MAX_PIXELS)
    return patches, grid, image_supervision(scene, grid)


def training_example(enc, seed, index, turns=(1, 3), max_shapes=4):
    """One conversation: an image scene with turns[0]..turns[1] questions, or (1 in 8) a text-only chat.
    (ids, labels, patches, grid, token targets); the last three None for a chat."""
    rng = scenes.rng_for(seed, index, "layout")
    if rng.random() < 0.125:
        turns = [(u, a) for _q, u, a in scenes.chat_turns(seed, index)]
        ids, labels, _ = enc.conversation(turns, None)
        return ids, labels, None, None, None
    scene, img = scenes.scene_image(seed, index, max_shapes)
    patches, grid, _ = M.preprocess(img, MIN_PIXELS, MAX_PIXELS)
    questions = scenes.training_questions(seed, index, turns, max_shapes)
    turns = [(q, a) for _t, q, a, _truth in questions]
    if rng.random() < 0.15:  # a greeting after the image question now and then
        turns += [(u, a) for _q, u, a in scenes.chat_turns(seed, index, max_turns=1)]
    ids, labels, starts = enc.conversation(turns, grid, image_first=rng.random() < 0.75)
    sup = image_supervision(scene, grid)
    sup["attend"], sup["previous"] = attention_targets(enc, scene, questions, starts, ids.index(enc.image_pad))
    return ids, labels, patches, grid, sup


def attention_targets(enc, scene, questions, starts, image_start):
    """Training-only targets for two decoder attention heads. attend [(position, image_start, shape index)]:
    the row that predicts a colour or kind word of an answer should attend to the image rows of the shape that
    word names (colour answers: the colour; shape answers: the kind; descriptions: both). previous [position]:
    rows that predict the colour in "The circle is red." should also look one token back (to " circle"), which
    is where the first head's query has to come from."""
    words = {enc.tok.encode(" " + w)[0]: w for w in list(scenes.COLOURS) + list(scenes.KINDS)}
    out, previous = [], []
    for (qtype, _q, answer, _truth), start in zip(questions, starts):
        wanted = {"colour": scenes.COLOURS, "shape": scenes.KINDS, "describe": words.values()}.get(qtype)
        if wanted is None:
            continue
        for i, t in enumerate(enc.tok.encode(answer)):
            w = words.get(t)
            if w is None or w not in wanted:
                continue
            k = next(j for j, sh in enumerate(scene.shapes) if w in (sh.colour, sh.kind))
            out.append((start + i - 1, image_start, k))
            if qtype == "colour":
                previous.append(start + i - 1)
    return out, previous


def attention_loss(probs, sups, head=0):
    """Cross-entropy of one head's attention (probs [B, heads, L, L]) at the attention_targets rows against
    the named shape's share of each image row; 0 when there are none."""
    terms = []
    for sup in sups:
        for pos, img0, k in sup["attend"]:
            cover = sup["cover"][k]
            a = probs[sup["row"], head, pos, img0:img0 + cover.shape[0]]
            terms.append(-(cover * torch.log(a + 1e-6)).sum())
    return torch.stack(terms).mean() if terms else torch.zeros(())


def previous_token_loss(probs, sups, head=0):
    """-log of one head's attention (probs [B, heads, L, L]) from each attention_targets "previous" row to the
    token before it; 0 when there are none."""
    terms = [-torch.log(probs[sup["row"], head, pos, pos - 1] + 1e-6) for sup in sups for pos in sup["previous"]]
    return torch.stack(terms).mean() if terms else torch.zeros(())


def collate(examples, cfg):
    B = len(examples)
    L = max(len(e[0]) for e in examples)
    ids = torch.zeros(B, L, dtype=torch.long)
    labels = torch.full((B, L), -100, dtype=torch.long)
    pos = torch.zeros(3, B, L, dtype=torch.long)
    lengths = torch.zeros(B, dtype=torch.long)
    pix, grids, targets = [], [], []
    for b, (i, l, p, g, t) in enumerate(examples):
        n = len(i)
        ids[b, :n] = torch.tensor(i)
        labels[b, :n] = torch.tensor(l)
        lengths[b] = n
        gl = [g] if g is not None else []
        pos[:, b, :n] = torch.from_numpy(M.rope_index(i, gl, cfg))
        if g is not None:
            pix.append(torch.from_numpy(p))
            grids.append(g)
            t["row"] = b
            targets.append(t)
    pixel_values = torch.cat(pix) if pix else None
    return ids, labels, pos, lengths, pixel_values, grids, targets


# ------------------------------------------------------------------------------------------- scoring

WORD_RE = __import__("re").compile(r"[a-z]+")


def score(qtype, truth, answer):
    """Whether a free-text answer states the truth (the same rules as tests/server/tiny_vlm_e2e_test.cc)."""
    words = WORD_RE.findall(answer.lower())
    colours = [w for w in words if w in scenes.COLOURS]
    kinds = [w for w in words if w in scenes.KINDS]
    if qtype == "colour":
        return set(colours) == {truth["colour"]}
    if qtype == "shape":
        return set(kinds) == {truth["kind"]}
    if qtype == "count":
        nums = {scenes.NUMBER_WORDS.index(w) for w in words if w in scenes.NUMBER_WORDS}
        return nums == {truth["count"]}
    if qtype == "left_of":
        return bool(words) and words[0] == ("yes" if truth["yes"] else "no")
    if qtype == "describe":
        pairs = {(a, b) for a, b in zip(words, words[1:]) if a in scenes.COLOURS and b in scenes.KINDS}
        return pairs == {tuple(p) for p in truth["shapes"]} and len(colours) == len(pairs)
    if qtype == "absent":
        return "no" in words and truth["absent"] in kinds and not colours
    raise ValueError(qtype)


# ------------------------------------------------------------------------------------------ decoding

@torch.no_grad()
def greedy_answers(net, enc, prompts, max_new=24):
    """prompts [(ids, patches or None, grid or None)] -> decoded answers (greedy, batched, no KV cache)."""
    cfg = net.cfg
    net.eval()
    seqs = [list(p[0]) for p in prompts]
    grids = [[p[2]] if p[2] is not None else [] for p in prompts]
    pix = [torch.from_numpy(p[1]) for p in prompts if p[2] is not None]
    img = net.visual(torch.cat(pix), [p[2] for p in prompts if p[2] is not None]) if pix else None
    # each prompt's share of the image rows
    shares, start = [], 0
    for p in prompts:
        n = p[2][1] * p[2][2] // 4 if p[2] is not None else 0
        shares.append(img[start:start + n] if n else None)
        start += n
    done = [False] * len(prompts)
    out = [[] for _ in prompts]
    for _ in range(max_new):
        B, L = len(seqs), max(len(s) for s in seqs)
        ids = torch.zeros(B, L, dtype=torch.long)
        pos = torch.zeros(3, B, L, dtype=torch.long)
        lengths = torch.tensor([len(s) for s in seqs])
        for b, s in enumerate(seqs):
            ids[b, :len(s)] = torch.tensor(s)
            pos[:, b, :len(s)] = torch.from_numpy(M.rope_index(s, grids[b], cfg))
        x = net.model.embed_tokens(ids)
        for b in range(B):
            if shares[b] is not None:
                sel = ids[b] == cfg.image_token_id
                x[b, sel] = shares[b]
        logits = net.decode_embeddings(x, pos, lengths)
        for b, s in enumerate(seqs):
            if done[b]:
                continue
            t = int(logits[b, len(s) - 1].argmax())
            if t == enc.im_end or t == enc.tok.token_id("<|endoftext|>"):
                done[b] = True
            else:
                out[b].append(t)
                s.append(t)
        if all(done):
            break
    return [enc.tok.decode(o) for o in out]


def evaluate(net, enc, seed, count, batch=12, show=0):
    """Per-question-type accuracy of greedy answers to scenes.eval_questions(seed, 0..count-1) (3 per scene)."""
    results = {}
    shown = 0
    for first in range(0, count, batch):
        items, prompts = [], []
        for i in range(first, min(count, first + batch)):
            _scene, img = scenes.scene_image(seed, i)
            patches, grid, _ = M.preprocess(img, MIN_PIXELS, MAX_PIXELS)
            for qtype, q, _a, truth in scenes.eval_questions(seed, i):
                msg = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": q}]}]
                prompts.append((enc.prompt_ids(msg, grid), patches, grid))
                items.append((qtype, q, truth))
        for (qtype, q, truth), ans in zip(items, greedy_answers(net, enc, prompts)):
            ok = score(qtype, truth, ans)
            results.setdefault(qtype, []).append(ok)
            if shown < show or (not ok and show > 0 and shown < 3 * show):
                print(f"    {'ok ' if ok else 'BAD'} [{qtype}] {q} -> {ans}")
                shown += 1
    return {k: (sum(v), len(v)) for k, v in sorted(results.items())}


def format_accuracy(acc):
    parts = [f"{k} {c}/{n} ({100.0 * c / n:.0f}%)" for k, (c, n) in acc.items()]
    total_c = sum(c for c, _ in acc.values())
    total_n = sum(n for _, n in acc.values())
    return ", ".join(parts) + f"; all {100.0 * total_c / max(1, total_n):.1f}%"


# ---------------------------------------------------------------------------------------------- main

def lr_at(step, steps, peak, warmup, final=0.05):
    """Linear warmup, then cosine decay to final * peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    p = (step - warmup) / max(1, steps - warmup)
    return peak * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * p)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="models/tiny-qwen25vl-shapes", help="Hugging Face directory to write")
    ap.add_argument("--seed", type=int, default=1, help="training seed (weights init and training scenes)")
    ap.add_argument("--eval-seed", type=int, default=777, help="held-out scenes for the accuracy report")
    ap.add_argument("--vision-steps", type=int, default=1200, help="phase 1: the vision tower alone")
    ap.add_argument("--vision-batch", type=int, default=24)
    ap.add_argument("--steps", type=int, default=700, help="phase 2: the whole model")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--eval-count", type=int, default=32, help="held-out scenes per evaluation (3 questions each)")
    ap.add_argument("--final-eval-count", type=int, default=100)
    ap.add_argument("--log-every", type=int, default=25)
    ap.add_argument("--turns", default="3,6", help="questions per image conversation in phase 2: min,max")
    ap.add_argument("--two-shape-steps", type=int, default=0,
                    help="phase 2 curriculum: scenes of at most two shapes for this many first steps")
    ap.add_argument("--vision-lr-scale", type=float, default=0.0,
                    help="phase 2 learning rate of the tower relative to --lr (0: frozen, no probes)")
    ap.add_argument("--qweights", default="", help="override scenes.TRAIN_WEIGHTS: colour=4,shape=4,...")
    ap.add_argument("--attn-weight", type=float, default=1.0,
                    help="weight of the training-only loss steering one decoder head to the shape a word names")
    ap.add_argument("--attn-layer", type=int, default=1, help="the decoder layer of that head (head 0)")
    ap.add_argument("--prev-weight", type=float, default=1.0,
                    help="weight of the training-only loss making head 0 of the layer below look one token back "
                         "where a colour answer's colour is predicted")
    ap.add_argument("--aux-weight", type=float, default=1.0, help="weight of the training-only image-row probes")
    ap.add_argument("--checkpoint", default="", help="torch state file saved at each evaluation (resume with it)")
    ap.add_argument("--vision-checkpoint", default="",
                    help="the tower and probes after phase 1: saved there, or loaded from there to skip phase 1")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    turns = tuple(int(x) for x in args.turns.split(","))
    for kv in filter(None, args.qweights.split(",")):
        k, v = kv.split("=")
        scenes.TRAIN_WEIGHTS[k] = float(v)
    torch.manual_seed(args.seed)
    t0 = time.time()

    tok_json = bpe.write(args.out, bpe.train(bpe.training_corpus(), 420))
    tok = bpe.Tokenizer(tok_json)
    enc = Encoder(tok)
    n_tokens = len(tok_json["model"]["vocab"]) + len(tok_json["added_tokens"])
    cfg = M.Config(vocab_size=(n_tokens + 63) // 64 * 64, image_token_id=tok.token_id("<|image_pad|>"),
                   vision_start_token_id=tok.token_id("<|vision_start|>"), **MODEL_SIZES)
    net = M.Qwen25VL(cfg)
    net.init_weights()
    n_params = sum(p.numel() for p in net.parameters())
    print(f"tokenizer: {n_tokens} tokens (vocab_size {cfg.vocab_size}); model: {n_params / 1e6:.2f} M parameters "
          f"({4 * n_params / 2**20:.1f} MiB in f32); {args.vision_steps} vision steps of {args.vision_batch}, "
          f"then {args.steps} steps of {args.batch}; {args.threads} threads",
          flush=True)

    aux = AuxHeads(cfg.hidden_size)
    if args.checkpoint and os.path.exists(args.checkpoint):
        st = torch.load(args.checkpoint)
        net.load_state_dict(st["model"])
        aux.load_state_dict(st["aux"])
        print(f"resumed from {args.checkpoint} ({st['phase']} step {st['step']})", flush=True)
    elif args.vision_checkpoint and os.path.exists(args.vision_checkpoint):
        st = torch.load(args.vision_checkpoint)
        net.visual.load_state_dict(st["visual"])
        aux.load_state_dict(st["aux"])
        st = {"phase": "full", "step": 0}
        print(f"vision tower from {args.vision_checkpoint}; phase 1 skipped", flush=True)
    else:
        st = {"phase": "vision", "step": 0}

    def save(phase, step, opt):
        if args.checkpoint:
            torch.save({"model": net.state_dict(), "aux": aux.state_dict(), "opt": opt.state_dict(),
                        "phase": phase, "step": step}, args.checkpoint)

    def make_opt(named, groups):
        """AdamW; no weight decay on vectors; groups: [(name prefix, lr scale)]."""
        out = []
        for prefix, scale in groups:
            ps = [(n, p) for n, p in named if n.startswith(prefix)]
            out.append({"params": [p for _n, p in ps if p.dim() >= 2], "weight_decay": 0.05, "scale": scale})
            out.append({"params": [p for _n, p in ps if p.dim() < 2], "weight_decay": 0.0, "scale": scale})
        return torch.optim.AdamW(out, lr=args.lr, betas=(0.9, 0.98), eps=1e-8)

    # Phase 1: the vision tower alone, on the probes' targets.
    vision_named = [("visual." + n, p) for n, p in net.visual.named_parameters()] + \
                   [("aux." + n, p) for n, p in aux.named_parameters()]
    opt = make_opt(vision_named, [("", 1.0)])
    if st["phase"] == "vision":
        if "opt" in st:
            opt.load_state_dict(st["opt"])
        net.train()
        for step in range(st["step"], args.vision_steps):
            batch = [vision_example(args.seed, 10_000_000 + step * args.vision_batch + k)
                     for k in range(args.vision_batch)]
            for g in opt.param_groups:
                g["lr"] = g["scale"] * lr_at(step, args.vision_steps, args.lr, args.warmup, final=0.25)
            img = net.visual(torch.cat([torch.from_numpy(b[0]) for b in batch]), [b[1] for b in batch])
            sups = [b[2] for b in batch]
            loss = aux.loss(img, sups)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for _n, p in vision_named], 1.0)
            opt.step()
            if (step + 1) % args.log_every == 0:
                print(f"vision step {step + 1}/{args.vision_steps} probe loss {loss.item():.4f} "
                      f"lr {opt.param_groups[0]['lr']:.2e} {time.time() - t0:.0f}s", flush=True)
            if (step + 1) % args.eval_every == 0 or step + 1 == args.vision_steps:
                net.eval()
                held = [vision_example(args.eval_seed, i) for i in range(60)]
                with torch.no_grad():
                    img = net.visual(torch.cat([torch.from_numpy(b[0]) for b in held]), [b[1] for b in held])
                c_acc, k_acc = aux.shape_accuracy(img, [b[2] for b in held])
                print(f"vision eval step {step + 1}: per-shape colour {100 * c_acc:.0f}%, kind {100 * k_acc:.0f}% "
                      f"(60 held-out scenes) {time.time() - t0:.0f}s", flush=True)
                net.train()
                save("vision", step + 1, opt)
        if args.vision_checkpoint:
            torch.save({"visual": net.visual.state_dict(), "aux": aux.state_dict()}, args.vision_checkpoint)
        st = {"phase": "full", "step": 0}

    # Phase 2: everything, language-model loss + the probes; the tower at half the learning rate.
    frozen = args.vision_lr_scale == 0
    if frozen:
        net.visual.requires_grad_(False)
        named = [(n, p) for n, p in net.named_parameters() if not n.startswith("visual.")]
    else:
        named = list(net.named_parameters()) + [("aux." + n, p) for n, p in aux.named_parameters()]
    opt = make_opt(named, [("visual.", args.vision_lr_scale), ("model.", 1.0), ("lm_head.", 1.0), ("aux.", 1.0)])
    if st["phase"] == "full" and "opt" in st:
        opt.load_state_dict(st["opt"])
    attn_layer = net.model.layers[args.attn_layer].self_attn
    attn_layer.record_probs = bool(args.attn_weight)
    if args.attn_layer < 1:
        args.prev_weight = 0.0
    prev_layer = net.model.layers[max(0, args.attn_layer - 1)].self_attn
    prev_layer.record_probs = bool(args.prev_weight)
    ema = None
    for step in range(st["step"], args.steps):
        net.train()
        max_shapes = 2 if step < args.two_shape_steps else 4
        batch = [training_example(enc, args.seed, step * args.batch + k, turns, max_shapes) for k in range(args.batch)]
        ids, labels, pos, lengths, pix, grids, sups = collate(batch, cfg)
        for g in opt.param_groups:
            g["lr"] = g["scale"] * lr_at(step, args.steps, args.lr, args.warmup)
        if frozen:
            net.visual.eval()
        logits, img = net(ids, pos, lengths, pix, grids, return_image_embeds=True)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, cfg.vocab_size), labels[:, 1:].reshape(-1),
                               ignore_index=-100)
        aux_loss = aux.loss(img, sups) if img is not None and not frozen else torch.zeros(())
        attn_loss = attention_loss(attn_layer.probs, sups) if args.attn_weight else torch.zeros(())
        prev_loss = previous_token_loss(prev_layer.probs, sups) if args.prev_weight else torch.zeros(())
        opt.zero_grad(set_to_none=True)
        (loss + args.aux_weight * aux_loss + args.attn_weight * attn_loss + args.prev_weight * prev_loss).backward()
        torch.nn.utils.clip_grad_norm_([p for _n, p in named], 1.0)
        opt.step()
        ema = loss.item() if ema is None else 0.95 * ema + 0.05 * loss.item()
        if (step + 1) % args.log_every == 0:
            print(f"step {step + 1}/{args.steps} loss {loss.item():.4f} (avg {ema:.4f}) probes {aux_loss.item():.4f} attn {attn_loss.item():.3f} prev {prev_loss.item():.3f} "
                  f"lr {opt.param_groups[2]['lr']:.2e} {time.time() - t0:.0f}s", flush=True)
        if args.eval_every and (step + 1) % args.eval_every == 0 and step + 1 < args.steps:
            acc = evaluate(net, enc, args.eval_seed, args.eval_count)
            print(f"eval step {step + 1}: {format_accuracy(acc)} {time.time() - t0:.0f}s", flush=True)
            save("full", step + 1, opt)

    attn_layer.record_probs, attn_layer.probs = False, None
    prev_layer.record_probs, prev_layer.probs = False, None
    train_s = time.time() - t0
    acc = evaluate(net, enc, args.eval_seed, args.final_eval_count, show=12)
    print(f"final eval ({args.final_eval_count} held-out scenes, seed {args.eval_seed}): {format_accuracy(acc)}",
          flush=True)
    export.export(net, cfg, tok, args.out, MIN_PIXELS, MAX_PIXELS,
                  info={"seed": args.seed, "vision_steps": args.vision_steps, "vision_batch": args.vision_batch,
                        "steps": args.steps, "batch": args.batch, "lr": args.lr, "threads": args.threads,
                        "train_seconds": round(train_s),
                        "eval_seed": args.eval_seed, "eval_accuracy": {k: [c, n] for k, (c, n) in acc.items()}})
    print(f"trained in {train_s / 60:.1f} min; wrote {args.out} ({time.time() - t0:.0f}s in all)", flush=True)


if __name__ == "__main__":
    main()
