#!/usr/bin/env python3
"""Log triage as ONE durable run: `baton run examples/log-triage.py`.

Find every ERROR in a log, group the errors by type, find when they peaked, write a report,
and hand back a three-line summary instead of the raw log. Each phase is a `baton step`
(this same file, run with --phase): its output is recorded, so if the run is stopped,
`baton resume <run>` runs this script again from the top and the finished phases return
their recorded results at once. Python's standard library only.

Environment (all optional):
  LOG_FILE  the log to triage (default data/app.log, beside this script)
  REPORT    where the report goes (default /tmp/baton-log-triage-<run id>.md)
"""
import collections
import json
import os
import re
import subprocess
import sys

LINE = re.compile(r"^(?P<at>\S+)\s+(?P<level>[A-Z]+)\s+(?P<service>\S+)\s+(?P<message>.*)$")
# What varies between two errors of one kind: quoted text, values after `=`, long numbers.
VARIABLE = re.compile(r"'[^']*'|(?<==)[^\s,]+|\b\d{4,}\b")
TOP = 10


def parsed(log):
    with open(log, encoding="utf-8", errors="replace") as lines:
        for line in lines:
            match = LINE.match(line.rstrip("\n"))
            if match:
                yield match.groupdict()


def error_type(entry):
    return f"{entry['service']}: {VARIABLE.sub('*', entry['message'])}"


# ---- the phases, each run as a step: they print one JSON document ----

def scan(log):
    levels = collections.Counter()
    first = last = None
    for entry in parsed(log):
        levels[entry["level"]] += 1
        first = first or entry["at"]
        last = entry["at"]
    return {"lines": sum(levels.values()), "levels": dict(levels), "from": first, "to": last}


def group(log):
    kinds = {}
    for entry in parsed(log):
        if entry["level"] != "ERROR":
            continue
        kind = kinds.setdefault(error_type(entry), {"count": 0, "first": entry["at"], "example": entry["message"]})
        kind["count"] += 1
        kind["last"] = entry["at"]
    ranked = sorted(kinds.items(), key=lambda item: -item[1]["count"])
    return {"types": len(kinds), "top": [{"type": name, **kind} for name, kind in ranked[:TOP]]}


def timeline(log):
    """Errors per five minutes; the busiest stretch."""
    buckets = collections.Counter()
    for entry in parsed(log):
        if entry["level"] == "ERROR":
            at = entry["at"]
            minute = int(at[14:16]) // 5 * 5
            buckets[f"{at[:14]}{minute:02d}"] += 1
    if not buckets:
        return {"busiest": None, "errors": 0}
    busiest, errors = max(buckets.items(), key=lambda item: item[1])
    return {"busiest": busiest, "errors": errors, "buckets": len(buckets)}


def report(path, scanned, grouped, peak):
    errors = scanned["levels"].get("ERROR", 0)
    rows = "\n".join(f"| {kind['count']} | `{kind['type']}` | {kind['first']} | {kind['last']} |" for kind in grouped["top"])
    text = f"""# Log triage

{scanned['lines']} lines from {scanned['from']} to {scanned['to']}: {errors} errors in {grouped['types']} types.
Busiest five minutes: {peak['busiest']} ({peak['errors']} errors).

| count | type | first | last |
| --- | --- | --- | --- |
{rows}
"""
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    return {"report": path, "bytes": len(text.encode())}


# ---- the orchestration ----

def step(name, *args):
    """Runs phase `name` of this file as the durable step `name`; returns what it printed, parsed."""
    command = ["baton", "step", name, "--", sys.executable, os.path.abspath(__file__), "--phase", name, *args]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(done.returncode)
    return json.loads(done.stdout)


def main():
    log = os.environ.get("LOG_FILE", os.path.join("data", "app.log"))
    path = os.environ.get("REPORT", f"/tmp/baton-log-triage-{os.environ.get('BATON_RUN_ID', 'local')}.md")
    scanned = step("scan", log)
    print(f"scanned {scanned['lines']} lines", flush=True)
    grouped = step("group", log)
    peak = step("timeline", log)
    written = step("report", path, json.dumps(scanned), json.dumps(grouped), json.dumps(peak))
    errors = scanned["levels"].get("ERROR", 0)
    top = grouped["top"][0] if grouped["top"] else None
    lines = [
        f"{scanned['lines']} lines, {errors} errors in {grouped['types']} types",
        f"top: {top['type']} ({top['count']}x)" if top else "top: none",
        f"busiest five minutes: {peak['busiest']} ({peak['errors']} errors); report: {written['report']}",
    ]
    subprocess.run(["baton", "summary", "\n".join(lines)], check=True)


def phase(name, args):
    if name == "report":
        path, scanned, grouped, peak = args
        result = report(path, json.loads(scanned), json.loads(grouped), json.loads(peak))
    else:
        result = {"scan": scan, "group": group, "timeline": timeline}[name](args[0])
    print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--phase":
        phase(sys.argv[2], sys.argv[3:])
    else:
        main()
