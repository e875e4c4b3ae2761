"""Benchmark: the offline geocoder on the extract's own addresses, streets and intersections.

Usage::

    python bench/geocode.py --map ../shared/data/osm/heidelberg.osm.pbf
    python bench/geocode.py --map ../shared/data/osm/shanghai_center.osm.pbf --samples 1000

Samples up to ``--samples`` targets from the imported index (addresses and named streets;
streets and intersections where the map has no house numbers, as in central Shanghai),
queries each once exactly (its label, as a user would copy it) and once perturbed (one
or two typos, dropped house number, lower case, or swapped word order), and prints one
JSON object: top-1 / top-5 hit rates, p50 / p99 latency, the share of nonsense queries
that score >= 0.6, and reverse-geocoding latency. A hit is an answer with the target's
label and kind (for a dropped house number: the target's street). The baseline in the
same run is a plain scan: rapidfuzz ``process.extractOne`` (WRatio) over every label.

Address-convention families (``families`` in the JSON, each with its own top-1 and p99)
are generated from the map's own entries and tags, where the map has the data:

- ``us_abbreviations``: English street names (names or ``name:en`` aliases) typed with
  USPS abbreviations ("West Bell Road" -> "W Bell Rd"), number first for addresses;
- ``unit_numbers``: addresses with an apartment, suite or room after them ("#12",
  "Apt 5", "3栋502室"); a hit must also return the unit;
- ``postcode_city``: addresses with their tagged postcode and city after them;
- ``admin_prefixed_chinese``: Chinese names behind a province/city/district prefix
  (and a postcode), as addresses are written in China and Taiwan;
- ``simplified_traditional``: Chinese names typed in the other script;
- ``landmarks``: named areas (campuses, hospitals, parks) by their name and their
  short or other names; a hit is the area itself, not a small feature at it.

A family hit is an answer at the target's own point and of its kind.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from routing import Geocoder, Place, default_map_path, import_map  # noqa: E402
from routing.text import has_cjk, normalize  # noqa: E402

THRESHOLD = 0.6
TARGETS = {"top1_exact": 0.95, "top1_perturbed": 0.85, "p99_ms": 20.0}
FAMILY_TARGETS = {"top1": 0.95, "p99_ms": 20.0}
# Administrative prefixes for the Chinese family: real names, combined at random (the
# geocoder reads them off whatever they are); maps with CJK place names add their own.
_ADMIN_PREFIXES = (
    ("200040", "上海市", "静安区"),
    ("", "上海市", "黄浦区"),
    ("410083", "湖南省长沙市", "岳麓区"),
    ("", "广东省广州市", "天河区"),
    ("300", "新竹市", "東區"),
    ("", "臺北市", "大安區"),
    ("", "浙江省杭州市", "西湖区"),
    ("100871", "北京市", "海淀区"),
)
_UNITS_LATIN = ("#12", "Apt 5", "apt. 3B", "Suite 200", "Unit 7", "# 4", "Ste 110")
_UNITS_CJK = ("3栋502室", "5楼", "2单元301室", "B座1203室", "3樓之2")


def percentile_ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.array(samples) * 1000.0, q)), 3)


def split_label(label: str) -> tuple[str, str]:
    """("Hauptstraße 5", ", Leimen") from "Hauptstraße 5, Leimen": perturb only the name."""
    marks = (label.find(","), label.find(" ("), label.find("（"))
    cut = min((i for i in marks if i > 0), default=len(label))
    return label[:cut], label[cut:]


def typo(
    text: str, rng: random.Random, alphabet: str, homophones: dict[str, list[str]] | None = None
) -> str:
    """One random edit (substitute, delete, insert, transpose) on a letter of ``text``.

    Chinese is typed through pinyin input methods, so with ``homophones`` a Chinese
    character is replaced by another of the same sound (延安 -> 延按), falling back to a
    random character of the map when it has no homophone there."""
    spots = [i for i, c in enumerate(text) if c.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    if homophones is not None and has_cjk(text[i]):
        pool = [c for c in homophones.get(text[i], []) if c != text[i]]
        return text[:i] + rng.choice(pool or list(alphabet)) + text[i + 1 :]
    op = rng.choice(("sub", "del", "ins", "swap"))
    if op == "sub":
        pool = [c for c in alphabet if c != text[i].lower()]
        return text[:i] + rng.choice(pool) + text[i + 1 :]
    if op == "del" and len(spots) > 3:
        return text[:i] + text[i + 1 :]
    if op == "swap" and i + 1 < len(text) and text[i + 1].isalpha() and text[i + 1] != text[i]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice(alphabet) + text[i:]


def sample_targets(g: Geocoder, n: int, rng: random.Random) -> list[dict[str, Any]]:
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for e in g.entries:
        by_kind.setdefault(e["kind"], []).append(e)
    kinds = ["address", "street"] if by_kind.get("address") else ["street", "intersection"]
    pools = [rng.sample(by_kind.get(k, []), len(by_kind.get(k, []))) for k in kinds]
    out: list[dict[str, Any]] = []
    # Half from each kind, the rest from whichever has more.
    share = n // 2
    for pool in pools:
        out += pool[:share]
    rest = [e for pool in pools for e in pool[share:]]
    out += rest[: n - len(out)]
    return out


def perturb(
    e: dict[str, Any],
    rng: random.Random,
    latin: str,
    cjk: str,
    homophones: dict[str, list[str]],
) -> tuple[str, str, str | None]:
    """(kind of perturbation, query, expected street name if the number is dropped)."""
    name, suffix = split_label(e["label"])
    options = ["typo1", "typo2", "lower", "swap"]
    if e["kind"] == "address":
        options.append("drop_number")
    kind = rng.choice(options)
    alphabet = cjk if has_cjk(name) else latin
    if kind == "typo1":
        return kind, typo(name, rng, alphabet, homophones) + suffix, None
    if kind == "typo2":
        once = typo(name, rng, alphabet, homophones)
        return kind, typo(once, rng, alphabet, homophones) + suffix, None
    if kind == "lower":
        return kind, e["label"].lower(), None
    if kind == "drop_number":
        street = e.get("name") or name.rsplit(" ", 1)[0]
        return kind, street + suffix, street
    # swap word order
    if e["kind"] == "address":
        street = e.get("name") or name.rsplit(" ", 1)[0]
        if name.endswith(street) and not name.startswith(street):  # "16952 West Bell Road"
            return kind, f"{street} {name[: -len(street)].strip()}{suffix}", None
        return kind, f"{name[len(street) :].strip()} {street}{suffix}", None
    if e["kind"] == "intersection":
        sep = "与" if has_cjk(name) and "与" in name else " & "
        a, b = name.split(sep, 1)  # labels: "A & B", Chinese ones "A与B" as a 120 form writes
        return kind, f"{b}{sep}{a}{suffix}", None
    words = name.split()
    if len(words) < 2:  # a one-word name has no order to swap: a typo instead
        return "typo1", typo(name, rng, alphabet, homophones) + suffix, None
    return kind, " ".join(words[1:] + words[:1]) + suffix, None


def is_hit(p: Place, e: dict[str, Any], street: str | None) -> bool:
    if street is not None:  # dropped number: the right street (or an address on it)
        return normalize(p.label).startswith(normalize(street))
    return p.label == e["label"] and p.kind == e["kind"]


def exact_query(e: dict[str, Any]) -> str:
    if e["kind"] == "intersection" and has_cjk(e["label"]):
        name, suffix = split_label(e["label"])
        return name.replace(" & ", "与") + suffix  # how it is typed in Chinese
    return str(e["label"])


def _usps() -> dict[str, str]:
    """Full word -> USPS abbreviation, from the geocoder's own English vocabulary."""
    from routing.address.vocabulary import english

    vocab = english()
    out: dict[str, str] = {}
    for abbr, full in [*vocab["directionals"].items(), *vocab["street_types"].items()]:
        if full not in out or len(abbr) < len(out[full]) or abbr in ("ave", "blvd"):
            out[full] = abbr
    return out


def _abbreviate(name: str, table: dict[str, str], rng: random.Random) -> str | None:
    words = name.split()
    out = []
    changed = False
    for w in words:
        abbr = table.get(w.casefold())
        if abbr is not None and rng.random() < 0.8:
            out.append(abbr.capitalize() if rng.random() < 0.7 else abbr.upper())
            changed = True
        else:
            out.append(w)
    return " ".join(out) if changed else None


def family_queries(
    g: Geocoder, rng: random.Random, n: int
) -> dict[str, list[tuple[str, dict[str, Any], str | None]]]:
    """(query, target entry, expected unit) per family, from the map's own entries."""
    from opencc import OpenCC

    from routing.address.english import is_english_street
    from routing.address.labels import is_traditional

    s2t, t2s = OpenCC("s2t"), OpenCC("t2s")
    usps = _usps()
    entries = list(g.entries)
    rng.shuffle(entries)
    out: dict[str, list[tuple[str, dict[str, Any], str | None]]] = {
        k: []
        for k in (
            "us_abbreviations",
            "unit_numbers",
            "postcode_city",
            "admin_prefixed_chinese",
            "simplified_traditional",
            "landmarks",
        )
    }
    key_count: dict[str, int] = {}
    for e in entries:
        key_count[normalize(e["label"])] = key_count.get(normalize(e["label"]), 0) + 1
    places = [e["label"] for e in entries if e["kind"] == "poi" and has_cjk(e["label"])]
    for e in entries:
        kind, label = e["kind"], e["label"]
        name, suffix = split_label(label)
        if kind == "street":
            for alias in [name, *e.get("alt", ())]:
                if is_english_street(alias):
                    short = _abbreviate(alias, usps, rng)
                    if short:
                        out["us_abbreviations"].append((short + suffix, e, None))
                        break
        if kind == "address":
            street = e.get("name") or ""
            if is_english_street(street):
                short = _abbreviate(street, usps, rng)
                if short:
                    out["us_abbreviations"].append((f"{e['number']} {short}{suffix}", e, None))
            cjk = has_cjk(label)
            unit = rng.choice(_UNITS_CJK if cjk else _UNITS_LATIN)
            query = f"{name}{unit}{suffix}" if cjk else f"{name} {unit}{suffix}"
            out["unit_numbers"].append((query, e, unit))
            if e.get("postcode") or e.get("city"):
                code, city = e.get("postcode") or "", e.get("city") or ""
                tail = rng.choice([f", {code} {city}", f" {code} {city}", f", {city} {code}"])
                if cjk:
                    tail = f"{code}{city}"
                    query = f"{tail}{name}{suffix}"
                else:
                    query = f"{name}{suffix}{tail}".strip()
                out["postcode_city"].append((query, e, None))
        if has_cjk(label) and kind in ("street", "address", "intersection"):
            code, city, district = rng.choice(_ADMIN_PREFIXES)
            if places and rng.random() < 0.3:
                district = rng.choice(places).split(",")[0]
                district = district if district.endswith(("区", "區", "县", "縣")) else ""
            prefix = rng.choice([f"{city}{district}", f"{code}{city}{district}", district or city])
            body = exact_query(e)
            out["admin_prefixed_chinese"].append((prefix + body, e, None))
            other = t2s.convert(body) if is_traditional(body) else s2t.convert(body)
            if other != body:
                out["simplified_traditional"].append((other, e, None))
        if kind == "poi" and float(e.get("area_m2", 0.0)) > 0 and key_count[normalize(label)] == 1:
            out["landmarks"].append((label, e, None))
            for alias in e.get("alt", ()):
                if key_count.get(normalize(alias), 0) == 0:
                    out["landmarks"].append((alias, e, None))
    return {k: v[:n] for k, v in out.items()}


def run_families(
    g: Geocoder, rng: random.Random, n: int, show: int
) -> tuple[dict[str, Any], list[str]]:
    report: dict[str, Any] = {}
    failures: list[str] = []
    for family, queries in family_queries(g, rng, n).items():
        if not queries:
            report[family] = {"n": 0, "note": "the map has no data for this family"}
            continue
        top1 = top5 = 0
        times: list[float] = []
        for query, e, unit in queries:
            t0 = time.perf_counter()
            found = g.search(query, limit=5)
            times.append(time.perf_counter() - t0)

            def hit(p: Place, e: dict[str, Any] = e, unit: str | None = unit) -> bool:
                same = (round(p.lon, 6), round(p.lat, 6), p.kind) == (
                    round(float(e["lon"]), 6),
                    round(float(e["lat"]), 6),
                    e["kind"],
                )
                return same and (unit is None or p.unit == unit)

            ok = bool(found) and hit(found[0])
            top1 += ok
            top5 += any(hit(p) for p in found)
            if not ok and sum(1 for f in failures if f.startswith(family)) < show:
                got = [(p.label, p.kind, p.score) for p in found[:2]]
                failures.append(f"{family}: {query!r} want {e['label']!r} got {got}")
        report[family] = {
            "n": len(queries),
            "top1": round(top1 / len(queries), 4),
            "top5": round(top5 / len(queries), 4),
            "p50_ms": percentile_ms(times, 50),
            "p99_ms": percentile_ms(times, 99),
            "examples": [q for q, _, _ in queries[:3]],
        }
        report[family]["targets_met"] = (
            report[family]["top1"] >= FAMILY_TARGETS["top1"]
            and report[family]["p99_ms"] <= FAMILY_TARGETS["p99_ms"]
        )
    return report, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map", type=Path, default=default_map_path(), help="an .osm.pbf extract")
    parser.add_argument("--cache", type=Path, help="an imported map directory (skips the import)")
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--show-failures", type=int, default=0, help="print up to N misses to stderr"
    )
    args = parser.parse_args()

    import_s = None
    if args.cache:
        cache = args.cache
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory()
        cache = Path(tmp.name) / "map"
        started = time.perf_counter()
        import_map(args.map, cache)
        import_s = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    g = Geocoder.load(cache)
    load_s = round(time.perf_counter() - started, 3)
    if tmp is not None:
        tmp.cleanup()

    rng = random.Random(args.seed)
    latin = "abcdefghijklmnopqrstuvwxyz"
    cjk = "".join(sorted({c for e in g.entries for c in e["label"] if has_cjk(c)}))
    homophones: dict[str, list[str]] = {}
    if cjk:
        from pypinyin import lazy_pinyin

        by_sound: dict[str, list[str]] = {}
        for c in cjk:
            by_sound.setdefault(lazy_pinyin(c)[0], []).append(c)
        homophones = {c: by_sound[lazy_pinyin(c)[0]] for c in cjk}
    targets = sample_targets(g, args.samples, rng)

    # Warm-up (lazy structures, caches), not timed.
    for e in targets[:20]:
        g.search(e["label"])

    results: dict[str, dict[str, Any]] = {}
    times: list[float] = []
    per_kind: dict[str, list[bool]] = {}
    baseline_labels = [e["label"] for e in g.entries]
    baseline_keys = [normalize(s) for s in baseline_labels]
    baseline_times: list[float] = []
    baseline_hits = {"exact": 0, "perturbed": 0}
    failures: list[str] = []
    for mode in ("exact", "perturbed"):
        top1 = top5 = confident = 0
        scores: list[float] = []
        for e in targets:
            street = None
            pkind = "exact"
            if mode == "exact":
                query = exact_query(e)
            else:
                pkind, query, street = perturb(e, rng, latin, cjk, homophones)
            t0 = time.perf_counter()
            found = g.search(query, limit=5)
            times.append(time.perf_counter() - t0)
            hit1 = bool(found) and is_hit(found[0], e, street)
            top1 += hit1
            top5 += any(is_hit(p, e, street) for p in found)
            if hit1:
                scores.append(found[0].score)
                confident += found[0].score >= THRESHOLD
            per_kind.setdefault(f"{mode}:{e['kind']}:{pkind}", []).append(hit1)
            if not hit1 and len(failures) < args.show_failures:
                got = [(p.label, p.kind, p.score) for p in found[:2]]
                failures.append(f"{mode}/{pkind}: {query!r} want {e['label']!r} got {got}")
            t0 = time.perf_counter()
            best = process.extractOne(normalize(query), baseline_keys, scorer=fuzz.WRatio)
            baseline_times.append(time.perf_counter() - t0)
            if best is not None:
                label = baseline_labels[best[2]]
                baseline_hits[mode] += (
                    normalize(label).startswith(normalize(street))
                    if street is not None
                    else label == e["label"]
                )
        n = max(len(targets), 1)
        results[mode] = {
            "queries": len(targets),
            "top1": round(top1 / n, 4),
            "top5": round(top5 / n, 4),
            "top1_hits_scoring_ge_0.6": round(confident / max(top1, 1), 4),
            "median_top1_score": round(float(np.median(scores)), 4) if scores else None,
        }

    # Chinese typos that are not homophones: a random character of the map replaced.
    random_cjk: list[bool] = []
    for e in targets:
        name, suffix = split_label(e["label"])
        if has_cjk(name) and e["kind"] == "street":
            found = g.search(typo(name, rng, cjk) + suffix, limit=5)
            random_cjk.append(bool(found) and is_hit(found[0], e, None))

    nonsense = [
        "".join(rng.choice(latin) for _ in range(rng.randint(5, 12))) for _ in range(300)
    ] + ["".join(rng.choice(cjk or "的") for _ in range(rng.randint(3, 6))) for _ in range(100)]
    false_confident = 0
    for q in nonsense:
        t0 = time.perf_counter()
        found = g.search(q)
        times.append(time.perf_counter() - t0)
        false_confident += bool(found) and found[0].score >= THRESHOLD

    reverse_times: list[float] = []
    reverse_self = 0
    addresses = [e for e in targets if e["kind"] == "address"]
    points = [(float(e["lon"]), float(e["lat"])) for e in targets]
    for lon, lat in points:
        t0 = time.perf_counter()
        g.reverse(lon + rng.gauss(0, 1e-4), lat + rng.gauss(0, 5e-5))
        reverse_times.append(time.perf_counter() - t0)
    for e in addresses:
        p = g.reverse(float(e["lon"]), float(e["lat"]))
        reverse_self += p is not None and p.label == e["label"]

    family_report, family_failures = run_families(
        g, random.Random(args.seed + 1), args.samples, args.show_failures
    )
    failures += family_failures

    breakdown = {
        k: {"n": len(v), "top1": round(sum(v) / len(v), 4)} for k, v in sorted(per_kind.items())
    }
    report = {
        "map": str(args.map if not args.cache else args.cache),
        "import_s": import_s,
        "load_s": load_s,
        "index": {
            kind: sum(1 for e in g.entries if e["kind"] == kind)
            for kind in ("address", "street", "intersection", "poi")
        },
        "sampled": {
            kind: sum(1 for e in targets if e["kind"] == kind)
            for kind in ("address", "street", "intersection")
        },
        "exact": results["exact"],
        "perturbed": results["perturbed"],
        "latency_ms": {
            "p50": percentile_ms(times, 50),
            "p99": percentile_ms(times, 99),
            "max": percentile_ms(times, 100),
            "queries": len(times),
        },
        "cjk_streets_one_random_character_typo_top1": (
            round(sum(random_cjk) / len(random_cjk), 4) if random_cjk else None
        ),
        "nonsense_queries_scoring_ge_0.6": round(false_confident / len(nonsense), 4),
        "reverse": {
            "p50_ms": percentile_ms(reverse_times, 50),
            "p99_ms": percentile_ms(reverse_times, 99),
            "address_points_answered_with_their_own_label": (
                round(reverse_self / len(addresses), 4) if addresses else None
            ),
        },
        "baseline_scan_rapidfuzz_wratio": {
            "top1_exact": round(baseline_hits["exact"] / max(len(targets), 1), 4),
            "top1_perturbed": round(baseline_hits["perturbed"] / max(len(targets), 1), 4),
            "p50_ms": percentile_ms(baseline_times, 50),
            "p99_ms": percentile_ms(baseline_times, 99),
        },
        "breakdown": breakdown,
        "families": family_report,
        "family_targets": FAMILY_TARGETS,
        "targets": TARGETS,
        "targets_met": {
            "top1_exact": results["exact"]["top1"] >= TARGETS["top1_exact"],
            "top1_perturbed": results["perturbed"]["top1"] >= TARGETS["top1_perturbed"],
            "p99_ms": percentile_ms(times, 99) <= TARGETS["p99_ms"],
        },
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    for line in failures:
        print(line, file=sys.stderr)


if __name__ == "__main__":
    main()
