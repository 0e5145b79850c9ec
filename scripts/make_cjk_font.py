"""Build the CJK font that /stats charts fall back to: ``community/signals/fonts/CohortCJKSansSC-Regular.otf``.

Reproduce the shipped file (a dev tool: needs Debian's apt-get and dpkg, and network access once)::

    .venv/bin/python scripts/make_cjk_font.py

What it does: ``apt-get download fonts-noto-cjk`` (OFL-1.1), ``dpkg -x`` it, takes the Simplified-Chinese regular
face of ``NotoSansCJK-Regular.ttc`` (found by its family name, index 2 in Debian bookworm's 1:20220127 package)
and subsets it with fontTools to: ASCII and Latin-1, general punctuation, arrows and a few shapes (★),
CJK symbols and punctuation, kana, full-width forms and all 6,763 GB2312 Hanzi (level 1: the 3,755 common
characters, 0xB0A1-0xD7F9; level 2: 3,008 more, 0xD8A1-0xF7FE), decoded from their GB2312 code points.
Hinting, vertical metrics and OpenType layout features are dropped (matplotlib auto-hints and lays out one glyph
per character). The subset is renamed "Cohort CJK Sans SC": the OFL asks modified versions not to pose as the
original, and the new name never collides with a real Noto Sans CJK installed on the machine. The licence is
copied next to it as ``OFL.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "community" / "signals" / "fonts"
FONT_FILE = "CohortCJKSansSC-Regular.otf"
FAMILY = "Cohort CJK Sans SC"
PACKAGE = "fonts-noto-cjk"
SOURCE_TTC = "usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SOURCE_FAMILY = "Noto Sans CJK SC"
COPYRIGHT_FILE = "usr/share/doc/fonts-noto-cjk/copyright"

RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1 supplement
    (0x2000, 0x206F),  # general punctuation (… – — “ ”)
    (0x2190, 0x21FF),  # arrows
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2600, 0x2606),  # ★ ☆
    (0x3000, 0x303F),  # CJK symbols and punctuation (、。「」【】)
    (0x3040, 0x30FF),  # hiragana, katakana
    (0xFF00, 0xFFEF),  # half-width and full-width forms (，：（）)
)


def gb2312_hanzi(first: int, last: int) -> list[str]:
    """The GB2312 characters from code point `first` to `last` (two bytes each, second byte 0xA1-0xFE)."""
    out = []
    for hi in range(first >> 8, (last >> 8) + 1):
        for lo in range(0xA1, 0xFF):
            if (hi << 8 | lo) < first or (hi << 8 | lo) > last:
                continue
            with contextlib.suppress(UnicodeDecodeError):  # a few unassigned cells end some rows
                out.append(bytes((hi, lo)).decode("gb2312"))
    return out


def codepoints() -> set[int]:
    level1 = gb2312_hanzi(0xB0A1, 0xD7F9)
    level2 = gb2312_hanzi(0xD8A1, 0xF7FE)
    assert len(level1) == 3755 and len(level2) == 3008, (len(level1), len(level2))
    points = {ord(ch) for ch in level1 + level2}
    for lo, hi in RANGES:
        points.update(range(lo, hi + 1))
    return points


def fetch_package(workdir: Path) -> Path:
    """`apt-get download` the package into `workdir` and unpack it; returns the unpacked root."""
    subprocess.run(["apt-get", "download", PACKAGE], cwd=workdir, check=True)
    (deb,) = workdir.glob(f"{PACKAGE}_*.deb")
    root = workdir / "root"
    subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True)
    return root


def sc_face(ttc: Path) -> TTFont:
    """The Simplified-Chinese regular face of the collection, chosen by its family name."""
    collection = TTCollection(str(ttc))
    for font in collection.fonts:
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return font
    raise SystemExit(f"no {SOURCE_FAMILY!r} face in {ttc}")


def rename(font: TTFont) -> None:
    name = font["name"]
    version = name.getDebugName(5) or ""
    for record in list(name.names):
        if record.nameID in (3, 4, 6, 16, 17, 21, 22):
            name.removeNames(nameID=record.nameID)
    name.setName(FAMILY, 1, 3, 1, 0x409)
    name.setName("Regular", 2, 3, 1, 0x409)
    name.setName(f"{FAMILY} Regular; subset of {SOURCE_FAMILY}; {version}", 3, 3, 1, 0x409)
    name.setName(f"{FAMILY} Regular", 4, 3, 1, 0x409)
    name.setName(FAMILY.replace(" ", "") + "-Regular", 6, 3, 1, 0x409)
    name.setName(
        f"A subset of {SOURCE_FAMILY} (Debian {PACKAGE}) made by Cohort's scripts/make_cjk_font.py",
        10,
        3,
        1,
        0x409,
    )
    # Keep only the Windows-platform English records: the rest repeat the original (Japanese/Chinese) names.
    name.names = [r for r in name.names if r.platformID == 3 and r.langID == 0x409]
    cff = font["CFF "].cff
    cff.fontNames = [FAMILY.replace(" ", "") + "-Regular"]
    top = cff.topDictIndex[0]
    top.FullName, top.FamilyName = f"{FAMILY} Regular", FAMILY


def license_text(copyright_file: Path) -> str:
    """The SIL OFL 1.1 text from the Debian copyright file (a `License: SIL-1.1` stanza, one space indented)."""
    text = copyright_file.read_text(encoding="utf-8")
    m = re.search(r"^License: SIL-1\.1\n((?: .*\n?)+)", text, re.M)
    if m is None:
        raise SystemExit(f"no OFL text in {copyright_file}")
    lines = [line[1:] for line in m.group(1).splitlines()]
    body = "\n".join("" if line == "." else line for line in lines).strip()
    header = (
        f"{FAMILY} is a subset of {SOURCE_FAMILY} (Copyright 2014-2021 Adobe (http://www.adobe.com/), "
        "with Reserved Font Name 'Source'),\n"
        "renamed and subset by Cohort. It is licensed under the SIL Open Font License, Version 1.1:\n\n"
    )
    return header + body + "\n"


def build(root: Path, out_dir: Path) -> Path:
    font = sc_face(root / SOURCE_TTC)
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.notdef_outline = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    sub = subset.Subsetter(options)
    sub.populate(unicodes=codepoints())
    sub.subset(font)
    rename(font)
    font.recalcTimestamp = False  # keep the source's dates: the same input gives the same bytes
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FONT_FILE
    font.save(str(path))
    (out_dir / "OFL.txt").write_text(license_text(root / COPYRIGHT_FILE), encoding="utf-8")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--deb-root", type=Path, help="an already unpacked fonts-noto-cjk (skips apt-get download)"
    )
    p.add_argument("--out", type=Path, default=OUT_DIR)
    args = p.parse_args()
    if args.deb_root is not None:
        path = build(args.deb_root, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = build(fetch_package(Path(tmp)), args.out)
    cmap = TTFont(str(path))["cmap"].getBestCmap()
    print(f"{path}: {path.stat().st_size:,} bytes, {len(cmap):,} characters", file=sys.stderr)


if __name__ == "__main__":
    main()
