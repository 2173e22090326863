"""Free text: only approved quotes, automatically redacted, and a checker for whole output folders.

Redaction replaces e-mail addresses, UK telephone numbers, NHS numbers, UK postcodes, names
after a title ("Dr Patel", "Mrs J. Smith", "Nurse Okafor"), common first names (with the
surname that follows them) and the names in a user-supplied list with ``[redacted]``. Free text
that has no approval column (survey comments) is never published.

Names are found with patterns and a deny list, the approach of Presidio's ``PatternRecognizer``.
``presidio-analyzer`` itself is not used: it requires spaCy even for pattern recognisers, and its
only person-name recogniser is spaCy's statistical NER, which needs a model download (hundreds
of MB) that a council's offline machine cannot make. A name with neither a title nor a common
first name ("ring Patel") is not found: list it in ``--redact-names``.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

__all__ = ["redact", "find_personal", "find_leaks", "approved_quotes", "redact_check", "Finding", "PATTERNS", "LEAK_PATTERNS"]

MARK = "[redacted]"

PATTERNS = {
    "email": re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"),
    # NHS number: 10 digits, often written 3-3-4.
    "nhs_number": re.compile(r"(?<![\d.])\d{3}[ \-]?\d{3}[ \-]?\d{4}(?![\d.])"),
    # UK phone numbers: 0 or +44 followed by 9-10 digits, with optional spaces, dashes, brackets.
    "phone": re.compile(r"(?<![\w.])(?:\+44\s?\(?0?\)?|\(?0)\d{2,4}\)?[\s\-]?\d{3,4}[\s\-]?\d{3,4}(?![\w.])"),
    "postcode": re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\s?\d[A-Z]{2}\b", re.IGNORECASE),
}


#: Titles that precede a person's name in quotes.
TITLES = ("Dr", "Doctor", "Mr", "Mrs", "Ms", "Miss", "Mx", "Prof", "Professor", "Nurse", "Sister", "Matron", "Cllr",
          "Councillor", "Rev", "Reverend", "Father", "Sir", "Dame", "Lady", "Lord")

#: Common first names in England and Wales (ONS birth registrations, all ages), leaving out those
#: that are also ordinary words (May, Will, Grace, Hope, Joy, Rose, Mark, Bill, Frank, ...).
FIRST_NAMES = (
    "Aaron Abdul Abigail Adam Adrian Ahmed Aidan Aisha Alan Albert Alex Alexander Alexandra Alfie Alice Alison Amanda "
    "Amelia Amir Amy Andrea Andrew Angela Ann Anna Anne Anthony Archie Arthur Ashley Audrey Ayesha Barbara Barry "
    "Beatrice Ben Benjamin Bernard Beth Bethany Betty Beverley Brenda Brian Bridget Callum Cameron Carl Carol Caroline "
    "Catherine Charles Charlie Charlotte Chloe Christine Christopher Claire Clare Colin Connor Craig Daniel Danielle "
    "Darren David Dean Deborah Denise Dennis Derek Diane Donna Doreen Dorothy Douglas Edward Eileen Elaine Eleanor "
    "Elizabeth Ella Ellie Emily Emma Eric Ethan Evelyn Fatima Fiona Freya Gail Gareth Gary Gemma Geoffrey George "
    "Georgia Gillian Gordon Graham Hannah Harry Harvey Hassan Hazel Heather Helen Henry Hugh Ian Imran Irene Isabel "
    "Isabella Isla Jacob Jacqueline James Jamie Jane Janet Janice Jason Jean Jennifer Jessica Joan Joanne Joe John "
    "Jonathan Joseph Joshua Joyce Judith Julia Julie Karen Kathleen Katie Kayleigh Keith Kelly Kenneth Kevin Kieran "
    "Kirsty Laura Lauren Leah Lee Leon Lesley Leslie Liam Linda Lindsay Lisa Logan Lorraine Louise Lucy Luke Lynn "
    "Maisie Malcolm Margaret Maria Marie Marion Martin Mary Matthew Maureen Megan Melanie Michael Michelle Mohammed "
    "Mohammad Muhammad Natalie Nathan Neil Nicholas Nicola Noah Norman Oliver Olivia Oscar Pamela Patricia Paul "
    "Pauline Peter Philip Priya Rachel Rebecca Richard Robert Rebekah Ronald Rosemary Ruth Ryan Sally Samantha Samuel "
    "Sandra Sarah Scott Sean Sharon Sheila Shirley Simon Sophie Stephen Steven Stuart Susan Suzanne Sylvia Teresa "
    "Thomas Timothy Tracey Tracy Trevor Valerie Vanessa Victoria Vincent Wendy William Yasmin Yvonne Zara Zoe"
).split()

_NAME = r"[A-Z][a-z]*(?:['’-][A-Z]?[a-z]+)*"
_TITLE = r"(?:" + "|".join(TITLES) + r")\.?\s+"
NAME_PATTERNS = {
    # One or more titles, optional initials, then one to three capitalised words.
    "titled name": re.compile(r"\b(?:" + _TITLE + r")+(?:[A-Z]\.?\s*)*" + _NAME + r"(?:\s+" + _NAME + r"){0,2}"),
    # A common first name, optionally with an initial and the surname after it.
    "first name": re.compile(r"\b(?:" + "|".join(FIRST_NAMES) + r")\b(?:\s+(?:[A-Z]\.\s*)?" + _NAME + r")?"),
}


#: What must never reach a reader: Python warnings and tracebacks, and file paths of the machine
#: that ran the report (they show folder and user names).
LEAK_PATTERNS = {
    "traceback": re.compile(r"Traceback \(most recent call last\)|^\s*File \"[^\"]+\", line \d+", re.MULTILINE),
    "warning": re.compile(r"\b[A-Z][A-Za-z]*Warning\b:"),
    "file path": re.compile(r"(?<![\w/.])(?:/(?:home|Users|tmp|var|opt|usr|root|srv|mnt|private|work)/[^\s\"'<>]+"
                            r"|[A-Za-z]:\\[^\s\"'<>]+|site-packages/[^\s\"'<>]+)"),
}


def find_leaks(text: str) -> list[tuple[str, str]]:
    """Every (kind, match) of a warning, traceback or file path in ``text``."""
    return [(kind, m.group(0)) for kind, pat in LEAK_PATTERNS.items() for m in pat.finditer(text)]


def _name_pattern(names) -> re.Pattern | None:
    names = [n.strip() for n in (names or []) if n and n.strip()]
    if not names:
        return None
    alts = sorted({re.escape(n) for n in names}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(alts) + r")\b", re.IGNORECASE)


def redact(text, names=None) -> str:
    """``text`` with e-mails, phone numbers, NHS numbers, postcodes and listed names replaced.

    Examples
    --------
    >>> redact("Call Dr Smith on 01234 567890 or a.smith@nhs.net, SW1A 1AA", names=["Dr Smith"])
    'Call [redacted] on [redacted] or [redacted], [redacted]'
    >>> redact("Ring Dr Patel, or ask Susan Okafor in the discharge team")
    'Ring [redacted], or ask [redacted] in the discharge team'
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    out = str(text)
    np_ = _name_pattern(names)
    if np_ is not None:
        out = np_.sub(MARK, out)
    for pat in (*PATTERNS.values(), *NAME_PATTERNS.values()):
        out = pat.sub(MARK, out)
    return out


def find_personal(text: str, names=None) -> list[tuple[str, str]]:
    """Every (kind, match) of personal data in ``text``."""
    found = [(kind, m.group(0)) for kind, pat in {**PATTERNS, **NAME_PATTERNS}.items() for m in pat.finditer(text)]
    np_ = _name_pattern(names)
    if np_ is not None:
        found += [("name", m.group(0)) for m in np_.finditer(text)]
    return found


def approved_quotes(interviews: pd.DataFrame, names=None) -> pd.DataFrame:
    """Quotes approved for publication (``quote_approved`` Yes), redacted, with their theme."""
    if interviews is None or "quote" not in interviews.columns or "quote_approved" not in interviews.columns:
        return pd.DataFrame(columns=["site_id", "stakeholder_group", "theme", "quote"])
    ok = (interviews["quote_approved"].astype(str) == "Yes") & interviews["quote"].notna()
    q = interviews.loc[ok, ["site_id", "stakeholder_group", "theme", "quote"]].copy()
    q["quote"] = [redact(t, names) for t in q["quote"]]
    return q.drop_duplicates().reset_index(drop=True)


@dataclass(frozen=True)
class Finding:
    file: str
    kind: str
    text: str

    def __str__(self):
        return f"{self.file}: {self.kind}: {self.text[:80]!r}"


_TEXT_SUFFIXES = {".html", ".htm", ".csv", ".json", ".md", ".txt", ".ipynb", ".svg", ".tsv", ".yaml", ".yml"}


def _texts(path: Path):
    """Text content of an output file (xlsx: every cell's text; images other than SVG: none)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith(".xml"):
                    yield re.sub(r"<[^>]+>", " ", z.read(name).decode("utf-8", "replace"))
    elif suffix in (".html", ".htm"):
        # What a reader sees: scripts and styles dropped, tags removed.
        text = path.read_text(encoding="utf-8", errors="replace")
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        yield re.sub(r"<[^>]+>", " ", text)
    elif suffix in _TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
        if suffix == ".ipynb":
            try:
                text = json.dumps(json.loads(text), ensure_ascii=False)
            except json.JSONDecodeError:
                pass
        yield text


def _strip_noise(text: str) -> str:
    # Embedded images (base64) and long hex digests are not text a person reads.
    text = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+", " ", text)
    return re.sub(r"\b[0-9a-f]{32,}\b", " ", text)


def redact_check(output_dir: str | os.PathLike, *, data_dir: str | os.PathLike | None = None, names=None) -> list[Finding]:
    """Scan every file under ``output_dir`` for personal data, raw rows and leaks.

    Looks for e-mail addresses, phone numbers, NHS numbers, postcodes, listed names, Python
    warnings, tracebacks and file paths (:data:`LEAK_PATTERNS`); with
    ``data_dir`` also for free text that must never be published (survey comments and quotes not
    approved) and for raw rows (three or more identifying cells of one input row together).
    Returns every finding (empty when the folder is clean).
    """
    from .loaders import load_data_dir

    output_dir = Path(output_dir)
    forbidden: list[tuple[str, str]] = []
    row_keys: list[tuple[str, ...]] = []
    if data_dir is not None:
        data = load_data_dir(data_dir)
        for name, df in data.tables.items():
            if "comment" in df.columns:
                forbidden += [("unpublished comment", str(t)) for t in df["comment"].dropna() if len(str(t).strip()) >= 15]
            if name == "interviews" and "quote" in df.columns:
                bad = df["quote"].notna() & (df.get("quote_approved", pd.Series(index=df.index, dtype=object)).astype(str) != "Yes")
                forbidden += [("unapproved quote", str(t)) for t in df.loc[bad, "quote"] if len(str(t).strip()) >= 15]
        for name in ("gp_survey", "older_people_survey", "professional_survey", "case_reviews"):
            df = data.get(name)
            if df is not None:
                key = "case_id" if name == "case_reviews" else "respondent_id"
                row_keys += [(str(k), str(s)) for k, s in zip(df[key], df["site_id"])]
    approved = set()
    if data_dir is not None and data.get("interviews") is not None:
        approved = {redact(q, names) for q in approved_quotes(data["interviews"], names)["quote"]}
    findings: list[Finding] = []
    key_pattern = None
    if row_keys:
        ids = sorted({k for k, _ in row_keys}, key=len, reverse=True)
        key_pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(i) for i in ids) + r")(?![\w-])")
    for path in sorted(p for p in output_dir.rglob("*") if p.is_file()):
        rel = str(path.relative_to(output_dir))
        for text in _texts(path):
            text = _strip_noise(text)
            for kind, match in find_personal(text, names):
                if kind == "nhs_number" and re.fullmatch(r"\d{10}", match) and path.suffix.lower() in (".csv", ".json"):
                    # Long plain numbers in data files are figures (populations, sums), not NHS numbers,
                    # unless they pass the NHS modulus 11 check.
                    if not _nhs_checksum_ok(match):
                        continue
                findings.append(Finding(rel, kind, match))
            for kind, match in find_leaks(text):
                findings.append(Finding(rel, kind, match))
            for kind, t in forbidden:
                if t in text and t not in approved:
                    findings.append(Finding(rel, kind, t))
            if key_pattern is not None:
                hits = key_pattern.findall(text)
                if hits:
                    findings.append(Finding(rel, "raw row identifier", ", ".join(sorted(set(hits))[:5])))
    return findings


def _nhs_checksum_ok(digits: str) -> bool:
    d = [int(c) for c in digits]
    total = sum(v * w for v, w in zip(d[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == d[9]
