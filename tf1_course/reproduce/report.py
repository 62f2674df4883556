"""The reproduction report: every number the course prints beside ours, with a verdict.

A row is one printed number: {"section", "item", "course", "ours", "difference", "verdict",
"reason"}. The verdict compares the two as the course prints them:

    exact                  the same digits in the course's format
    within float rounding  one unit of the last printed digit, or a relative difference <= 1e-6
                           (float32 keeps ~7 significant digits)
    differs                anything more; ``reason`` says why (see REASONS)

:func:`markdown` writes REPORT.md from the rows, the spread of the SIGNS runs and the timings.
"""

import re
import statistics

from tf1_course.labs.results import relative_difference  # |a - b| / max(|a|, |b|)

EXACT, ROUNDING, DIFFERS = "exact", "within float rounding", "differs"
VERDICTS = (EXACT, ROUNDING, DIFFERS)
ROUNDING_RELATIVE = 1e-6
LISTED_IN_FULL = 40  # REPORT.md lists a section's exact numbers too when it has at most this many

# Why a number may differ from the course's, by cause (shown once in the report, keyed in rows).
REASONS = {
    "signs-data": "our training set is rebuilt from the 64x64 JPEGs (JPEG loss, another example order, "
                  "so other mini-batches from the same seeds); the course's train_signs.h5 is not "
                  "available here. The spread section shows how much the order and the seeds move these numbers",
    "signs-course-data": "the course's own train_signs.h5: the same data, graph and seeds; what remains is "
                         "TensorFlow's version and the CPU's float32 kernels (summation order)",
    "float-order": "float64 summation order (NumPy/BLAS versions and CPUs): the 16th-17th digit; the "
                   "course's own published copies disagree there too",
    "chaotic": "large random initialization (x10) is chaotic: a difference in the last bit of the "
               "first steps grows over thousands of iterations, though the accuracies stay the course's",
    "tf-engine": "the TF engine computes the course's formulas with TensorFlow's kernels (other "
                 "summation order than NumPy)",
    "course-rounding": "the course prints a rounded value",
    "gradcheck-cancellation": "the numeric gradient (J(theta + eps) - J(theta - eps)) / 2 eps with eps = 1e-7 "
                              "cancels about 9 of float64's 16 digits, so last-bit differences in the cost "
                              "(summation order, TensorFlow's kernels) show in the 3rd to 5th digit of "
                              "the difference; the verdicts (correct / wrong backprop) are the course's",
}


def decimals_of(fmt):
    """Digits after the point of a format like '{:.6f}', or None."""
    match = re.search(r"\.(\d+)f\}$", fmt)
    return int(match.group(1)) if match else None


def printed(x, fmt):
    """``x`` as the course's print shows it; "{}" is str(), so a float32 prints as NumPy prints it."""
    return str(x) if fmt == "{}" else fmt.format(x)


def verdict(course, ours, fmt="{!r}"):
    """(verdict, relative difference) of two numbers as the course prints them with ``fmt``."""
    if isinstance(course, str) or isinstance(ours, str):
        return (EXACT if str(course) == str(ours) else DIFFERS), None
    rel = relative_difference(float(course), float(ours))
    if printed(course, fmt) == printed(ours, fmt):
        return EXACT, rel
    digits = decimals_of(fmt)
    if rel <= ROUNDING_RELATIVE or (digits is not None and abs(course - ours) <= 1.000001 * 10 ** -digits):
        return ROUNDING, rel
    return DIFFERS, rel


def row(section, item, course, ours, fmt="{!r}", reason=None):
    """One compared number; ``reason`` (a REASONS key) is kept only when it differs."""
    v, rel = verdict(course, ours, fmt)
    shown = printed(course, fmt), printed(ours, fmt)
    course, ours = (x.item() if hasattr(x, "item") else x for x in (course, ours))
    return {"section": section, "item": item, "course": course, "ours": ours,
            "course_printed": shown[0], "ours_printed": shown[1],
            "relative_difference": rel, "verdict": v, "reason": reason if v != EXACT else None}


def vector_rows(section, item, course, ours, fmt, reason=None):
    """Rows for each entry of two equally long sequences (nested lists are flattened)."""
    flat_c, flat_o = _flatten(course), _flatten(ours)
    if len(flat_c) != len(flat_o):
        return [{"section": section, "item": item, "course": course, "ours": ours, "course_printed": str(course),
                 "ours_printed": str(ours), "relative_difference": None, "verdict": DIFFERS,
                 "reason": "shape differs"}]
    return [row(section, f"{item}[{k}]", c, o, fmt, reason) for k, (c, o) in enumerate(zip(flat_c, flat_o))]


def _flatten(x):
    """The entries of nested lists or an array, NumPy scalars kept (a float32 prints as NumPy prints it)."""
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flatten(item)]
    if hasattr(x, "ravel"):
        return list(x.ravel())
    return [x]


def counts(rows):
    """{verdict: number of rows}."""
    return {v: sum(1 for r in rows if r["verdict"] == v) for v in VERDICTS}


def spread_summary(values):
    """min, median, max of a list of numbers."""
    return {"min": min(values), "median": statistics.median(values), "max": max(values), "n": len(values)}


def where_it_falls(value, values):
    """How the course's value sits among ours: 'below all', 'above all', or 'k of n runs lower'."""
    lower = sum(1 for v in values if v < value)
    if lower == 0 and value < min(values):
        return f"below all {len(values)} runs"
    if lower == len(values):
        return f"above all {len(values)} runs"
    return f"inside the range: {lower} of {len(values)} runs lower"


# --- REPORT.md ---------------------------------------------------------------------------------

def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return lines


def _num(x, spec=".6g"):
    if x is None:
        return "—"
    if isinstance(x, float):
        return format(x, spec)
    return str(x)


def summary_table(rows):
    """The verdicts counted per section, as markdown table lines."""
    summary = []
    for s in dict.fromkeys(r["section"] for r in rows):
        c = counts([r for r in rows if r["section"] == s])
        summary.append([s, sum(c.values()), c[EXACT], c[ROUNDING], c[DIFFERS]])
    total = counts(rows)
    summary.append(["**all**", len(rows), total[EXACT], total[ROUNDING], total[DIFFERS]])
    return _table(["section", "numbers", EXACT, ROUNDING, DIFFERS], summary)


README_BEGIN = "<!-- begin: made from docs/report/report.json by scripts/readme_summary.py -->"
README_END = "<!-- end: made from docs/report/report.json -->"


def readme_summary(report):
    """The README's block of results: the summary table and the SIGNS spread in a few lines.

    Made from a report, never typed by hand, so it cannot drift from the committed report
    (a test compares them).
    """
    meta, spread = report["meta"], report["signs"]["spread"]
    main = spread["runs"][0]
    course = spread["course"]["test_accuracy"]
    lines = [README_BEGIN,
             f"From the committed full report (commit {meta['commit']}, {meta['cpu']}, "
             f"{meta['seconds'] / 60:.0f} min wall time):", ""]
    lines += summary_table(report["rows"]) + [""]
    s = spread["summary"]["test_accuracy"]
    lines.append(
        f"SIGNS, {len(spread['runs'])} runs over data orders and seeds: test accuracy "
        f"{s['min']:.3f} / {s['median']:.3f} / {s['max']:.3f} (min / median / max); the course's "
        + " and ".join(f"{v:.3f} ({spread['course_position']['test_accuracy'][e]})" for e, v in course.items())
        + f"; our default run ({main['order'].split(' (')[0]}, seed {main['seed']}) "
        f"gets train {main['train_accuracy']:.3f}, test {main['test_accuracy']:.3f}. "
        f"{spread['collapsed']} of {len(spread['runs'])} runs collapsed to one class at the course's "
        "learning rate ([why](docs/tuning.md#the-learning-rate-cliff)).")
    lines.append(README_END)
    return "\n".join(lines)


def markdown(report):
    """REPORT.md text from a report dict (see reproduce.py for its keys)."""
    meta, rows = report["meta"], report["rows"]
    out = [f"# Reproducing the course's numbers ({meta['name']})", "",
           f"`{meta['command']}` on {meta['date']}: tf1-course {meta['version']} (commit {meta['commit']}), "
           f"TensorFlow {meta['tensorflow']}, NumPy {meta['numpy']}, Python {meta['python']}, "
           f"{meta['cpu']} ({meta['cpus']} CPUs){', quick run' if meta['quick'] else ''}.", "",
           f"Wall time {meta['seconds']:.0f} s: " + ", ".join(f"{k} {v:.0f} s" for k, v in meta["timings"])
           + ".", "",
           "Data: " + "; ".join(f"{name}: {what}" for name, what in meta["data"].items()) + ".", "",
           "## Summary", ""]
    sections = list(dict.fromkeys(r["section"] for r in rows))
    out += summary_table(rows)
    out += ["", "Verdicts compare the numbers as the course prints them: *exact* (same digits), *within "
            "float rounding* (one unit of the last printed digit, or relative difference <= 1e-6), "
            "*differs* (with the reason below). Every row is in `report.json`.", ""]
    if "signs" in report:
        out += _signs_section(report["signs"])
    for s in sections:
        srows = [r for r in rows if r["section"] == s]
        out += [f"## {s}", ""]
        if report.get("pngs", {}).get(s):
            out += [f"![{s}]({p})" for p in report["pngs"][s]] + [""]
        # a long section lists every number that is not exact; its exact ones are in report.json
        shown = srows if len(srows) <= LISTED_IN_FULL else [r for r in srows if r["verdict"] != EXACT]
        if not shown:
            out += [f"All {len(srows)} numbers exact (report.json lists them).", ""]
            continue
        if len(shown) < len(srows):
            out += [f"{len(srows)} numbers; the {len(srows) - len(shown)} exact ones are not listed here "
                    f"(report.json has all).", ""]
        out += _table(["number", "course", "ours", "relative difference", "verdict"],
                      [[r["item"], r["course_printed"], r["ours_printed"], _num(r["relative_difference"], ".2g"),
                        r["verdict"] + (f" ({r['reason']})" if r["reason"] else "")] for r in shown])
        out.append("")
    used = sorted({r["reason"] for r in rows if r["reason"] in REASONS})
    if used:
        out += ["## Why ours differ", ""] + [f"- **{k}**: {REASONS[k]}." for k in used] + [""]
    return "\n".join(out) + "\n"


def _signs_section(signs):
    out = ["## SIGNS: the spread over data orders and initial weights", ""]
    spread = signs["spread"]
    runs = spread["runs"]
    if not runs:
        return out
    learned = len(runs) - spread.get("collapsed", 0)
    out += [f"{len(runs)} runs of the course's model ({signs['epochs']} epochs, course defaults): "
            f"{spread['design']}.", ""]
    if spread.get("collapsed"):
        out += [f"**{spread['collapsed']} of {len(runs)} runs collapsed**: they predict one class for every photo "
                f"(accuracy 1/6, cost ln 6 x 34/33 = 1.846): every hidden unit of a layer died in the first "
                f"epochs (see docs/tuning.md, \"The learning-rate cliff\"). The course's model and learning "
                f"rate are that fragile; the course's run happened to learn. The second table leaves them out.", ""]
    rows = []
    for key, label in (("train_accuracy", "train accuracy"), ("test_accuracy", "test accuracy"),
                       ("final_cost", "cost after epoch 1400")):
        s = spread["summary"][key]
        learned_s = spread.get("summary_learned", {}).get(key)
        rows.append([label, _num(s["min"], ".4f"), _num(s["median"], ".4f"), _num(s["max"], ".4f"),
                     f"{_num(learned_s['min'], '.4f')} / {_num(learned_s['median'], '.4f')} / "
                     f"{_num(learned_s['max'], '.4f')}" if learned_s else "—",
                     "; ".join(f"{edition} {_num(v, '.6g')}: {spread['course_position'][key][edition]}"
                               for edition, v in spread["course"][key].items())])
    out += _table(["", "min", "median", "max", f"min / median / max of the {learned} that learned",
                   "the course's value among all runs"], rows)
    out += ["", f"![spread]({spread['png']})", ""]
    out += _table(["run", "data order", "initial seed", "train accuracy", "test accuracy", "cost after epoch 1400",
                   "predicted classes (train)"],
                  [[k, r["order"], r["seed"], _num(r.get("train_accuracy"), ".4f"), _num(r.get("test_accuracy"), ".4f"),
                    _num((r.get("costs_printed") or {}).get("1400", r.get("final_cost")), ".6f"),
                    ("**collapsed** " if r.get("collapsed") else "") + str(r.get("predicted_class_counts", {}).get("train"))]
                   for k, r in enumerate(runs)])
    out.append("")
    if signs.get("cost_png"):
        out += [f"![cost curve with the course's points]({signs['cost_png']})", ""]
    return out
