#!/usr/bin/env python3
"""Independent text extraction of SpamAssassin corpus mails, for checking the spam preset.

Why it exists: scripts/spam-corpus extracts mail text with the kit's own Java pipeline
(mime4j + jsoup + the corpus policy in MailParser), and the model trained on that text is scored
on the same pipeline's eval.jsonl. A model that leans on quirks of one extraction looks better
there than it will on mail text produced by anything else. This script is a second, deliberately
separate pipeline -- Python's standard library only (email, html.parser), no shared code, no
shared rules -- that turns the raw held-out mails into the JSONL that scripts/evaluate reads:

    scripts/dev/independent-extract.py --data <npm package or its data dir> --out indep.jsonl
    scripts/evaluate --model minilm-spam --data indep.jsonl --positive-label spam

What a reasonable pipeline does, and nothing more: decode transfer encodings and declared
charsets (undecodable bytes replaced), take the text/plain parts that are not attachments, or the
text/html parts when there is no plain one, drop <style> and <script> (unless --keep-css), decode
entities, collapse all whitespace to single spaces, and put the Subject first. Exact-duplicate
texts are dropped, as the kit's converter does, so the two files are comparable.

Default folders are the held-out ones (easy-ham-2, spam-2). Standard library only, Python 3.8+.
"""

import argparse
import email
import email.header
import email.policy
import json
import os
import sys
from html.parser import HTMLParser

HELD_OUT = ["easy-ham-2", "spam-2"]
MAX_CHARS = 20000


class _Visible(HTMLParser):
    """Collects character data, skipping the contents of invisible elements."""

    def __init__(self, skip):
        super().__init__(convert_charrefs=True)
        self.skip = skip
        self.depth = 0
        self.out = []

    def handle_starttag(self, tag, attrs):
        if tag in self.skip:
            self.depth += 1
        elif tag in ("br", "p", "div", "tr", "li", "td", "th"):
            self.out.append(" ")

    def handle_endtag(self, tag):
        if tag in self.skip and self.depth > 0:
            self.depth -= 1
        elif tag in ("p", "div", "tr", "li", "td", "th"):
            self.out.append(" ")

    def handle_data(self, data):
        if self.depth == 0:
            self.out.append(data)


def html_to_text(html, keep_css):
    parser = _Visible(set() if keep_css else {"style", "script"})
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is a last resort
        pass
    return "".join(parser.out)


def part_text(part):
    payload = part.get_payload(decode=True)  # transfer encoding undone; None for multiparts
    if payload is None:
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # charset Python does not know
        return payload.decode("latin-1")


def extract(raw, keep_css):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    try:
        subject = str(email.header.make_header(email.header.decode_header(msg.get("Subject", ""))))
    except Exception:
        subject = str(msg.get("Subject", ""))
    plain, html = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if (part.get("Content-Disposition") or "").strip().lower().startswith("attachment"):
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(part_text(part))
        elif ctype == "text/html":
            html.append(html_to_text(part_text(part), keep_css))
    body = " ".join(plain) if any(p.strip() for p in plain) else " ".join(html)
    text = " ".join((subject + "\n" + body).split())
    return text[:MAX_CHARS]


def data_dir(location):
    for candidate in (
        os.path.join(location, "data"),
        location,
        os.path.join(location, "node_modules", "@stdlib", "datasets-spam-assassin", "data"),
    ):
        if all(os.path.isdir(os.path.join(candidate, f)) for f in HELD_OUT):
            return candidate
    sys.exit("error: no %s under %s" % (", ".join(HELD_OUT), location))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="the npm package, its data folder or prefix")
    ap.add_argument("--out", required=True, help="JSONL to write")
    ap.add_argument("--folders", default=",".join(HELD_OUT), help="comma-separated folders")
    ap.add_argument("--keep-css", action="store_true", help="leave <style>/<script> text in")
    args = ap.parse_args()
    root = data_dir(args.data)
    seen, counts, dropped = set(), {}, 0
    with open(args.out, "w", encoding="utf-8", newline="\n") as out:
        for folder in args.folders.split(","):
            label = "spam" if folder.startswith("spam") else "ham"
            names = sorted(n for n in os.listdir(os.path.join(root, folder)) if n.endswith(".txt"))
            for name in names:
                with open(os.path.join(root, folder, name), "rb") as f:
                    text = extract(f.read(), args.keep_css)
                if not text or text in seen:
                    dropped += 1
                    continue
                seen.add(text)
                counts[label] = counts.get(label, 0) + 1
                record = {"text": text, "label": label, "source": folder,
                          "id": folder + "/" + name[: -len(".txt")]}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print("%s: %d records %s, %d empty or duplicate dropped"
          % (args.out, sum(counts.values()), counts, dropped), file=sys.stderr)


if __name__ == "__main__":
    main()
