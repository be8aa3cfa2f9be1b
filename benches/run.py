#!/usr/bin/env python3
"""End-to-end bench harness for `voc run`.

    python3 benches/run.py                      # 100k and 1M contacts, floor, Python baseline
    python3 benches/run.py --sizes 100000 --skip-python

For each size it generates the contacts with the fixture generator (cached under
target/bench-data), runs `voc run` under /usr/bin/time, runs the segmentation floor
(read + parse + jieba cut of the same text on the same threads) and optionally the
jieba + pandas baseline, then prints a table and rewrites benches/RESULTS.md.
Also measures the incremental cost of adding week 13 to 12 weeks of history against
adding week 1 to nothing.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "target" / "bench-data"
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target").resolve() / "release"
DEMO = ROOT / "pipelines" / "demo"
# Runs of each side of the incremental bench; the median is reported.
REPEATS = 7


def sh(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def timed(cmd):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS in MiB, stdout, CPU
    seconds: user + system, steadier than wall time on a shared machine)."""
    result = sh(["/usr/bin/time", "-f", "TIME %e %M %U %S", *cmd], capture_output=True, text=True)
    line = [l for l in result.stderr.splitlines() if l.startswith("TIME ")][-1]
    _, wall, rss_kb, user, system = line.split()
    return float(wall), int(rss_kb) / 1024, result.stdout, float(user) + float(system)


def pipeline_file(name, inputs, out):
    path = DATA / f"{name}.toml"
    paths = ", ".join(json.dumps(str(p)) for p in inputs)
    path.write_text(
        f'[pipeline]\nname = "{name}"\nclient = "bench"\n'
        f"[input]\npaths = [{paths}]\n"
        f'[output]\ndir = "{out}"\n'
        f'[text]\ndictionaries = ["{DEMO / "userdict.txt"}"]\n'
        f'[classify]\ntaxonomy = "{DEMO / "taxonomy.toml"}"\n'
    )
    return path


def generate(contacts, weeks, seed):
    out = DATA / f"contacts-{contacts}-{weeks}w-{seed}.jsonl"
    if not out.exists():
        sh([RELEASE / "voc", "fixtures", "generate", "--contacts", contacts, "--weeks", weeks,
            "--seed", seed, "--out", out])
    return out


def python_env():
    env_dir = DATA / "venv"
    py = env_dir / "bin" / "python"
    ready = py.exists() and subprocess.run(
        [str(py), "-c", "import jieba, pandas"], capture_output=True).returncode == 0
    if not ready:
        # A venv whose install was interrupted, or a link to one that is gone: start over.
        if env_dir.is_symlink() or env_dir.is_file():
            env_dir.unlink()
        else:
            shutil.rmtree(env_dir, ignore_errors=True)
        venv.create(env_dir, with_pip=True)
        sh([py, "-m", "pip", "install", "--quiet", "jieba==0.42.1", "pandas"])
    return py


def run_size(n, skip_python, repeats):
    data = generate(n, 12, 1)
    mb = data.stat().st_size / 1e6
    out = DATA / f"out-{n}"
    pipeline = pipeline_file(f"bench-{n}", [data], out)
    # `voc run` and the floor alternate, so the machine's drift (±10-20 % run to run on
    # this shared VM) touches both; medians are reported, stage times from the median run.
    runs, floors = [], []
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        wall, rss, _, cpu = timed([RELEASE / "voc", "run", pipeline, "--force", "--quiet"])
        manifest = json.loads((out / "run.json").read_text())
        runs.append((wall, rss, {t["stage"]: t["ms"] / 1000 for t in manifest["timings"]}, cpu))
        floors.append(timed([RELEASE / "floor", data, DEMO / "userdict.txt"]))
    wall, _, stages, _ = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    cpu = statistics.median(r[3] for r in runs)
    floor_cpu = statistics.median(f[3] for f in floors)
    rss = max(r[1] for r in runs)
    floor_wall = statistics.median(f[0] for f in floors)
    floor_rss = max(f[1] for f in floors)
    floor = json.loads(floors[0][2])
    row = {
        "contacts": n, "input_mb": mb, "wall": wall, "rss_mib": rss,
        "contacts_per_s": n / wall, "text_mb_per_s": floor["text_bytes"] / 1e6 / wall,
        "floor_wall": floor_wall, "floor_rss_mib": floor_rss, "ratio": wall / floor_wall,
        "cpu": cpu, "floor_cpu": floor_cpu, "cpu_ratio": cpu / floor_cpu,
        "stages": stages, "walls": [r[0] for r in runs], "floor_walls": [f[0] for f in floors],
    }
    if not skip_python:
        py = python_env()
        py_wall, py_rss, _, _ = timed([py, ROOT / "benches" / "baseline" / "pipeline.py", data,
                                    DEMO / "userdict.txt", DEMO / "taxonomy.toml"])
        row.update(python_wall=py_wall, python_rss_mib=py_rss, speedup=py_wall / wall)
    return row


def incremental(n_per_week):
    """Adds week 13 to 12 weeks of history, and week 1 to nothing; same week size."""
    data = generate(n_per_week * 13, 13, 2)
    weeks = {}
    with open(data, encoding="utf-8") as f:
        for line in f:
            day = datetime.date.fromisoformat(json.loads(line)["started_at"][:10])
            weeks.setdefault(day.isocalendar()[:2], []).append(line)
    keys = sorted(weeks)
    # The generator's weeks differ in size (seasonality, planted surges); the issue
    # compares weeks of the same size, so week 1 and week 13 are thinned evenly to the
    # smaller of the two.
    same = min(len(weeks[keys[0]]), len(weeks[keys[12]]))
    for k in (keys[0], keys[12]):
        lines = weeks[k]
        weeks[k] = [lines[i * len(lines) // same] for i in range(same)]
    files = []
    for i, k in enumerate(keys):
        p = DATA / f"incr-week-{i + 1:02}.jsonl"
        p.write_text("".join(weeks[k]), encoding="utf-8")
        files.append(p)
    # One run each is at the mercy of the machine (a shared 2-core VM varies by ±20 %
    # run to run); the two are run alternately, REPEATS times, so drift touches both,
    # and the medians are reported with every run.
    base_out = DATA / "incr-base"
    shutil.rmtree(base_out, ignore_errors=True)
    sh([RELEASE / "voc", "run", pipeline_file("incr-12", files[:12], base_out), "--quiet"])
    first_out = DATA / "incr-first"
    hist_out = DATA / "incr-history"
    first_toml = pipeline_file("incr-first", [files[0]], first_out)
    thirteenth_toml = pipeline_file("incr-13", [files[12]], hist_out)
    firsts, thirteenths = [], []
    for _ in range(REPEATS):
        shutil.rmtree(first_out, ignore_errors=True)
        os.sync()
        firsts.append(timed([RELEASE / "voc", "run", first_toml, "--quiet"])[0])
        shutil.rmtree(hist_out, ignore_errors=True)
        # copytree keeps modification times, so the caches beside the history stay
        # valid, as they are for the folder a weekly run writes into.
        shutil.copytree(base_out, hist_out)
        os.sync()
        thirteenths.append(timed([RELEASE / "voc", "run", thirteenth_toml, "--quiet"])[0])
    w1, w13 = statistics.median(firsts), statistics.median(thirteenths)
    return {"week_contacts": len(weeks[keys[12]]), "first_week_contacts": len(weeks[keys[0]]),
            "first_week": w1, "week_13": w13, "ratio": w13 / w1,
            "first_week_runs": firsts, "week_13_runs": thirteenths}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--skip-python", action="store_true")
    ap.add_argument("--python-max", type=int, default=100000, help="largest size the Python baseline runs on")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs of `voc run` and of the floor per size, alternated; medians are reported")
    ap.add_argument("--incremental-week", type=int, default=50000,
                    help="contacts per week in the incremental bench (a mid-size contact centre's week)")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    sh(["cargo", "build", "--release", "--locked", "-p", "voc-cli", "-p", "voc-benches", "--bin", "voc", "--bin", "floor"],
       cwd=ROOT)
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        rows.append(run_size(n, args.skip_python or n > args.python_max, args.repeats))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    incr = incremental(args.incremental_week) if args.incremental_week else None
    if incr:
        print(json.dumps(incr), flush=True)
    write_results(rows, incr, args)


def commit():
    """The commit the bench ran at, marked when the working tree had changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown commit"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def write_results(rows, incr, args):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        "## `voc run` end to end — `benches/run.py`",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}; "
        f"date {datetime.date.today().isoformat()}; `voc` {rows[0] and 'release build'} at {commit()}.",
        "",
        f"Command: `python3 benches/run.py --sizes {args.sizes}" + (" --skip-python" if args.skip_python else "") + "`",
        "",
        f"Wall times are medians of {args.repeats} runs of `voc run` alternated with {args.repeats} of the floor "
        "(every run: " + "; ".join(f"{r['contacts']:,}: voc " + ", ".join(f"{w:.2f}" for w in r["walls"])
                                     + " s, floor " + ", ".join(f"{w:.2f}" for w in r["floor_walls"]) + " s"
                                     for r in rows) + "); peak RSS is the largest of the runs; stage times are "
        "those of the median run. CPU is user + system time (medians), which varies less than wall time here.",
        "",
        "| contacts | input MB | wall s | contacts/s | text MB/s | peak RSS MiB | floor s | voc ÷ floor | CPU s (voc / floor) | CPU ÷ floor | Python s | speedup |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        py = f"{r['python_wall']:.1f}" if "python_wall" in r else "—"
        sp = f"{r['speedup']:.0f}×" if "speedup" in r else "—"
        lines.append(
            f"| {r['contacts']:,} | {r['input_mb']:.0f} | {r['wall']:.1f} | {r['contacts_per_s']:,.0f} | "
            f"{r['text_mb_per_s']:.1f} | {r['rss_mib']:.0f} | {r['floor_wall']:.1f} | {r['ratio']:.2f} | "
            f"{r['cpu']:.1f} / {r['floor_cpu']:.1f} | {r['cpu_ratio']:.2f} | {py} | {sp} |"
        )
    lines += ["", "Stage times (s), from the median run's run.json:", "",
              "| contacts | " + " | ".join(rows[0]["stages"]) + " |",
              "|---:|" + "---:|" * len(rows[0]["stages"])]
    for r in rows:
        lines.append(f"| {r['contacts']:,} | " + " | ".join(f"{v:.2f}" for v in r["stages"].values()) + " |")
    if len(rows) > 1:
        lines += ["", f"RSS({rows[-1]['contacts']:,}) ÷ RSS({rows[0]['contacts']:,}) = "
                  f"{rows[-1]['rss_mib'] / rows[0]['rss_mib']:.2f}"]
    if incr:
        lines += ["", "## Incremental cost", "",
                  f"Adding week 13 ({incr['week_contacts']:,} contacts) to 12 weeks of history took "
                  f"{incr['week_13']:.2f} s; adding week 1 ({incr['first_week_contacts']:,} contacts) to nothing took "
                  f"{incr['first_week']:.2f} s: ratio **{incr['ratio']:.2f}** (medians of {REPEATS} runs each; week 1: "
                  + ", ".join(f"{t:.2f}" for t in incr["first_week_runs"]) + " s; week 13: "
                  + ", ".join(f"{t:.2f}" for t in incr["week_13_runs"]) + " s). "
                  "Week 1 and week 13 are run alternately. The 12 weeks are built once and copied before each week-13 run; baseline weeks' "
                  "phrase counts come from `.cache/term-counts/` and the trend's weekly tables from "
                  "`.cache/week-tables/` beside the history, kept by the run that built them."]
    lines += ["", "Floor: `target/release/floor INPUT userdict.txt` reads and parses the same JSON Lines and cuts all "
              "text with the same segmenter and thread count. Python: `benches/baseline/pipeline.py` "
              "(jieba + pandas: segment, keyword-classify, weekly counts), installed into a venv by this script.", ""]
    replace_section(ROOT / "benches" / "RESULTS.md", "\n".join(lines))
    print("\n".join(lines))


START, END = "<!-- benches/run.py: start -->", "<!-- benches/run.py: end -->"


def replace_section(path, body):
    """Rewrites only this script's section of RESULTS.md; other benches keep theirs."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Bench results\n"
    block = f"{START}\n{body}\n{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        first_break = text.find("\n") + 1
        text = text[:first_break] + "\n" + block + "\n" + text[first_break:]
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
