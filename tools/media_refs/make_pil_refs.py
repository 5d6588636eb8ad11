#!/usr/bin/python3
"""Writes tests/data/media/: small images in every supported format and the pixels Pillow (an
independent implementation) decodes and resizes them to. mmserve's media tests compare against these.

Run with Debian's Python (python3-pil, python3-numpy):
    /usr/bin/python3 tools/media_refs/make_pil_refs.py tests/data/media

Everything is deterministic (fixed seeds, no timestamps), so rerunning it with the same Pillow and
libjpeg-turbo/libwebp/zlib versions reproduces the same bytes. Outputs:
  src/<name>.<ext>            encoded inputs
  ref/<name>.white.ppm        what the Qwen2-VL serving path sees: EXIF-transposed, then
                              alpha composited on white (vLLM / qwen-vl-utils `to_rgb`: paste with alpha mask)
  ref/<name>.drop.ppm         Pillow's im.convert("RGB") (transformers' convert_to_rgb): alpha dropped
  ref/resize_<filter>_<w>x<h>.ppm   Pillow's resize of src/resize_src.png (RGB) to w x h
  ref/pipeline_*.npy          smart_resize + Pillow bicubic + rescale + normalize, float32 [3, H, W]
  manifest.json               the lists above plus the smart_resize cases
"""
import io
import json
import math
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps

HIGH_BYTE_REFS = {}
CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def pattern(w, h, seed, channels=3):
    """Smooth gradients + a disc + a little noise: exercises every pixel value range, compresses OK."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.zeros((h, w, channels), np.float64)
    for c in range(channels):
        fx, fy, ph = rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(0, 6.28)
        out[..., c] = 127.5 + 127.5 * np.sin(fx * x / w * 3.14 + ph) * np.cos(fy * y / h * 3.14 - ph)
    disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (min(w, h) * 0.25) ** 2
    out[disc, 0] = 250
    out += rng.integers(-8, 9, out.shape)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def write_ppm(path, rgb):
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    with open(path, "wb") as f:
        f.write(b"P6\n%d %d\n255\n" % (w, h))
        f.write(rgb.tobytes())


def png_bytes(arr, color_type, bit_depth, plte=None, trns=None, interlace=False):
    """A minimal PNG writer for the cases Pillow cannot write (16-bit RGB/RGBA/LA). arr: uint8/uint16
    [h, w, c]. Rows use filter 0; no interlacing support (interlace=False only)."""
    assert not interlace
    h, w = arr.shape[:2]
    if bit_depth == 16:
        raw = arr.astype(">u2").tobytes()
        row_bytes = w * arr.shape[2] * 2
    else:
        raw = arr.astype(np.uint8).tobytes()
        row_bytes = w * arr.shape[2]
    data = b"".join(b"\x00" + raw[r * row_bytes:(r + 1) * row_bytes] for r in range(h))

    def chunk(tag, payload):
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0))
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(data, 9)) + chunk(b"IEND", b"")


def on_white(im):
    """vLLM's rgba_to_rgb / qwen-vl-utils' to_rgb, extended to every mode through convert("RGBA")."""
    rgba = im.convert("RGBA")
    bg = Image.new("RGB", rgba.size, (255, 255, 255))
    bg.paste(rgba, mask=rgba.split()[3])
    return bg


def make_inputs():
    """name -> encoded bytes."""
    files = {}

    def save(name, im, fmt, **kw):
        buf = io.BytesIO()
        im.save(buf, fmt, **kw)
        files[name] = buf.getvalue()

    rgb = Image.fromarray(pattern(48, 32, 1))
    save("jpeg_420.jpg", rgb, "JPEG", quality=90)
    save("jpeg_444.jpg", rgb, "JPEG", quality=95, subsampling=0)
    save("jpeg_progressive.jpg", Image.fromarray(pattern(45, 29, 2)), "JPEG", quality=85, progressive=True)
    save("jpeg_gray.jpg", Image.fromarray(pattern(33, 21, 3, 1)[..., 0]), "JPEG", quality=90)
    save("jpeg_cmyk.jpg", Image.fromarray(pattern(24, 16, 4, 4), "CMYK"), "JPEG", quality=90)
    for orient in (3, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orient
        save(f"jpeg_exif{orient}.jpg", Image.fromarray(pattern(40, 24, 5)), "JPEG", quality=92, exif=exif.tobytes())

    save("png_rgb.png", Image.fromarray(pattern(37, 23, 6)), "PNG")
    save("png_rgb_interlaced.png", Image.fromarray(pattern(37, 23, 6)), "PNG", interlace=1)
    rgba = pattern(36, 20, 7, 4)
    rgba[..., 3] = np.linspace(0, 255, 36).astype(np.uint8)[None, :]
    rgba[:5, :, 3] = 0
    save("png_rgba.png", Image.fromarray(rgba, "RGBA"), "PNG")
    save("png_gray.png", Image.fromarray(pattern(30, 18, 8, 1)[..., 0]), "PNG")
    la = pattern(30, 18, 9, 2)
    save("png_gray_alpha.png", Image.fromarray(la, "LA"), "PNG")
    pal = Image.fromarray(pattern(32, 20, 10)).quantize(colors=16, method=Image.Quantize.MEDIANCUT, dither=0)
    save("png_palette.png", pal, "PNG")
    trns = bytes([0, 64, 128] + [255] * 13)
    save("png_palette_trns.png", pal, "PNG", transparency=trns)
    save("png_gray_1bit.png", Image.fromarray(pattern(29, 17, 11, 1)[..., 0] > 128), "PNG")
    p16 = pattern(26, 14, 12).astype(np.uint16) * 257 + np.uint16(123)
    files["png_rgb16.png"] = png_bytes(p16, 2, 16)
    a16 = pattern(26, 14, 13, 4).astype(np.uint16) * 257
    files["png_rgba16.png"] = png_bytes(a16, 6, 16)
    g16 = pattern(26, 14, 14, 1).astype(np.uint16) * 256 + np.uint16(77)
    files["png_gray16.png"] = png_bytes(g16, 0, 16)
    # Pillow opens 16-bit gray as mode "I" and convert("RGB") clips values to 255 (nearly all white);
    # mmserve keeps the high byte, as libpng's strip_16 and Pillow's own 16-bit RGB/RGBA/LA unpackers do.
    HIGH_BYTE_REFS["png_gray16"] = np.repeat((g16 >> 8).astype(np.uint8), 3, axis=2)
    files["png_rgb_trns.png"] = png_bytes(pattern(20, 12, 15) // 64 * 64, 2, 8, trns=struct.pack(">HHH", 64, 0, 128))
    save("png_exif6.png", Image.fromarray(pattern(22, 14, 16)), "PNG", exif=_exif(6))

    save("webp_lossy.webp", Image.fromarray(pattern(40, 26, 17)), "WEBP", quality=80)
    save("webp_lossless.webp", Image.fromarray(pattern(40, 26, 18)), "WEBP", lossless=True)
    # The pixels of png_rgb.png again: the content hash must not depend on the container.
    save("webp_lossless_png_rgb.webp", Image.fromarray(pattern(37, 23, 6)), "WEBP", lossless=True, exact=True)
    save("webp_lossless_alpha.webp", Image.fromarray(rgba, "RGBA"), "WEBP", lossless=True)
    save("webp_lossy_alpha.webp", Image.fromarray(rgba, "RGBA"), "WEBP", quality=80)
    frames = [Image.fromarray(pattern(30, 20, 19 + i)) for i in range(3)]
    save("webp_anim.webp", frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, lossless=True)

    gframes = [Image.fromarray(pattern(30, 20, 22 + i)).quantize(colors=32, dither=0) for i in range(3)]
    save("gif_anim.gif", gframes[0], "GIF", save_all=True, append_images=gframes[1:], duration=80, loop=0)
    save("gif_trns.gif", gframes[0], "GIF", transparency=3)
    save("gif_interlaced.gif", gframes[1], "GIF", interlace=True)
    return files


def _exif(orient):
    exif = Image.Exif()
    exif[0x0112] = orient
    return exif.tobytes()


def resize_refs(outdir, manifest):
    src = pattern(96, 64, 30)
    Image.fromarray(src).save(os.path.join(outdir, "src", "resize_src.png"))
    targets = [(28, 28), (56, 42), (150, 40), (40, 90), (96, 45), (60, 64), (101, 67), (113, 29),
               (13, 150), (7, 5), (96, 64)]
    filters = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR,
               "lanczos": Image.Resampling.LANCZOS, "box": Image.Resampling.BOX, "hamming": Image.Resampling.HAMMING}
    im = Image.fromarray(src)
    for fname, f in filters.items():
        for (w, h) in (targets if fname == "bicubic" else targets[:3]):
            out = np.asarray(im.resize((w, h), resample=f, reducing_gap=None))
            name = f"resize_{fname}_{w}x{h}.ppm"
            write_ppm(os.path.join(outdir, "ref", name), out)
            manifest["resize"].append({"filter": fname, "width": w, "height": h, "ref": "ref/" + name})


def smart_resize(height, width, factor=28, min_pixels=56 * 56, max_pixels=14 * 14 * 4 * 1280):
    """transformers' Qwen2-VL smart_resize (current definition, no "too small" rejection)."""
    if max(height, width) / min(height, width) > 200:
        raise ValueError("aspect")
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


def smart_resize_cases(manifest):
    rng = np.random.default_rng(40)
    cases = [(720, 1280, 3136, 12845056), (1080, 1920, 3136, 1003520), (45, 70, 3136, 1003520),
             (14, 14, 3136, 1003520), (1, 3, 3136, 1003520), (1, 200, 3136, 1003520), (10, 2001, 3136, 1003520),
             (4000, 3000, 3136, 1003520), (42, 70, 3136, 1003520), (98, 98, 3136, 1003520),
             (70, 42, 3136, 1003520), (4032, 3024, 256 * 28 * 28, 1280 * 28 * 28), (100000, 600, 3136, 12845056)]
    for _ in range(60):
        h, w = int(rng.integers(1, 5000)), int(rng.integers(1, 5000))
        lo = int(rng.choice([3136, 256 * 784, 4 * 784]))
        hi = int(rng.choice([1003520, 12845056, 16384 * 784, 4 * 784, 64 * 784]))
        cases.append((h, w, lo, hi))
    for (h, w, lo, hi) in cases:
        try:
            rh, rw = smart_resize(h, w, 28, lo, hi)
            manifest["smart_resize"].append({"height": h, "width": w, "min_pixels": lo, "max_pixels": hi,
                                             "resized_height": rh, "resized_width": rw})
        except ValueError:
            manifest["smart_resize"].append({"height": h, "width": w, "min_pixels": lo, "max_pixels": hi,
                                             "error": "aspect"})


def pipeline_ref(outdir, manifest, name, rgb, min_pixels, max_pixels):
    """transformers' Qwen2VLImageProcessor._preprocess, step by step with its dtypes."""
    Image.fromarray(rgb).save(os.path.join(outdir, "src", name + ".png"))
    h, w = rgb.shape[:2]
    rh, rw = smart_resize(h, w, 28, min_pixels, max_pixels)
    resized = np.asarray(Image.fromarray(rgb).resize((rw, rh), resample=Image.Resampling.BICUBIC, reducing_gap=None))
    x = (resized.astype(np.float64) * (1 / 255)).astype(np.float32)      # rescale()
    x = (x - np.array(CLIP_MEAN, np.float32)) / np.array(CLIP_STD, np.float32)  # normalize(), channels last
    x = np.ascontiguousarray(x.transpose(2, 0, 1)).astype("<f4")
    np.save(os.path.join(outdir, "ref", name + ".npy"), x)
    manifest["pipeline"].append({"name": name, "min_pixels": min_pixels, "max_pixels": max_pixels,
                                 "resized_height": rh, "resized_width": rw, "src": "src/" + name + ".png",
                                 "ref": "ref/" + name + ".npy"})


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "tests/data/media"
    os.makedirs(os.path.join(outdir, "src"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "ref"), exist_ok=True)
    manifest = {"pillow": Image.__version__, "decode": [], "resize": [], "smart_resize": [], "pipeline": []}
    for name, data in sorted(make_inputs().items()):
        with open(os.path.join(outdir, "src", name), "wb") as f:
            f.write(data)
        im = Image.open(io.BytesIO(data))
        im.load()
        mode = im.mode
        im = ImageOps.exif_transpose(im)
        stem = name.rsplit(".", 1)[0]
        write_ppm(os.path.join(outdir, "ref", stem + ".white.ppm"), np.asarray(on_white(im)))
        entry = {"src": "src/" + name, "pil_mode": mode, "width": im.size[0], "height": im.size[1],
                 "white": "ref/" + stem + ".white.ppm"}
        dropped = np.asarray(im.convert("RGB"))
        if not np.array_equal(dropped, np.asarray(on_white(im))):
            write_ppm(os.path.join(outdir, "ref", stem + ".drop.ppm"), dropped)
            entry["drop"] = "ref/" + stem + ".drop.ppm"
        if stem in HIGH_BYTE_REFS:
            write_ppm(os.path.join(outdir, "ref", stem + ".highbyte.ppm"), HIGH_BYTE_REFS[stem])
            entry["mmserve_expected"] = "ref/" + stem + ".highbyte.ppm"
        manifest["decode"].append(entry)
    resize_refs(outdir, manifest)
    smart_resize_cases(manifest)
    pipeline_ref(outdir, manifest, "pipeline_70x45_default", pattern(70, 45, 50), 3136, 12845056)
    pipeline_ref(outdir, manifest, "pipeline_150x100_max3136", pattern(150, 100, 51), 3136, 4 * 784)
    pipeline_ref(outdir, manifest, "pipeline_20x20_upscale", pattern(20, 20, 52), 3136, 12845056)
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
