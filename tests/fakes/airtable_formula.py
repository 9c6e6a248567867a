"""Airtable formula language, as far as filterByFormula needs it.

parse(text, field_names) -> Formula (raises FormulaError on syntax errors,
unknown functions, wrong argument counts and unknown fields: Airtable
answers those with 422 INVALID_FILTER_BY_FORMULA).  Formula.matches(record)
evaluates it for one record; a runtime error (#ERROR! in Airtable, e.g.
DATETIME_FORMAT of a non-date) makes the record not match, as Airtable
leaves out records whose formula is an error.

Values: None (blank), bool, int/float, str, DT (an instant plus the zone
SET_TIMEZONE gave it; UTC otherwise, which is what Airtable uses for
formulas evaluated by the API).
"""

import datetime as _dt
import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = _dt.timezone.utc


class FormulaError(Exception):
    """The formula cannot be parsed or refers to something unknown."""


class EvalError(Exception):
    """#ERROR! while evaluating for one record."""


class DT:
    __slots__ = ("utc", "tz")

    def __init__(self, utc, tz=None):
        self.utc = utc.astimezone(UTC)
        self.tz = tz

    def local(self):
        return self.utc.astimezone(self.tz or UTC)

    def iso(self):
        return iso_utc(self.utc)

    def __repr__(self):
        return "DT(%s, %s)" % (self.iso(), self.tz)


def iso_utc(d):
    d = d.astimezone(UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (
        d.microsecond // 1000)


_ISO_RE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$")


def parse_iso(text):
    """ISO 8601 date or date-time -> aware datetime (naive means UTC);
    None when `text` is not one."""
    m = _ISO_RE.match(text or "")
    if not m:
        return None
    y, mo, d, h, mi, s, frac, off = m.groups()
    try:
        us = int((frac or "0")[:6].ljust(6, "0"))
        tz = UTC
        if off and off != "Z":
            sign = -1 if off[0] == "-" else 1
            hh, mm = int(off[1:3]), int(off[-2:])
            tz = _dt.timezone(sign * _dt.timedelta(hours=hh, minutes=mm))
        return _dt.datetime(int(y), int(mo), int(d), int(h or 0),
                            int(mi or 0), int(s or 0), us, tzinfo=tz)
    except ValueError:
        return None


# ---- moment.js format tokens (DATETIME_FORMAT / DATETIME_PARSE) -------------

_MONTHS = ["January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"]
_DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
         "Saturday"]
_TOKEN_RE = re.compile(
    r"\[[^\]]*\]|YYYY|YY|MMMM|MMM|MM|M|Do|DD|D|dddd|ddd|d|HH|H|hh|h|mm|m"
    r"|ss|s|SSS|A|a|ZZ|Z|X|x|.", re.S)


def _ordinal(n):
    if 10 <= n % 100 <= 20:
        return "%dth" % n
    return "%d%s" % (n, {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th"))


def _offset(d, colon):
    off = d.utcoffset() or _dt.timedelta(0)
    mins = int(off.total_seconds() // 60)
    sign = "-" if mins < 0 else "+"
    mins = abs(mins)
    return "%s%02d%s%02d" % (sign, mins // 60, ":" if colon else "",
                             mins % 60)


def format_moment(value, fmt):
    d = value.local()
    h12 = d.hour % 12 or 12
    out = []
    for tok in _TOKEN_RE.findall(fmt):
        if tok.startswith("[") and tok.endswith("]") and len(tok) >= 2:
            out.append(tok[1:-1])
            continue
        out.append({
            "YYYY": lambda: "%04d" % d.year,
            "YY": lambda: "%02d" % (d.year % 100),
            "MMMM": lambda: _MONTHS[d.month - 1],
            "MMM": lambda: _MONTHS[d.month - 1][:3],
            "MM": lambda: "%02d" % d.month,
            "M": lambda: "%d" % d.month,
            "Do": lambda: _ordinal(d.day),
            "DD": lambda: "%02d" % d.day,
            "D": lambda: "%d" % d.day,
            "dddd": lambda: _DAYS[(d.weekday() + 1) % 7],
            "ddd": lambda: _DAYS[(d.weekday() + 1) % 7][:3],
            "d": lambda: "%d" % ((d.weekday() + 1) % 7),
            "HH": lambda: "%02d" % d.hour,
            "H": lambda: "%d" % d.hour,
            "hh": lambda: "%02d" % h12,
            "h": lambda: "%d" % h12,
            "mm": lambda: "%02d" % d.minute,
            "m": lambda: "%d" % d.minute,
            "ss": lambda: "%02d" % d.second,
            "s": lambda: "%d" % d.second,
            "SSS": lambda: "%03d" % (d.microsecond // 1000),
            "A": lambda: "AM" if d.hour < 12 else "PM",
            "a": lambda: "am" if d.hour < 12 else "pm",
            "Z": lambda: _offset(d, True),
            "ZZ": lambda: _offset(d, False),
            "X": lambda: "%d" % int(d.timestamp()),
            "x": lambda: "%d" % int(d.timestamp() * 1000),
        }.get(tok, lambda: tok)())
    return "".join(out)


def parse_moment(text, fmt):
    """DATETIME_PARSE with an explicit format; the result is UTC unless the
    text carries an offset."""
    groups = []
    rx = []
    for tok in _TOKEN_RE.findall(fmt):
        if tok.startswith("[") and tok.endswith("]") and len(tok) >= 2:
            rx.append(re.escape(tok[1:-1]))
            continue
        pat = {
            "YYYY": r"(\d{4})", "YY": r"(\d{2})",
            "MMMM": "(" + "|".join(_MONTHS) + ")",
            "MMM": "(" + "|".join(m[:3] for m in _MONTHS) + ")",
            "MM": r"(\d{1,2})", "M": r"(\d{1,2})",
            "DD": r"(\d{1,2})", "D": r"(\d{1,2})",
            "Do": r"(\d{1,2})(?:st|nd|rd|th)",
            "HH": r"(\d{1,2})", "H": r"(\d{1,2})",
            "hh": r"(\d{1,2})", "h": r"(\d{1,2})",
            "mm": r"(\d{1,2})", "m": r"(\d{1,2})",
            "ss": r"(\d{1,2})", "s": r"(\d{1,2})",
            "SSS": r"(\d{1,3})", "A": r"(AM|PM|am|pm)", "a": r"(AM|PM|am|pm)",
            "Z": r"(Z|[+-]\d{2}:?\d{2})", "ZZ": r"(Z|[+-]\d{2}:?\d{2})",
            "X": r"(\d+)", "x": r"(\d+)",
        }.get(tok)
        if pat is None:
            rx.append(re.escape(tok))
        else:
            rx.append(pat)
            groups.append(tok)
    m = re.fullmatch("".join(rx), text.strip(), re.I)
    if not m:
        raise EvalError("DATETIME_PARSE: %r does not match %r" % (text, fmt))
    f = dict(year=1970, month=1, day=1, hour=0, minute=0, second=0, us=0)
    pm = None
    tz = UTC
    for tok, val in zip(groups, m.groups()):
        if tok == "YYYY":
            f["year"] = int(val)
        elif tok == "YY":
            f["year"] = 2000 + int(val) if int(val) < 69 else 1900 + int(val)
        elif tok in ("MMMM", "MMM"):
            f["month"] = [x[:len(val)].lower() for x in _MONTHS].index(
                val.lower()) + 1
        elif tok in ("MM", "M"):
            f["month"] = int(val)
        elif tok in ("DD", "D", "Do"):
            f["day"] = int(val)
        elif tok in ("HH", "H", "hh", "h"):
            f["hour"] = int(val)
        elif tok in ("mm", "m"):
            f["minute"] = int(val)
        elif tok in ("ss", "s"):
            f["second"] = int(val)
        elif tok == "SSS":
            f["us"] = int(val.ljust(3, "0")) * 1000
        elif tok in ("A", "a"):
            pm = val.lower() == "pm"
        elif tok in ("Z", "ZZ"):
            if val != "Z":
                sign = -1 if val[0] == "-" else 1
                tz = _dt.timezone(sign * _dt.timedelta(
                    hours=int(val[1:3]), minutes=int(val[-2:])))
        elif tok in ("X", "x"):
            secs = int(val) / (1000.0 if tok == "x" else 1.0)
            return _dt.datetime.fromtimestamp(secs, UTC)
    if pm is not None:
        f["hour"] = f["hour"] % 12 + (12 if pm else 0)
    try:
        return _dt.datetime(f["year"], f["month"], f["day"], f["hour"],
                            f["minute"], f["second"], f["us"], tzinfo=tz)
    except ValueError as e:
        raise EvalError(str(e))


# ---- tokenizer --------------------------------------------------------------

_OPS = ("!=", "<=", ">=", "=", "<", ">", "&", "+", "-", "*", "/")


def _tokenize(text):
    toks = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "'\"":
            q = c
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise FormulaError("unterminated string literal")
                c = text[i]
                if c == "\\":
                    if i + 1 >= n:
                        raise FormulaError("unterminated string literal")
                    e = text[i + 1]
                    buf.append({"n": "\n", "t": "\t", "r": "\r"}.get(e, e))
                    i += 2
                elif c == q:
                    i += 1
                    break
                else:
                    buf.append(c)
                    i += 1
            toks.append(("STR", "".join(buf)))
        elif c == "{":
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise FormulaError("unterminated field reference")
                c = text[i]
                if c == "\\" and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                elif c == "}":
                    i += 1
                    break
                else:
                    buf.append(c)
                    i += 1
            toks.append(("FIELD", "".join(buf)))
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = re.compile(r"\d*\.?\d+(?:[eE][+-]?\d+)?").match(text, i)
            s = m.group(0)
            toks.append(("NUM", float(s) if ("." in s or "e" in s.lower())
                         else int(s)))
            i = m.end()
        elif c.isalpha() or c == "_":
            m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(text, i)
            toks.append(("IDENT", m.group(0)))
            i = m.end()
        elif c in "(),":
            toks.append((c, c))
            i += 1
        else:
            for op in _OPS:
                if text.startswith(op, i):
                    toks.append(("OP", op))
                    i += len(op)
                    break
            else:
                raise FormulaError("unexpected character %r at %d" % (c, i))
    toks.append(("EOF", None))
    return toks


# ---- functions: name -> (min args, max args or None, implementation) -----

def _num(v):
    if v is None:
        return 0
    if isinstance(v, bool):
        return 1 if v else 0
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str):
        try:
            f = float(v.strip()) if v.strip() else 0
        except ValueError:
            raise EvalError("not a number: %r" % v)
        return int(f) if float(f).is_integer() else f
    raise EvalError("not a number")


def _str(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, DT):
        return v.iso()
    return v


def truthy(v):
    if v is None:
        return False
    if isinstance(v, (bool, int)):
        return bool(v)
    if isinstance(v, float):
        return v != 0 and not math.isnan(v)
    if isinstance(v, str):
        return v != ""
    return True


def _date(v):
    if isinstance(v, DT):
        return v
    if isinstance(v, str):
        d = parse_iso(v)
        if d is not None:
            return DT(d)
    if v is None:
        raise EvalError("blank date")
    raise EvalError("not a date: %r" % (v,))


_UNITS = {
    "ms": "milliseconds", "millisecond": "milliseconds",
    "milliseconds": "milliseconds",
    "s": "seconds", "second": "seconds", "seconds": "seconds",
    "m": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days",
    "w": "weeks", "week": "weeks", "weeks": "weeks",
    "M": "months", "month": "months", "months": "months",
    "Q": "quarters", "quarter": "quarters", "quarters": "quarters",
    "y": "years", "year": "years", "years": "years",
}


def _unit(u):
    u = _str(u)
    unit = _UNITS.get(u) or _UNITS.get(u.lower() if len(u) > 1 else u)
    if unit is None:
        raise EvalError("unknown unit %r" % u)
    return unit


def _truncate(d, unit):
    if unit == "milliseconds":
        return d.replace(microsecond=d.microsecond // 1000 * 1000)
    if unit == "seconds":
        return d.replace(microsecond=0)
    if unit == "minutes":
        return d.replace(second=0, microsecond=0)
    if unit == "hours":
        return d.replace(minute=0, second=0, microsecond=0)
    day = d.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "days":
        return day
    if unit == "weeks":  # moment's default (en) locale: weeks start Sunday
        return day - _dt.timedelta(days=(d.weekday() + 1) % 7)
    if unit == "months":
        return day.replace(day=1)
    if unit == "quarters":
        return day.replace(day=1, month=(d.month - 1) // 3 * 3 + 1)
    return day.replace(day=1, month=1)


def _add(dtv, n, unit):
    d = dtv.local()
    if unit in ("milliseconds", "seconds", "minutes", "hours"):
        delta = _dt.timedelta(**{unit: n})
        return DT(d.astimezone(UTC) + delta, dtv.tz)
    if unit in ("days", "weeks"):
        days = n * (7 if unit == "weeks" else 1)
        naive = d.replace(tzinfo=None) + _dt.timedelta(days=days)
    else:
        months = int(n) * {"months": 1, "quarters": 3, "years": 12}[unit]
        total = d.year * 12 + d.month - 1 + months
        y, m = divmod(total, 12)
        m += 1
        last = (_dt.date(y + m // 12, m % 12 + 1, 1)
                - _dt.timedelta(days=1)).day
        naive = d.replace(tzinfo=None, year=y, month=m,
                          day=min(d.day, last))
    tz = dtv.tz or UTC
    return DT(naive.replace(tzinfo=tz), dtv.tz)


def _find(args, blank_when_missing):
    needle, hay = _str(args[0]), _str(args[1])
    start = int(_num(args[2])) if len(args) > 2 else 0
    pos = hay.find(needle, max(start - 1, 0))
    if pos < 0:
        return None if blank_when_missing else 0
    return pos + 1


def _diff(a, b, unit):
    a, b = _date(a), _date(b)
    secs = (a.utc - b.utc).total_seconds()
    per = {"milliseconds": 0.001, "seconds": 1, "minutes": 60,
           "hours": 3600, "days": 86400, "weeks": 604800}
    if unit in per:
        return int(secs / per[unit])
    la, lb = a.local(), b.local()
    months = (la.year - lb.year) * 12 + la.month - lb.month
    if months > 0 and (la.day, la.time()) < (lb.day, lb.time()):
        months -= 1
    elif months < 0 and (la.day, la.time()) > (lb.day, lb.time()):
        months += 1
    return {"months": months, "quarters": int(months / 3),
            "years": int(months / 12)}[unit]


def _set_tz(d, name):
    try:
        return DT(_date(d).utc, ZoneInfo(_str(name)))
    except (ZoneInfoNotFoundError, ValueError):
        raise EvalError("unknown time zone %r" % (name,))


def _regex_match(s, pattern):
    try:
        return re.search(_str(pattern), _str(s)) is not None
    except re.error:
        raise EvalError("bad regex")


def _substitute(args):
    s, old, new = _str(args[0]), _str(args[1]), _str(args[2])
    if len(args) == 3:
        return s.replace(old, new) if old else s
    idx = int(_num(args[3]))
    pos = -1
    for _ in range(idx):
        pos = s.find(old, pos + 1)
        if pos < 0:
            return s
    return s[:pos] + new + s[pos + len(old):]


def _component(attr):
    def f(args, ctx):
        d = _date(args[0]).local()
        if attr == "weekday":
            return (d.weekday() + 1) % 7
        return getattr(d, attr)
    return (1, 1, f)


# Functions receive evaluated arguments, except the lazy ones (IF, AND,
# OR, ISERROR) which get thunks.
FUNCTIONS = {
    "AND": (1, None, lambda a, c: all(truthy(x()) for x in a)),
    "OR": (1, None, lambda a, c: any(truthy(x()) for x in a)),
    "XOR": (1, None, lambda a, c: sum(truthy(x()) for x in a) % 2 == 1),
    "NOT": (1, 1, lambda a, c: not truthy(a[0])),
    "IF": (2, 3, lambda a, c: a[1]() if truthy(a[0]())
           else (a[2]() if len(a) > 2 else None)),
    "ISERROR": (1, 1, None),
    "TRUE": (0, 0, lambda a, c: True),
    "FALSE": (0, 0, lambda a, c: False),
    "BLANK": (0, 0, lambda a, c: None),
    "LOWER": (1, 1, lambda a, c: _str(a[0]).lower()),
    "UPPER": (1, 1, lambda a, c: _str(a[0]).upper()),
    "LEN": (1, 1, lambda a, c: len(_str(a[0]))),
    "TRIM": (1, 1, lambda a, c: _str(a[0]).strip()),
    "CONCATENATE": (1, None, lambda a, c: "".join(_str(x) for x in a)),
    "LEFT": (2, 2, lambda a, c: _str(a[0])[:max(int(_num(a[1])), 0)]),
    "RIGHT": (2, 2, lambda a, c: _str(a[0])[-int(_num(a[1])):]
              if int(_num(a[1])) > 0 else ""),
    "MID": (3, 3, lambda a, c: _str(a[0])[max(int(_num(a[1])) - 1, 0):
                                         max(int(_num(a[1])) - 1, 0)
                                         + max(int(_num(a[2])), 0)]),
    "FIND": (2, 3, lambda a, c: _find(a, False)),
    "SEARCH": (2, 3, lambda a, c: _find(a, True)),
    "SUBSTITUTE": (3, 4, lambda a, c: _substitute(a)),
    "REGEX_MATCH": (2, 2, lambda a, c: _regex_match(a[0], a[1])),
    "VALUE": (1, 1, lambda a, c: _num(a[0])),
    "ABS": (1, 1, lambda a, c: abs(_num(a[0]))),
    "RECORD_ID": (0, 0, lambda a, c: c["id"]),
    "CREATED_TIME": (0, 0, lambda a, c: DT(parse_iso(c["createdTime"]))),
    "NOW": (0, 0, lambda a, c: DT(c["now"])),
    "TODAY": (0, 0, lambda a, c: DT(c["now"].replace(
        hour=0, minute=0, second=0, microsecond=0))),
    "IS_SAME": (2, 3, lambda a, c: _is_same(a)),
    "IS_AFTER": (2, 2, lambda a, c: _date(a[0]).utc > _date(a[1]).utc),
    "IS_BEFORE": (2, 2, lambda a, c: _date(a[0]).utc < _date(a[1]).utc),
    "DATETIME_FORMAT": (1, 2, lambda a, c: format_moment(
        _date(a[0]), _str(a[1]) if len(a) > 1
        else "YYYY-MM-DD[T]HH:mm:ss.SSS[Z]")),
    "SET_TIMEZONE": (2, 2, lambda a, c: _set_tz(a[0], a[1])),
    "DATETIME_PARSE": (1, 3, lambda a, c: _datetime_parse(a)),
    "DATEADD": (3, 3, lambda a, c: _add(_date(a[0]), _num(a[1]),
                                        _unit(a[2]))),
    "DATETIME_DIFF": (2, 3, lambda a, c: _diff(
        a[0], a[1], _unit(a[2]) if len(a) > 2 else "seconds")),
    "YEAR": _component("year"),
    "MONTH": _component("month"),
    "DAY": _component("day"),
    "HOUR": _component("hour"),
    "MINUTE": _component("minute"),
    "SECOND": _component("second"),
    "WEEKDAY": _component("weekday"),
}
_LAZY = {"AND", "OR", "XOR", "IF", "ISERROR"}


def _is_same(a):
    x, y = _date(a[0]), _date(a[1])
    if len(a) < 3 or a[2] is None:
        return x.utc == y.utc
    unit = _unit(a[2])
    # both sides are compared in the zone of the first (UTC unless
    # SET_TIMEZONE gave it one)
    tz = x.tz or UTC
    return (_truncate(x.utc.astimezone(tz), unit)
            == _truncate(y.utc.astimezone(tz), unit))


def _datetime_parse(a):
    text = _str(a[0])
    if len(a) > 1 and a[1] is not None and _str(a[1]) != "":
        return DT(parse_moment(text, _str(a[1])))
    d = parse_iso(text)
    if d is None:
        raise EvalError("DATETIME_PARSE: cannot parse %r" % text)
    return DT(d)


# ---- parser -----------------------------------------------------------------

class Formula:
    def __init__(self, ast, text):
        self.ast = ast
        self.text = text

    def evaluate(self, record, now=None):
        ctx = {"id": record["id"], "createdTime": record["createdTime"],
               "fields": record["fields"], "types": record.get("_types", {}),
               "now": now or _dt.datetime.now(UTC)}
        return _eval(self.ast, ctx)

    def matches(self, record, now=None):
        try:
            return truthy(self.evaluate(record, now))
        except (EvalError, ZeroDivisionError, OverflowError):
            return False


class _Parser:
    def __init__(self, text, fields):
        self.toks = _tokenize(text)
        self.i = 0
        self.fields = fields
        self.unknown = []

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, value=None):
        t = self.toks[self.i]
        if kind and t[0] != kind or value is not None and t[1] != value:
            raise FormulaError("expected %s but found %r"
                               % (value or kind, t[1]))
        self.i += 1
        return t

    def parse(self):
        if self.peek()[0] == "EOF":
            raise FormulaError("empty formula")
        node = self.comparison()
        if self.peek()[0] != "EOF":
            raise FormulaError("unexpected %r" % (self.peek()[1],))
        if self.unknown:
            raise FormulaError("Unknown field names: "
                               + ", ".join(self.unknown))
        return node

    def _binary(self, ops, sub):
        node = sub()
        while self.peek()[0] == "OP" and self.peek()[1] in ops:
            op = self.take()[1]
            node = ("op", op, node, sub())
        return node

    def comparison(self):
        return self._binary(("=", "!=", "<", ">", "<=", ">="), self.concat)

    def concat(self):
        return self._binary(("&",), self.additive)

    def additive(self):
        return self._binary(("+", "-"), self.term)

    def term(self):
        return self._binary(("*", "/"), self.unary)

    def unary(self):
        if self.peek() == ("OP", "-"):
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def _field(self, name):
        if name not in self.fields and name not in self.unknown:
            self.unknown.append(name)
        return ("field", name)

    def primary(self):
        kind, val = self.take()
        if kind == "EOF":
            raise FormulaError("unexpected end of formula")
        if kind == "NUM" or kind == "STR":
            return ("lit", val)
        if kind == "FIELD":
            return self._field(val)
        if kind == "(":
            node = self.comparison()
            self.take(")")
            return node
        if kind == "IDENT":
            if self.peek()[0] == "(":
                return self.call(val)
            if val.upper() in ("TRUE", "FALSE") and val not in self.fields:
                return ("lit", val.upper() == "TRUE")
            return self._field(val)
        raise FormulaError("unexpected %r" % (val,))

    def call(self, name):
        fname = name.upper()
        if fname not in FUNCTIONS:
            raise FormulaError("Unknown function names: " + name)
        self.take("(")
        args = []
        if self.peek()[0] != ")":
            while True:
                args.append(self.comparison())
                if self.peek()[0] == ",":
                    self.take()
                    continue
                break
        self.take(")")
        lo, hi, _ = FUNCTIONS[fname]
        if len(args) < lo or (hi is not None and len(args) > hi):
            raise FormulaError("wrong number of arguments to %s" % fname)
        return ("call", fname, args)


def parse(text, field_names):
    return Formula(_Parser(text, set(field_names)).parse(), text)


# ---- evaluation -------------------------------------------------------------

def _field_value(ctx, name):
    v = ctx["fields"].get(name)
    t = ctx["types"].get(name)
    if v is None:
        return None
    if t in ("dateTime", "date", "createdTime", "lastModifiedTime"):
        d = parse_iso(v)
        return DT(d) if d else v
    if isinstance(v, list):
        return ", ".join(_str(x) for x in v)
    return v


def _as_instant(v):
    if isinstance(v, DT):
        return v.utc
    if isinstance(v, str):
        return parse_iso(v)
    return None


def _compare(op, a, b):
    if a is None or b is None:
        other = b if a is None else a
        if op in ("=", "!="):
            blank = other is None or other == "" or other is False or (
                isinstance(other, (int, float)) and other == 0)
            return blank if op == "=" else not blank
        if other is None:
            x = y = 0
        elif isinstance(other, (int, float, bool)):
            x, y = (0, _num(b)) if a is None else (_num(a), 0)
        elif isinstance(other, DT):
            return False
        else:
            x, y = ("", _str(b)) if a is None else (_str(a), "")
    elif isinstance(a, DT) or isinstance(b, DT):
        x, y = _as_instant(a), _as_instant(b)
        if x is None or y is None:
            x, y = _str(a), _str(b)
    elif isinstance(a, (int, float, bool)) or isinstance(b, (int, float,
                                                            bool)):
        try:
            x, y = _num(a), _num(b)
        except EvalError:
            x, y = _str(a), _str(b)
    else:
        x, y = a, b
    return {"=": x == y, "!=": x != y, "<": x < y, ">": x > y,
            "<=": x <= y, ">=": x >= y}[op]


def _eval(node, ctx):
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "field":
        return _field_value(ctx, node[1])
    if kind == "neg":
        return -_num(_eval(node[1], ctx))
    if kind == "op":
        op = node[1]
        a = _eval(node[2], ctx)
        b = _eval(node[3], ctx)
        if op == "&":
            return _str(a) + _str(b)
        if op in ("+", "-", "*", "/"):
            x, y = _num(a), _num(b)
            if op == "/" and y == 0:
                raise EvalError("division by zero")
            return {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
        try:
            return _compare(op, a, b)
        except TypeError:
            raise EvalError("cannot compare")
    # call
    name, args = node[1], node[2]
    if name == "ISERROR":
        try:
            _eval(args[0], ctx)
            return False
        except (EvalError, ZeroDivisionError):
            return True
    impl = FUNCTIONS[name][2]
    if name in _LAZY:
        return impl([lambda n=n: _eval(n, ctx) for n in args], ctx)
    return impl([_eval(n, ctx) for n in args], ctx)
