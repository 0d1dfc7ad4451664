#!/usr/bin/env python3
"""Makes assets/share-card/NotoSansSC-Bold-subset.otf, the font of the generated share card
(src/links/card.rs): Noto Sans CJK SC Bold (SIL Open Font License 1.1, as Debian's
fonts-noto-cjk ships it) cut down to ASCII, CJK punctuation, full-width forms and the 6,763
characters of GB 2312, so the binary carries ~2 MB instead of ~20 MB.

    pip install fonttools && python3 scripts/subset-card-font.py [PATH/NotoSansCJK-Bold.ttc]
"""
import sys
from fontTools import subset
from fontTools.ttLib import TTCollection

src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
out = "assets/share-card/NotoSansSC-Bold-subset.otf"

chars = set(chr(c) for c in range(0x20, 0x7F))
chars |= set(chr(c) for c in range(0x3000, 0x3040))  # CJK punctuation
chars |= set(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
chars |= set("·—‘’“”…※№")
for hi in range(0xB0, 0xF8):  # GB 2312 hanzi: rows 16-87
    for lo in range(0xA1, 0xFF):
        try:
            chars.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass

coll = TTCollection(src)
font = next(f for f in coll.fonts if "SC" in f["name"].getDebugName(1))
opts = subset.Options()
opts.layout_features = []
opts.name_IDs = ["*"]
opts.notdef_outline = True
opts.hinting = False
opts.desubroutinize = False
s = subset.Subsetter(opts)
s.populate(text="".join(sorted(chars)))
s.subset(font)
font.save(out)
print(out, len(chars), "characters")
