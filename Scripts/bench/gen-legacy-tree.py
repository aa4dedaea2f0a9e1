#!/usr/bin/env python3
"""Generate a realistic legacy tmp/ tree of the auto-i18n service (python3 standard library only).

Usage: gen-legacy-tree.py OUT [--seed N] [--size BYTES] [--sessions N] [--expired N]
                              [--file-min B] [--file-max B] [--jsonl-min B] [--jsonl-max B]
                              [--fault KIND]... [--expect FILE]

Shapes: several locales (CJK and RTL among them), nested folders, names with spaces and unicode,
empty folders, stray files (.DS_Store, skipped by the importer and counted), sessions with and
without changes/, batches with and without output/error files, a logs/ folder. Sessions are generated
until the tree holds --size bytes (or --sessions sessions).

--fault KIND injects one fault into its own session (repeatable): invalid_json, invalid_jsonl,
non_utf8, nul, too_large, unknown_content_type, duplicate_key.

--expect FILE writes what the tree holds, as the generator knows it (the tests' oracle): per session
its files (file_type, content_type, locale, relative_path, sha256, size), jobs, batches and requests
with their expected status, whether it is expired, and the injected fault (file, line).
"""
import argparse
import hashlib
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone

LOCALES = ["en", "de", "fr", "es", "ja", "zh-CN", "ko", "ar", "he", "ru"]
CONTENT_TYPES = ["content", "global", "page"]
WORDS = {
    "en": "the quick brown fox jumps over lazy dog translation session content guide".split(),
    "de": "der schnelle braune Fuchs springt über den faulen Hund Übersetzung Größe".split(),
    "fr": "le renard brun rapide saute par-dessus le chien paresseux été café".split(),
    "es": "el rápido zorro marrón salta sobre el perro perezoso año niño".split(),
    "ja": "素早い 茶色の 狐が 怠惰な 犬を 飛び越える 翻訳 日本語 文書".split(),
    "zh-CN": "敏捷的 棕色 狐狸 跳过 懒惰的 狗 翻译 中文 文档".split(),
    "ko": "빠른 갈색 여우가 게으른 개를 뛰어넘는다 번역 한국어".split(),
    "ar": "الثعلب البني السريع يقفز فوق الكلب الكسول ترجمة عربية".split(),
    "he": "השועל החום המהיר קופץ מעל הכלב העצלן תרגום עברית".split(),
    "ru": "быстрая коричневая лиса прыгает через ленивую собаку перевод".split(),
}
NAMES = ["getting started", "guide d'été", "日本語 ページ", "FAQ", "über uns", "pricing", "دليل", "מדריך",
         "release-notes", "api reference", "导航", "index", "blog post (draft)", "changelog"]
FOLDERS = ["docs", "blog/2024", "guides/advanced topics", "ナビ", "nested/deeper/still deeper", "عربي"]
NOW = datetime.now(timezone.utc).replace(microsecond=0)


def ts(rng, when):
    """ISO 8601 in the service's variants: with/without ms, Z or an offset."""
    style = rng.randrange(4)
    if style == 0:
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % rng.randrange(1000)
    if style == 1:
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 2:
        off = timezone(timedelta(hours=2))
        return when.astimezone(off).isoformat(timespec="milliseconds")
    off = timezone(timedelta(hours=-5, minutes=-30))
    return when.astimezone(off).isoformat(timespec="seconds")


def text(rng, locale, size):
    words = WORDS.get(locale, WORDS["en"])
    parts, total = [], 0
    while total < size:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14)))
        if rng.random() < 0.2:
            line = "## " + line
        parts.append(line)
        total += len(line.encode()) + 1
    data = "\n".join(parts).encode()[:size]
    # Never cut a character in half.
    return data.decode("utf-8", "ignore").encode()


class Gen:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.total = 0
        self.expect = {"sessions": [], "stray_files": 0}

    def write(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        self.total += len(data)

    def stray(self, folder):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, ".DS_Store"), "wb") as f:
            f.write(b"\x00\x00\x00\x01Bud1\x00" + bytes(range(256)))
        self.expect["stray_files"] += 1

    def file_content(self, locale, fmt):
        size = self.rng.randint(self.a.file_min, self.a.file_max)
        if fmt == "json":
            body = text(self.rng, locale, max(16, size - 40)).decode()
            return json.dumps({"title": body[:40], "body": body}, ensure_ascii=False).encode()
        return text(self.rng, locale, size)

    def files(self, base, file_type, locale, sess, count):
        for _ in range(count):
            ct = self.rng.choice(CONTENT_TYPES)
            folder = self.rng.choice(FOLDERS) if self.rng.random() < 0.7 else ""
            fmt = self.rng.choice(["markdown", "markdown", "json"])
            ext = ".json" if fmt == "json" else self.rng.choice([".md", ".mdx"])
            name = self.rng.choice(NAMES) + "-%d" % self.rng.randrange(10**6) + ext
            rel = (folder + "/" if folder else "") + name
            data = self.file_content(locale, fmt)
            self.write(os.path.join(base, locale, ct, rel), data)
            sess["files"].append({"file_type": file_type, "content_type": ct, "locale": locale, "relative_path": rel,
                                  "file_name": name, "format": fmt, "sha256": hashlib.sha256(data).hexdigest(),
                                  "size": len(data)})
        if self.rng.random() < 0.3:
            os.makedirs(os.path.join(base, locale, self.rng.choice(CONTENT_TYPES), "empty folder"), exist_ok=True)
        if self.rng.random() < 0.3:
            self.stray(os.path.join(base, locale))

    def batch(self, sdir, sender, n, sess, src, targets):
        rng = self.rng
        batch_id = "batch-%s-%d" % (sender, n)
        openai_id = "batch_%016x" % rng.getrandbits(64)
        bdir = os.path.join(sdir, "batches", batch_id)
        size = rng.randint(self.a.jsonl_min, self.a.jsonl_max)
        has_output = rng.random() < 0.75
        status = "completed" if has_output else rng.choice(["submitted", "in_progress"])
        lines_in, lines_out, lines_err, requests = [], [], [], []
        total, i = 0, 0
        while total < size:
            cid = "req-%s-%05d" % (batch_id, i)
            content = text(rng, rng.choice(LOCALES), rng.randint(300, 1500)).decode()
            line = json.dumps({"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
                               "body": {"model": "gpt-4o-mini", "messages": [
                                   {"role": "system", "content": "Translate from %s to %s." % (src, targets[0])},
                                   {"role": "user", "content": content}]}}, ensure_ascii=rng.random() < 0.5)
            lines_in.append(line)
            total += len(line) + 1
            expected = "pending"
            if has_output:
                r = rng.random()
                if r < 0.80:
                    code = 200 if rng.random() < 0.95 else rng.choice([400, 429, 500])
                    expected = "completed" if code == 200 else "failed"
                    lines_out.append(json.dumps({"id": "batch_req_%d" % i, "custom_id": cid, "response": {
                        "status_code": code, "request_id": "req_%x" % rng.getrandbits(48),
                        "body": {"choices": [{"message": {"role": "assistant", "content": content[::-1]}}]}}, "error": None},
                        ensure_ascii=False))
                elif r < 0.9:
                    expected = "failed"
                    lines_err.append(json.dumps({"id": "batch_req_%d" % i, "custom_id": cid, "response": None,
                                                 "error": {"code": "rate_limit_exceeded", "message": "Too many requests"}}))
            requests.append({"custom_id": cid, "status": expected})
            i += 1
        manifest = {"batchId": batch_id, "openaiBatchId": openai_id, "status": status, "provider": "openai",
                    "model": "gpt-4o-mini", "sourceLocale": src, "targetLocales": targets,
                    "createdAt": ts(rng, NOW - timedelta(hours=rng.randint(1, 48))), "inputFileId": "file-%x" % rng.getrandbits(40)}
        if rng.random() < 0.5:
            manifest["requestCount"] = len(requests)
        self.write(os.path.join(bdir, "manifest.json"), json.dumps(manifest, indent=2).encode())
        self.write(os.path.join(bdir, "input.jsonl"), ("\n".join(lines_in) + "\n").encode())
        if has_output:
            self.write(os.path.join(bdir, openai_id + "_output.jsonl"), ("\n".join(lines_out) + "\n").encode())
            if lines_err:
                self.write(os.path.join(bdir, openai_id + "_error.jsonl"), ("\n".join(lines_err) + "\n").encode())
        sess["batches"].append({"batch_id": batch_id, "status": status, "requests": requests})

    def session(self, index, expired=False, fault=None):
        rng = self.rng
        sender = "sender-%05d" % index if index % 7 else "sender-%05d-ü" % index
        sdir = os.path.join(self.a.out, sender)
        src = rng.choice(LOCALES[:4])
        targets = rng.sample([l for l in LOCALES if l != src], rng.randint(1, 3))
        created = NOW - (timedelta(days=60) if expired else timedelta(hours=rng.randint(1, 72)))
        sess = {"sender_id": sender, "expired": expired, "fault": None, "files": [], "jobs": [], "batches": [],
                "session_type": "upload"}
        jobs = []
        for j in range(rng.randint(1, 3)):
            status = rng.choice(["pending", "processing", "completed", "failed"])
            job = {"jobId": "job-%s-%d" % (sender, j), "type": rng.choice(["upload", "batch", "changes"]), "status": status,
                   "provider": "openai", "model": "gpt-4o-mini", "sourceLocale": src, "targetLocales": targets,
                   "progress": {"completed": rng.randint(0, 10), "total": 10}, "createdAt": ts(rng, created),
                   "updatedAt": ts(rng, created + timedelta(minutes=5)), "retries": rng.randint(0, 2)}
            if status == "failed":
                job["error"] = "provider timeout"
            if status == "completed":
                job["completedAt"] = ts(rng, created + timedelta(minutes=9))
            jobs.append(job)
            sess["jobs"].append({"job_id": job["jobId"], "status": status})
        meta = {"senderId": sender, "status": rng.choice(["active", "processing", "completed"]), "sourceLocale": src,
                "targetLocales": targets, "createdAt": ts(rng, created), "updatedAt": ts(rng, created + timedelta(minutes=10)),
                "jobs": jobs, "clientVersion": "1.%d.0" % rng.randint(0, 9), "userAgent": "auto-i18n-cli"}
        if rng.random() < 0.3 and not expired:
            meta["expiresAt"] = ts(rng, NOW + timedelta(days=rng.randint(1, 30)))
        sess["has_expires_at"] = "expiresAt" in meta
        self.write(os.path.join(sdir, "metadata.json"), json.dumps(meta, ensure_ascii=False, indent=2).encode())
        n_files = rng.randint(2, 8)
        self.files(os.path.join(sdir, "uploads"), "upload", src, sess, n_files)
        for t in targets:
            self.files(os.path.join(sdir, "translations"), "translation", t, sess, rng.randint(1, n_files))
        if rng.random() < 0.4:
            self.files(os.path.join(sdir, "deltas"), "delta", src, sess, rng.randint(1, 3))
        if rng.random() < 0.3:
            sess["session_type"] = "changes"
            changes = {"senderId": sender, "status": meta["status"], "sourceLocale": src, "targetLocales": targets,
                       "createdAt": meta["createdAt"], "repository": "acme/site", "commit": "%040x" % rng.getrandbits(160),
                       "baseBranch": "main"}
            self.write(os.path.join(sdir, "changes", "metadata.json"), json.dumps(changes).encode())
            self.files(os.path.join(sdir, "changes", "original"), "original", src, sess, rng.randint(1, 3))
        for b in range(rng.randint(0, 2)):
            self.batch(sdir, sender, b, sess, src, targets)
        if rng.random() < 0.3:
            self.stray(sdir)
        if rng.random() < 0.2:
            os.makedirs(os.path.join(sdir, "uploads", src, "page", "nothing here"), exist_ok=True)
        if fault:
            sess["fault"] = self.inject(fault, sdir, sender, src, sess)
        self.expect["sessions"].append(sess)

    def inject(self, kind, sdir, sender, src, sess):
        rel = lambda p: os.path.relpath(p, self.a.out)
        if kind == "invalid_json":
            path = os.path.join(sdir, "metadata.json")
            with open(path, "rb") as f:
                data = f.read()
            lines = data.split(b"\n")
            lines[2] = lines[2].rstrip(b",") + b" ,,"
            self.write(path, b"\n".join(lines))
            return {"kind": kind, "file": rel(path), "line": 3}
        if kind in ("invalid_jsonl", "duplicate_key"):
            if not sess["batches"]:
                self.batch(sdir, sender, 9, sess, src, ["de"])
            b = sess["batches"][0]
            path = os.path.join(sdir, "batches", b["batch_id"], "input.jsonl")
            with open(path, "rb") as f:
                lines = f.read().rstrip(b"\n").split(b"\n")
            if kind == "invalid_jsonl":
                lines.insert(1, b'{"custom_id": "broken", "body": {')
            else:
                lines.insert(1, lines[0])
            self.write(path, b"\n".join(lines) + b"\n")
            return {"kind": kind, "file": rel(path), "line": 2}
        path = os.path.join(sdir, "uploads", src, "content", "fault %s.md" % kind)
        if kind == "non_utf8":
            self.write(path, b"line one\nline two \xff\xfe broken\n")
            return {"kind": kind, "file": rel(path), "line": 2}
        if kind == "nul":
            self.write(path, b"first\nsecond\nthird \x00 nul\n")
            return {"kind": kind, "file": rel(path), "line": 3}
        if kind == "too_large":
            self.write(path, b"x" * (10 * 1024 * 1024 + 1))
            return {"kind": kind, "file": rel(path), "line": None}
        if kind == "unknown_content_type":
            path = os.path.join(sdir, "uploads", src, "blog", "post.md")
            self.write(path, b"# blog\n")
            return {"kind": kind, "file": rel(os.path.dirname(path)) + "/", "line": None}
        sys.exit("unknown fault: " + kind)

    def run(self):
        a = self.a
        os.makedirs(a.out, exist_ok=True)
        self.write(os.path.join(a.out, "logs", "app.log"), b"2025-01-01 info started\n")
        self.stray(a.out)
        index = 1
        for kind in a.fault:
            self.session(index, fault=kind)
            index += 1
        for _ in range(a.expired):
            self.session(index, expired=True)
            index += 1
        while (a.sessions is not None and index <= a.sessions + len(a.fault) + a.expired) or \
                (a.sessions is None and self.total < a.size):
            self.session(index)
            index += 1
        if a.expect:
            with open(a.expect, "w") as f:
                json.dump(self.expect, f, ensure_ascii=False)
        print("generated %d sessions, %d bytes in %s" % (index - 1, self.total, a.out), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--size", type=int, default=20 * 1024 * 1024)
    p.add_argument("--sessions", type=int)
    p.add_argument("--expired", type=int, default=0)
    p.add_argument("--file-min", type=int, default=1024)
    p.add_argument("--file-max", type=int, default=100 * 1024)
    p.add_argument("--jsonl-min", type=int, default=100 * 1024)
    p.add_argument("--jsonl-max", type=int, default=5 * 1024 * 1024)
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--expect")
    Gen(p.parse_args()).run()


if __name__ == "__main__":
    main()
