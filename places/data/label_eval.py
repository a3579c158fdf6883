"""Turn the hand-written labels of eval_source.txt into official codes: eval.jsonl.

Run once after editing the source (``python places/data/label_eval.py``; the development set
used while writing the reader: ``... label_eval.py dev_source.txt dev.jsonl``). The labels are names
(today's ward, a former ward and district, a former district); the codes come from the packages
alone, through their own public functions, never through the place reader under evaluation:

- today's ward name -> code: vietnam-provinces;
- former ward + district -> today's ward: vietnamadminunits.convert_address (no street, so it
  never geocodes); when the package records that the former ward was split, the label is the
  set of every ward it went to (candidates) instead;
- former district -> every ward of today that took part of it (candidates).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROVINCE_CODE = 79
OLD_PROVINCES = ("Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu")


def main(source: str = "eval_source.txt", target: str = "eval.jsonl") -> int:
    from vietnam_provinces import ProvinceCode, Ward
    from vietnamadminunits import convert_address
    from vietnamadminunits.converter.converter_2025 import DICT_PROVINCE_WARD_DIVIDED
    from vietnamadminunits.database import query

    official = {
        " ".join(w.name.split()): f"{int(w.code):05d}"
        for w in Ward.iter_by_province(ProvinceCode(PROVINCE_CODE))
    }
    by_short = {name.split(" ", 1)[1] if not name.startswith("Đặc khu") else name[8:]: code
                for name, code in official.items()}
    divided = DICT_PROVINCE_WARD_DIVIDED["thanhphohochiminh"]
    today_names = {
        row["wardKey"]: row["ward"]
        for row in query("SELECT ward, wardKey FROM admin_units WHERE provinceCode = '79'")
    }

    def former_today(ward: str, district: str) -> list[str]:
        for province in OLD_PROVINCES:
            unit = convert_address(f"{ward}, {district}, {province}")
            old = unit.OldAdminUnit
            if not (old.ward_key and old.district_key):
                continue
            old_key = f"{old.province_key}_{old.district_key}_{old.ward_key}"
            if old_key in divided:
                parts = sorted(divided[old_key], key=lambda p: not p["isDefaultNewWard"])
                return [official[today_names[p["newWardKey"]]] for p in parts]
            return [official[unit.ward]] if unit.ward in official else []
        raise SystemExit(f"former ward not found: {ward}, {district}")

    def district_today(district: str) -> list[str]:
        rows = query(
            "SELECT ward FROM admin_units_legacy WHERE district = '"
            + district.replace("'", "''") + "'"
        )
        codes: list[str] = []
        for row in rows:
            for code in former_today(row["ward"], district):
                if code not in codes:
                    codes.append(code)
        return codes

    out = []
    for number, line in enumerate((HERE / source).read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        lang, kind, label, text = (part.strip() for part in line.split(" | ", 3))
        ward_code, candidates = None, []
        if label.startswith("W:"):
            ward_code = by_short[label[2:]]
        elif label.startswith("F:"):
            ward, district = (p.strip() for p in label[2:].split(",", 1))
            candidates = former_today(ward, district)
        elif label.startswith("D:"):
            candidates = district_today(label[2:])
        elif label != "-":
            raise SystemExit(f"line {number}: bad label {label!r}")
        if len(candidates) == 1:
            ward_code, candidates = candidates[0], []
        out.append({"text": text, "lang": lang, "kind": kind, "label": label,
                    "ward_code": ward_code, "candidates": candidates})
    with (HERE / target).open("w", encoding="utf-8") as stream:
        for row in out:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} labelled texts to {HERE / target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
