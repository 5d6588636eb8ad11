# Makes the end-to-end test images (tests/server/image_e2e_test.cc) from the golden fixture image with
# Pillow (9.4.0): run with a Python that has Pillow, from the repository root.
from PIL import Image, ImageOps

src = Image.open("tests/data/test-image-252x168.png").convert("RGB")
out = "tests/data/media/e2e/"
# Same pixels as the fixture, lossless WebP: must give exactly the PNG's answer.
src.save(out + "fixture-252x168.lossless.webp", lossless=True, quality=100, method=6)
# Same size, every sample inverted: a clearly different image for the shared-prefix test.
ImageOps.invert(src).save(out + "fixture-252x168-inverted.png", optimize=True)
# Lossy WebP and JPEG of the fixture (different pixels, same size).
src.save(out + "fixture-252x168.lossy.webp", quality=80)
src.save(out + "fixture-252x168.jpg", quality=90)
# The first and second frames of tests/data/media/src/gif_anim.gif as RGB PNGs.
gif = Image.open("tests/data/media/src/gif_anim.gif")
gif.seek(0)
gif.convert("RGB").save(out + "gif_anim.frame0.png")
gif.seek(1)
gif.convert("RGB").save(out + "gif_anim.frame1.png")

# Checks: the lossless WebP decodes to the fixture's pixels; the frames differ.
assert Image.open(out + "fixture-252x168.lossless.webp").convert("RGB").tobytes() == src.tobytes()
assert Image.open(out + "gif_anim.frame0.png").tobytes() != Image.open(out + "gif_anim.frame1.png").tobytes()
