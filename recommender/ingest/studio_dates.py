"""TikTok Studio day labels: localised, usually without a year (formats.md §2.3).

``parse_label`` turns "June 30", "25 Φεβρουαρίου", "18 tháng Tám", "8 de setembro", "9月13日",
"18 января", "11 septembre", "2022-08-10" or "20/6/2022" into a ``DayMonth``;
``assign_years`` gives a chronological daily file its years, anchored on a reference day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

_LANGUAGES = (
    "january february march april may june july august september october november december",
    "jan feb mar apr may jun jul aug sep oct nov dec",
    "janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre",
    "janeiro fevereiro marco abril maio junho julho agosto setembro outubro novembro dezembro",
    "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "januar februar marz april mai juni juli august september oktober november dezember",
    # Greek: genitive (as exported: "25 Φεβρουαρίου") and nominative; accents stripped
    "ιανουαριου φεβρουαριου μαρτιου απριλιου μαιου ιουνιου ιουλιου αυγουστου σεπτεμβριου "
    "οκτωβριου νοεμβριου δεκεμβριου",
    "ιανουαριος φεβρουαριος μαρτιος απριλιος μαιος ιουνιος ιουλιος αυγουστος σεπτεμβριος "
    "οκτωβριος νοεμβριος δεκεμβριος",
    # Russian: genitive ("18 января") and nominative; "й" loses its breve when accents go
    "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "январь февраль март апрель маи июнь июль август сентябрь октябрь ноябрь декабрь",
)
MONTHS: dict[str, int] = {
    word: number
    for line in _LANGUAGES
    for number, word in enumerate(line.split(), start=1)
}
MONTHS["sept"] = 9
# Vietnamese: "tháng" followed by the month's number word ("18 tháng Tám" = 18 August)
_VI_NUMBERS = {"mot": 1, "gieng": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6,
               "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12,
               "chap": 12}
_CJK = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
MAX_ROLL_GAP_DAYS = 31  # a backward step in a daily file is a new year only if the gap is small


@dataclass(frozen=True)
class DayMonth:
    """A day label; ``year`` is None when the export left it out."""

    month: int
    day: int
    year: int | None = None

    def in_year(self, year: int) -> date:
        return date(year, self.month, self.day)

    def key(self) -> tuple[int, int]:
        return (self.month, self.day)


def _plain(text: str) -> str:
    """Lower-case without accents (Greek tonos, Vietnamese marks, French accents)."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("đ", "d")


def parse_label(value: object) -> DayMonth:
    """Parse one Studio ``Date``/``Time``/``Post time`` cell; ValueError when it is no date."""
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ValueError("empty date")
    for pattern, order in ((_YMD, "ymd"), (_DMY, "dmy")):
        match = pattern.fullmatch(text)
        if match:
            a, b, c = (int(g) for g in match.groups()[:3])
            year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
            if order == "dmy" and month > 12 >= day:  # 6/20/2022: US order
                month, day = day, month
            return _checked(month, day, year, text)
    match = _CJK.fullmatch(text)
    if match:
        year = int(match.group(1)) if match.group(1) else None
        return _checked(int(match.group(2)), int(match.group(3)), year, text)
    return _parse_words(_plain(text), text)


def _parse_words(plain: str, original: str) -> DayMonth:
    tokens = re.findall(r"\w+", plain)
    month: int | None = None
    if "thang" in tokens:  # Vietnamese: the month follows "tháng"
        after = tokens[tokens.index("thang") + 1 :]
        tokens = tokens[: tokens.index("thang")]
        two, one = " ".join(after[:2]), after[0] if after else ""
        month = (int(one) if one.isdigit() else _VI_NUMBERS.get(two) or _VI_NUMBERS.get(one))
    else:
        months = [MONTHS[t] for t in tokens if t in MONTHS]
        month = months[0] if len(months) == 1 else None
    numbers = [int(t) for t in tokens if t.isdigit()]
    years = [n for n in numbers if n >= 1000]
    days = [n for n in numbers if n < 1000]
    if month is None or len(days) != 1 or len(years) > 1:
        raise ValueError(f"not a date: {original!r}")
    return _checked(month, days[0], years[0] if years else None, original)


def _checked(month: int, day: int, year: int | None, original: str) -> DayMonth:
    try:
        date(year or 2000, month, day)  # 2000 is a leap year: 29 February is allowed
    except ValueError as exc:
        raise ValueError(f"no such day: {original!r}") from exc
    return DayMonth(month, day, year)


def latest_not_after(label: DayMonth, reference: date) -> date:
    """The most recent date with this month and day that is not after ``reference``."""
    for year in range(reference.year, reference.year - 9, -1):
        try:
            candidate = label.in_year(year)
        except ValueError:  # 29 February outside a leap year
            continue
        if candidate <= reference:
            return candidate
    raise ValueError(f"no {label.month}/{label.day} before {reference}")


def first_on_or_after(label: DayMonth, lower: date) -> date:
    """The earliest date with this month and day that is on or after ``lower``."""
    for year in range(lower.year, lower.year + 9):
        try:
            candidate = label.in_year(year)
        except ValueError:
            continue
        if candidate >= lower:
            return candidate
    raise ValueError(f"no {label.month}/{label.day} after {lower}")


def nearest(label: DayMonth, around: date) -> date:
    """This month and day in the year that puts it closest to ``around``."""
    options = []
    for year in (around.year - 1, around.year, around.year + 1):
        try:
            options.append(label.in_year(year))
        except ValueError:
            continue
    return min(options, key=lambda d: abs((d - around).days))


def _ordinal(month: int, day: int) -> int:
    return (date(2000, month, day) - date(2000, 1, 1)).days  # leap-year calendar


def assign_years(labels: list[DayMonth | None], reference: date) -> list[date | str]:
    """Dates for a chronological daily file: year rolls at Dec -> Jan, and the last row is
    the most recent such day not after ``reference``. Rows get a date or a reject reason."""
    offsets: list[int | str] = []
    rolls = 0
    previous: DayMonth | None = None
    for label in labels:
        if label is None or label.year is not None:
            offsets.append(0)
            continue
        if previous is not None and label.key() < previous.key():
            gap = _ordinal(*label.key()) + 366 - _ordinal(*previous.key())
            if gap > MAX_ROLL_GAP_DAYS:
                offsets.append("out of date order (daily files are chronological)")
                continue
            rolls += 1
        offsets.append(rolls)
        previous = label
    if previous is None:  # every label carried its year (or none parsed)
        return [lab.in_year(lab.year) if lab and lab.year else "no date" for lab in labels]
    base = latest_not_after(previous, reference).year - rolls
    out: list[date | str] = []
    for label, offset in zip(labels, offsets):
        if label is None or isinstance(offset, str):
            out.append(offset if isinstance(offset, str) else "no date")
        elif label.year is not None:
            out.append(label.in_year(label.year))
        else:
            try:
                out.append(label.in_year(base + offset))
            except ValueError:
                out.append("29 February in a year that is not a leap year")
    return out


def days_before(day: date, reference: date) -> int:
    return (reference - day).days


def shift(day: date, days: int) -> date:
    return day + timedelta(days=days)
