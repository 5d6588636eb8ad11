"""Qwen2.5-VL in plain PyTorch (1.13, no transformers), following Hugging Face's modeling_qwen2_5_vl.py:

vision tower   Conv3d patch embedding (no bias) -> blocks of [RMSNorm, attention (qkv with bias, 2-D vision RoPE,
               window attention except in fullatt_block_indexes), RMSNorm, SwiGLU MLP with biases] -> patch
               merger (RMSNorm, 2x2 merge, Linear, exact GELU, Linear); window reordering as get_window_index
decoder        Qwen2: embeddings, [RMSNorm, GQA attention (q/k/v bias, o no bias) with M-RoPE (mrope_section),
               RMSNorm, SwiGLU MLP] x N, RMSNorm, lm_head (tied to the embeddings when tie_word_embeddings)
positions      get_rope_index: text t = h = w; an image's rows get (0, row, col) of its merged grid + offset

Parameter names are the published checkpoints' (visual.*, model.*, lm_head.*), so state_dict() is what export.py
writes. Also here: the image preprocessing of Qwen2VLImageProcessor (smart_resize, Pillow bicubic, CLIP
mean/std, patch flattening) and the safetensors writer/reader.
"""

import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


# ----------------------------------------------------------------------------------------------- config

class Config:
    """The fields of a Qwen2.5-VL config.json this model uses (the rest are written by export.py)."""

    def __init__(self, **kw):
        # decoder
        self.vocab_size = kw.get("vocab_size", 576)
        self.hidden_size = kw.get("hidden_size", 256)
        self.intermediate_size = kw.get("intermediate_size", 640)
        self.num_hidden_layers = kw.get("num_hidden_layers", 4)
        self.num_attention_heads = kw.get("num_attention_heads", 8)
        self.num_key_value_heads = kw.get("num_key_value_heads", 2)
        self.rms_norm_eps = kw.get("rms_norm_eps", 1e-6)
        self.rope_theta = kw.get("rope_theta", 1000000.0)
        self.mrope_section = kw.get("mrope_section", [4, 6, 6])
        self.tie_word_embeddings = kw.get("tie_word_embeddings", True)
        self.image_token_id = kw.get("image_token_id")
        self.vision_start_token_id = kw.get("vision_start_token_id")
        # vision
        v = kw.get("vision", {})
        self.v_hidden = v.get("hidden_size", 128)
        self.v_intermediate = v.get("intermediate_size", 256)
        self.v_depth = v.get("depth", 4)
        self.v_heads = v.get("num_heads", 4)
        self.patch_size = v.get("patch_size", 14)
        self.temporal_patch_size = v.get("temporal_patch_size", 2)
        self.spatial_merge_size = v.get("spatial_merge_size", 2)
        self.window_size = v.get("window_size", 112)
        self.fullatt_block_indexes = v.get("fullatt_block_indexes", [1, 3])
        self.in_channels = 3

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    def to_json(self):
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d):
        c = cls()
        c.__dict__.update(d)
        return c


# --------------------------------------------------------------------------------------------- layers

class RMSNorm(nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


class SwiGLU(nn.Module):
    def __init__(self, n, m, bias):
        super().__init__()
        self.gate_proj = nn.Linear(n, m, bias=bias)
        self.up_proj = nn.Linear(n, m, bias=bias)
        self.down_proj = nn.Linear(m, n, bias=bias)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def masked_attention(q, k, v, mask, scale, return_probs=False):
    """q, k, v [B, heads, N, d]; mask [B, 1 or heads, N, N] bool (True = attend). With return_probs also the
    attention probabilities [B, heads, N, N]."""
    s = torch.matmul(q, k.transpose(-1, -2)) * scale
    s = s.masked_fill(~mask, float("-inf"))
    p = torch.softmax(s, dim=-1, dtype=torch.float32).to(q.dtype)
    o = torch.matmul(p, v)
    return (o, p) if return_probs else o


# --------------------------------------------------------------------------------------------- vision

class VisionAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim, bias=True)

    def forward(self, x, cos, sin, mask):
        # x [B, N, E] (padded per image); cos/sin [B, N, head_dim]; mask [B, 1, N, N]
        B, N, E = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, E // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, heads, N, d]
        c, s = cos.unsqueeze(1).float(), sin.unsqueeze(1).float()
        q = (q.float() * c + rotate_half(q.float()) * s).to(x.dtype)
        k = (k.float() * c + rotate_half(k.float()) * s).to(x.dtype)
        o = masked_attention(q, k, v, mask, (E // self.heads) ** -0.5)
        return self.proj(o.transpose(1, 2).reshape(B, N, E))


class VisionBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = RMSNorm(cfg.v_hidden)
        self.norm2 = RMSNorm(cfg.v_hidden)
        self.attn = VisionAttention(cfg.v_hidden, cfg.v_heads)
        self.mlp = SwiGLU(cfg.v_hidden, cfg.v_intermediate, bias=True)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.norm1(x), cos, sin, mask)
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        P, T = cfg.patch_size, cfg.temporal_patch_size
        self.proj = nn.Conv3d(cfg.in_channels, cfg.v_hidden, kernel_size=(T, P, P), stride=(T, P, P), bias=False)

    def forward(self, x):  # [num_patches, C*T*P*P] -> [num_patches, E]; the Conv3d over one patch is a matmul
        w = self.proj.weight
        return F.linear(x.to(w.dtype), w.reshape(w.shape[0], -1))


class PatchMerger(nn.Module):
    def __init__(self, cfg, out_dim):
        super().__init__()
        self.unit = cfg.v_hidden * cfg.spatial_merge_size ** 2
        self.ln_q = RMSNorm(cfg.v_hidden)
        self.mlp = nn.Sequential(nn.Linear(self.unit, self.unit), nn.GELU(), nn.Linear(self.unit, out_dim))

    def forward(self, x):
        return self.mlp(self.ln_q(x).reshape(-1, self.unit))


class VisionTower(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.patch_embed = PatchEmbed(cfg)
        self.blocks = nn.ModuleList([VisionBlock(cfg) for _ in range(cfg.v_depth)])
        self.merger = PatchMerger(cfg, cfg.hidden_size)
        rot_dim = cfg.v_hidden // cfg.v_heads // 2
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, rot_dim, 2, dtype=torch.float) / rot_dim)),
                             persistent=False)

    def image_layout(self, gh, gw):
        """For one image of gh x gw patches: the window order of its patches (HF get_window_index expanded to
        patches), each patch's window id in that order, and the (row, col) of each patch in that order."""
        m = self.cfg.spatial_merge_size
        ws = self.cfg.window_size // m // self.cfg.patch_size
        lh, lw = gh // m, gw // m
        index = torch.arange(lh * lw).reshape(lh, lw)
        pad_h, pad_w = ws - lh % ws, ws - lw % ws
        nwh, nww = (lh + pad_h) // ws, (lw + pad_w) // ws
        padded = F.pad(index, (0, pad_w, 0, pad_h), "constant", -100)
        padded = padded.reshape(nwh, ws, nww, ws).permute(0, 2, 1, 3).reshape(nwh * nww, ws * ws)
        window_of_unit = torch.arange(nwh * nww).unsqueeze(1).expand_as(padded)
        keep = padded != -100
        unit_order = padded[keep]                  # merged units in window order (HF window_index)
        unit_window = window_of_unit[keep]
        unit = m * m
        patch_order = (unit_order.unsqueeze(1) * unit + torch.arange(unit)).reshape(-1)
        patch_window = unit_window.repeat_interleave(unit)
        # HF's patch order inside the image (processor flattening): (row-block, col-block, r, c) of the merge units
        hpos = torch.arange(gh).unsqueeze(1).expand(-1, gw).reshape(lh, m, lw, m).permute(0, 2, 1, 3).reshape(-1)
        wpos = torch.arange(gw).unsqueeze(0).expand(gh, -1).reshape(lh, m, lw, m).permute(0, 2, 1, 3).reshape(-1)
        return unit_order, patch_order, patch_window, hpos[patch_order], wpos[patch_order]

    def forward(self, pixel_values, grids):
        """pixel_values [sum patches, C*T*P*P] (images concatenated, processor order); grids [(t, h, w)] with t = 1.
        Returns the merged embeddings of all images concatenated, [sum patches / 4, hidden_size]."""
        cfg = self.cfg
        x = self.patch_embed(pixel_values)
        B = len(grids)
        sizes = [h * w for _t, h, w in grids]
        N = max(sizes)
        E = cfg.v_hidden
        dev = x.device
        gather = torch.zeros(B, N, dtype=torch.long)
        valid = torch.zeros(B, N, dtype=torch.bool)
        win = torch.full((B, N), -1, dtype=torch.long)
        rows = torch.zeros(B, N, dtype=torch.long)
        cols = torch.zeros(B, N, dtype=torch.long)
        unorders = []
        start = 0
        for b, (_t, gh, gw) in enumerate(grids):
            n = gh * gw
            uo, po, pw, hp, wp = self.image_layout(gh, gw)
            gather[b, :n] = po + start
            valid[b, :n] = True
            win[b, :n] = pw
            rows[b, :n], cols[b, :n] = hp, wp
            unorders.append(uo)
            start += n
        xb = x[gather.reshape(-1)].reshape(B, N, E) * valid.unsqueeze(-1)
        freqs = torch.cat([rows.unsqueeze(-1) * self.inv_freq, cols.unsqueeze(-1) * self.inv_freq], dim=-1)
        emb = torch.cat([freqs, freqs], dim=-1)  # [B, N, head_dim]
        cos, sin = emb.cos().to(dev), emb.sin().to(dev)
        full = (valid.unsqueeze(1) & valid.unsqueeze(2)) | torch.eye(N, dtype=torch.bool).unsqueeze(0)
        window = full & (win.unsqueeze(1) == win.unsqueeze(2))
        full, window = full.unsqueeze(1).to(dev), window.unsqueeze(1).to(dev)
        for i, blk in enumerate(self.blocks):
            xb = blk(xb, cos, sin, full if i in cfg.fullatt_block_indexes else window)
        unit = cfg.spatial_merge_size ** 2
        outs = []
        for b, n in enumerate(sizes):
            merged = self.merger(xb[b, :n])                      # units in window order
            outs.append(merged[torch.argsort(unorders[b])])      # back to raster order of the merged grid
        return torch.cat(outs, dim=0)


# -------------------------------------------------------------------------------------------- decoder

class DecoderAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H, D, KV = cfg.num_attention_heads, cfg.head_dim, cfg.num_key_value_heads
        self.H, self.D, self.KV = H, D, KV
        self.q_proj = nn.Linear(cfg.hidden_size, H * D, bias=True)
        self.k_proj = nn.Linear(cfg.hidden_size, KV * D, bias=True)
        self.v_proj = nn.Linear(cfg.hidden_size, KV * D, bias=True)
        self.o_proj = nn.Linear(H * D, cfg.hidden_size, bias=False)
        self.record_probs = False  # training only: keep the last attention probabilities in self.probs
        self.probs = None  # [B, heads, L, L]

    def forward(self, x, cos, sin, mask):
        B, L, _ = x.shape
        q = self.q_proj(x).view(B, L, self.H, self.D).transpose(1, 2)
        k = self.k_proj(x).view(B, L, self.KV, self.D).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.KV, self.D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.H // self.KV
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        if self.record_probs:
            o, self.probs = masked_attention(q, k, v, mask, self.D ** -0.5, return_probs=True)
        else:
            o = masked_attention(q, k, v, mask, self.D ** -0.5)
        return self.o_proj(o.transpose(1, 2).reshape(B, L, self.H * self.D))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = DecoderAttention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = SwiGLU(cfg.hidden_size, cfg.intermediate_size, bias=False)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class TextModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


def rope_index(ids, grids, cfg):
    """HF get_rope_index for one sequence with images (no video): [3, L] positions."""
    m = cfg.spatial_merge_size
    L = len(ids)
    pos = np.zeros((3, L), dtype=np.int64)
    i, nxt, img = 0, 0, 0
    while i < L:
        if ids[i] == cfg.image_token_id:
            _t, gh, gw = grids[img]
            lh, lw = gh // m, gw // m
            n = lh * lw
            hh = np.repeat(np.arange(lh), lw)
            ww = np.tile(np.arange(lw), lh)
            pos[0, i:i + n] = nxt
            pos[1, i:i + n] = nxt + hh
            pos[2, i:i + n] = nxt + ww
            nxt = nxt + max(lh, lw)
            i += n
            img += 1
        else:
            pos[:, i] = nxt
            nxt += 1
            i += 1
    return pos


class Qwen25VL(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.visual = VisionTower(cfg)
        self.model = TextModel(cfg)
        if not cfg.tie_word_embeddings:
            self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        D = cfg.head_dim
        self.register_buffer("inv_freq", 1.0 / (cfg.rope_theta ** (torch.arange(0, D, 2, dtype=torch.float) / D)),
                             persistent=False)

    def init_weights(self, std=0.02):
        for mod in self.modules():
            if isinstance(mod, (nn.Linear, nn.Conv3d, nn.Embedding)):
                nn.init.normal_(mod.weight, 0.0, std)
                if getattr(mod, "bias", None) is not None:
                    nn.init.zeros_(mod.bias)

    def mrope_cos_sin(self, positions):
        """positions [3, B, L] -> cos, sin [B, 1, L, head_dim] with the mrope_section interleave of HF."""
        freqs = positions.unsqueeze(-1).float() * self.inv_freq  # [3, B, L, D/2]
        emb = torch.cat([freqs, freqs], dim=-1)
        sections = self.cfg.mrope_section * 2
        cos = torch.cat([c[i % 3] for i, c in enumerate(emb.cos().split(sections, dim=-1))], dim=-1)
        sin = torch.cat([s[i % 3] for i, s in enumerate(emb.sin().split(sections, dim=-1))], dim=-1)
        return cos.unsqueeze(1), sin.unsqueeze(1)

    def forward(self, input_ids, positions, lengths, pixel_values=None, grids=None, return_image_embeds=False):
        """input_ids [B, L] (right-padded), positions [3, B, L], lengths [B] -> logits [B, L, vocab]
        (and the image rows [sum tokens, hidden] when return_image_embeds)."""
        x = self.model.embed_tokens(input_ids)
        img = None
        if pixel_values is not None and len(grids):
            img = self.visual(pixel_values, grids).to(x.dtype)
            sel = input_ids == self.cfg.image_token_id
            assert int(sel.sum()) == img.shape[0], (int(sel.sum()), img.shape)
            x = x.masked_scatter(sel.unsqueeze(-1), img)
        logits = self.decode_embeddings(x, positions, lengths)
        return (logits, img) if return_image_embeds else logits

    def decode_embeddings(self, x, positions, lengths):
        """x [B, L, hidden] input embeddings (image rows already in place) -> logits [B, L, vocab]."""
        B, L, _ = x.shape
        cos, sin = self.mrope_cos_sin(positions)
        keys = torch.arange(L)
        valid = keys.unsqueeze(0) < lengths.unsqueeze(1)                       # [B, L]
        mask = (keys.unsqueeze(0) <= keys.unsqueeze(1)).unsqueeze(0) & valid.unsqueeze(1)
        mask = mask | torch.eye(L, dtype=torch.bool).unsqueeze(0)              # padded rows attend to themselves
        mask = mask.unsqueeze(1)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        x = self.model.norm(x)
        w = self.model.embed_tokens.weight if self.cfg.tie_word_embeddings else self.lm_head.weight
        return F.linear(x, w)


# ------------------------------------------------------------------------------------ preprocessing

def smart_resize(height, width, factor=28, min_pixels=56 * 56, max_pixels=28 * 28 * 1280):
    if max(height, width) / min(height, width) > 200:
        raise ValueError("aspect ratio over 200")
    h_bar = round(height / factor) * factor
    w_bar = round(width / factor) * factor
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        h_bar = max(factor, math.floor(height / beta / factor) * factor)
        w_bar = max(factor, math.floor(width / beta / factor) * factor)
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / factor) * factor
        w_bar = math.ceil(width * beta / factor) * factor
    return h_bar, w_bar


def preprocess(image, min_pixels, max_pixels, patch=14, merge=2, temporal=2):
    """PIL RGB image -> (patches [gh*gw, 3*T*P*P] float32 in the processor's order, (1, gh, gw)), as
    Qwen2VLImageProcessor does it: smart_resize, Pillow bicubic, x/255 in float64 -> float32, (x - mean) / std."""
    image = image.convert("RGB")
    h, w = smart_resize(image.height, image.width, patch * merge, min_pixels, max_pixels)
    if (w, h) != image.size:
        image = image.resize((w, h), Image.BICUBIC)
    a = (np.asarray(image, dtype=np.float64) * (1 / 255.0)).astype(np.float32)
    a = (a - np.array(CLIP_MEAN, dtype=np.float32)) / np.array(CLIP_STD, dtype=np.float32)
    a = a.transpose(2, 0, 1)  # [3, H, W]
    gh, gw = h // patch, w // patch
    frames = np.stack([a] * temporal)  # [T, 3, H, W]
    p = frames.reshape(1, temporal, 3, gh // merge, merge, patch, gw // merge, merge, patch)
    p = p.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8).reshape(gh * gw, 3 * temporal * patch * patch)
    return np.ascontiguousarray(p), (1, gh, gw), a


# -------------------------------------------------------------------------------------- safetensors

_DTYPES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.float16: "F16"}


def save_safetensors(tensors, path, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype == torch.bfloat16:
            raw = t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        if info["dtype"] == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").copy())
        elif info["dtype"] == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16)
        elif info["dtype"] == "F16":
            t = torch.from_numpy(np.frombuffer(raw, dtype="<f2").copy())
        else:
            raise ValueError(f"{path}: dtype {info['dtype']} of {name}")
        out[name] = t.reshape(info["shape"])
    return out
