#!/usr/bin/env python3
"""Prepare the floor of the legacy import benchmark: the rows `import legacy` writes for a generated
tree, as CSV files for `psql \\copy` (run outside the timed section).

Usage: legacy-floor-csv.py TREE OUTDIR

Writes sessions.csv, translation_jobs.csv, batches.csv, batch_requests.csv, files.csv with explicit
ids (COPY writes identity columns as given). Skips expired sessions the way the importer does
(expiresAt, else createdAt + SESSION_EXPIRY_DAYS).
"""
import csv
import hashlib
import json
import os
import sys
from datetime import datetime, timedelta, timezone

TREE, OUT = sys.argv[1], sys.argv[2]
DAYS = int(os.environ.get("SESSION_EXPIRY_DAYS", "30"))
NOW = datetime.now(timezone.utc)
os.makedirs(OUT, exist_ok=True)
csv.field_size_limit(1 << 30)


def parse_ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def arr(values):
    if values is None:
        return None
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


writers = {}
handles = []
for name in ["sessions", "translation_jobs", "batches", "batch_requests", "files"]:
    f = open(os.path.join(OUT, name + ".csv"), "w", newline="", encoding="utf-8")
    handles.append(f)
    writers[name] = csv.writer(f)

SESSION_KEYS = {"senderId", "sessionType", "status", "sourceLocale", "targetLocales", "createdAt", "updatedAt", "expiresAt", "jobs"}
sid = jid = fid = bid = rid = 0
for sender in sorted(os.listdir(TREE)):
    sdir = os.path.join(TREE, sender)
    if sender == "logs" or sender.startswith(".") or not os.path.isfile(os.path.join(sdir, "metadata.json")):
        continue
    meta = json.load(open(os.path.join(sdir, "metadata.json"), encoding="utf-8"))
    changes_path = os.path.join(sdir, "changes", "metadata.json")
    changes = json.load(open(changes_path, encoding="utf-8")) if os.path.isfile(changes_path) else None
    created = parse_ts(meta["createdAt"])
    expires = parse_ts(meta["expiresAt"]) if "expiresAt" in meta else created + timedelta(days=DAYS)
    if expires <= NOW:
        continue
    sid += 1
    extra = {k: v for k, v in meta.items() if k not in SESSION_KEYS}
    if changes:
        extra["changes"] = {k: v for k, v in changes.items() if k not in SESSION_KEYS and k not in meta}
    extra["legacy_import"] = {"source": "tmp tree"}
    writers["sessions"].writerow([sid, sender, "changes" if changes else "upload", meta["status"], meta["sourceLocale"],
                                  arr(meta.get("targetLocales", [])), json.dumps(extra), meta["createdAt"],
                                  meta.get("updatedAt", meta["createdAt"]), expires.isoformat()])
    for job in meta.get("jobs", []):
        jid += 1
        writers["translation_jobs"].writerow([jid, sid, job["jobId"], job["type"], job["status"], job.get("provider"),
                                              job.get("model"), job.get("sourceLocale"), arr(job.get("targetLocales")),
                                              json.dumps(job.get("progress", {})), job.get("error"), job["createdAt"],
                                              job.get("updatedAt", job["createdAt"]), job.get("completedAt")])
    for top, ftype in [("uploads", "upload"), ("translations", "translation"), ("deltas", "delta"),
                       (os.path.join("changes", "original"), "original")]:
        base = os.path.join(sdir, top)
        if not os.path.isdir(base):
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            for name in filenames:
                if name.startswith("."):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, base).split(os.sep)
                locale, ctype, inner = rel[0], rel[1], "/".join(rel[2:])
                data = open(path, "rb").read()
                fid += 1
                fmt = "json" if name.endswith(".json") else "markdown"
                writers["files"].writerow([fid, sid, ftype, ctype, locale, inner, name, fmt, data.decode("utf-8"),
                                           hashlib.sha256(data).hexdigest(), len(data)])
    bdir_root = os.path.join(sdir, "batches")
    if os.path.isdir(bdir_root):
        for batch in sorted(os.listdir(bdir_root)):
            bdir = os.path.join(bdir_root, batch)
            manifest = json.load(open(os.path.join(bdir, "manifest.json"), encoding="utf-8"))
            results = {}
            for name in os.listdir(bdir):
                if name.endswith("_output.jsonl") or name.endswith("_error.jsonl"):
                    for line in open(os.path.join(bdir, name), encoding="utf-8"):
                        if not line.strip():
                            continue
                        obj = json.loads(line)
                        resp, err = obj.get("response"), obj.get("error")
                        status = "failed" if err is not None else (
                            "pending" if resp is None or resp.get("status_code") is None else
                            "completed" if 200 <= resp["status_code"] <= 299 else "failed")
                        results[obj["custom_id"]] = (json.dumps(resp) if resp is not None else None,
                                                     json.dumps(err) if err is not None else None, status)
            requests = []
            inp = os.path.join(bdir, "input.jsonl")
            if os.path.isfile(inp):
                for line in open(inp, encoding="utf-8"):
                    if line.strip():
                        requests.append((json.loads(line)["custom_id"], line.rstrip("\n")))
            bid += 1
            statuses = [results.get(c, (None, None, "pending"))[2] for c, _ in requests]
            writers["batches"].writerow([bid, sid, manifest["batchId"], manifest.get("openaiBatchId"), manifest["status"],
                                         manifest.get("provider"), manifest.get("model"), manifest.get("sourceLocale"),
                                         arr(manifest.get("targetLocales")), manifest.get("requestCount", len(requests)),
                                         statuses.count("completed"), statuses.count("failed"), json.dumps(manifest),
                                         manifest["createdAt"]])
            for custom_id, line in requests:
                rid += 1
                resp, err, status = results.get(custom_id, (None, None, "pending"))
                writers["batch_requests"].writerow([rid, bid, custom_id, line, resp, err, status])
for f in handles:
    f.close()
print("floor CSV: %d sessions, %d jobs, %d files, %d batches, %d requests" % (sid, jid, fid, bid, rid), file=sys.stderr)
