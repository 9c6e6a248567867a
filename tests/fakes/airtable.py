"""Fake Airtable REST API (airtable.com/developers/web/api), loopback only.

    fake = AirtableFake(token="patTEST", max_page_size=3, rate_pause=0.5)
    base_url = fake.start()        # AIRTABLE_API_URL
    ... GET {base_url}/v0/{fake.base_id}/Reservas ...
    fake.stop()

or `python3 -m tests.fakes.airtable --port 0 [--token T] [--base-id B]`.

What it does, per the vendor's documentation:
- `Authorization: Bearer <token>`; missing/wrong -> 401
  {"error":{"type":"AUTHENTICATION_REQUIRED",...}}.
- GET /v0/{base}/{table}[?filterByFormula&pageSize&offset&fields[]&
  sort[i][field]&sort[i][direction]&maxRecords&view] and
  POST /v0/{base}/{table}/listRecords (same options in a JSON body);
  GET /v0/{base}/{table}/{recordId}.
- POST create (<= 10 records, typecast), PATCH/PUT update (<= 10;
  PUT clears the fields not given; performUpsert.fieldsToMergeOn),
  DELETE ?records[]=... (<= 10) or /{recordId}.
- 422 UNKNOWN_FIELD_NAME, INVALID_VALUE_FOR_COLUMN,
  INVALID_MULTIPLE_CHOICE_OPTIONS (a new select option without typecast),
  INVALID_FILTER_BY_FORMULA, INVALID_REQUEST_UNKNOWN (unknown query
  parameter, pageSize > 100), LIST_RECORDS_ITERATOR_NOT_AVAILABLE (bad
  offset); 404 {"error":"NOT_FOUND"} (unknown base, record) and
  {"error":{"type":"TABLE_NOT_FOUND",...}} (unknown table; see
  not_found_style).
- more than `rate_limit` (5) requests within `rate_window` (1 s) for one
  base -> 429, and the base answers 429 for `rate_pause` (30 s) after.
- Meta API: GET /v0/meta/whoami, GET /v0/meta/bases, GET/POST
  /v0/meta/bases/{base}/tables, PATCH .../tables/{table}, POST
  .../tables/{table}/fields, PATCH .../fields/{field}; a created field
  needs the options of its type (number: precision, dateTime: dateFormat,
  timeFormat and timeZone, checkbox: color and icon, selects: choices).

Records are kept in creation order; date-times are stored as ISO UTC
strings (2026-11-28T20:00:00.000Z); empty fields are omitted.
"""

import collections
import copy
import datetime as _dt
import json
import random
import re
import string
import sys
import time
import urllib.parse

from . import airtable_formula as formula
from .common import FakeClient, FakeServer, json_response, main

DEFAULT_BASE_ID = "appFakeBase000001"
DEFAULT_TOKEN = "patFakeToken.0123456789abcdef"

# The base made by the original deployment guide: exactly these fields.
DEFAULT_SCHEMA = {
    "Reservas": {
        "client_name": "singleLineText",
        "client_phone": "phoneNumber",
        "date_time": "dateTime",
        "pax": "number",
        "table": "singleLineText",
        "status": {"type": "singleSelect",
                   "choices": ["confirmed", "pending", "cancelled",
                               "completed", "no_show"]},
    },
    "Mesas": {
        "name": "singleLineText",
        "capacity_min": "number",
        "capacity_max": "number",
        "location": "singleLineText",
    },
    "Clientes": {
        "name": "singleLineText",
        "phone": "phoneNumber",
        "email": "email",
        "preferences": "multilineText",
    },
    "FAQ": {
        "question": "multilineText",
        "answer": "multilineText",
    },
}

# Not the original's: the waiting list the module writes when a base has it
# (README "Airtable tables"), keyed on "entry" (phone, day and time).
WAITLIST_SCHEMA = {
    "ListaEspera": {
        "entry": "singleLineText",
        "name": "singleLineText",
        "phone": "phoneNumber",
        "date": "singleLineText",
        "time": "singleLineText",
        "time_to": "singleLineText",
        "party_size": "number",
        "status": "singleLineText",
        "offer_table": "singleLineText",
        "reservation_id": "singleLineText",
    },
}

TEXT_TYPES = {"singleLineText", "multilineText", "richText", "email",
              "url", "phoneNumber"}
NUMBER_TYPES = {"number", "currency", "percent", "duration", "rating",
                "autoNumber"}
KNOWN_TYPES = TEXT_TYPES | NUMBER_TYPES | {
    "checkbox", "date", "dateTime", "singleSelect", "multipleSelects",
    "multipleRecordLinks"}
LIST_PARAMS = {"filterByFormula", "pageSize", "offset", "maxRecords",
               "view", "cellFormat", "timeZone", "userLocale",
               "returnFieldsByFieldId"}
MAX_WRITE = 10
MAX_PAGE = 100
# Meta API: the options a field of each type must be created with, and the
# types that cannot be a table's primary field.
_REQUIRED_OPTIONS = {
    "number": ("precision",),
    "currency": ("precision", "symbol"),
    "percent": ("precision",),
    "dateTime": ("dateFormat", "timeFormat", "timeZone"),
    "date": ("dateFormat",),
    "checkbox": ("color", "icon"),
    "singleSelect": ("choices",),
    "multipleSelects": ("choices",),
    "rating": ("icon", "max", "color"),
    "duration": ("durationFormat",),
}
_NO_PRIMARY = {"checkbox", "multipleSelects", "multipleRecordLinks",
               "rating"}

_ALNUM = string.ascii_letters + string.digits


def new_id(prefix):
    return prefix + "".join(random.choice(_ALNUM) for _ in range(14))


def _choice_id(name):
    return "".join(c for c in name if c.isalnum())[:11].ljust(11, "x")


def now_iso():
    return formula.iso_utc(_dt.datetime.now(formula.UTC))


class AirtableError(Exception):
    def __init__(self, status, error):
        super().__init__(str(error))
        self.status = status
        self.error = error  # a string or {"type","message"}


def _err(status, etype, message):
    return AirtableError(status, {"type": etype, "message": message})


class Table:
    def __init__(self, name, fields, table_id=None):
        self.name = name
        self.id = table_id or new_id("tbl")
        self.fields = {}
        for fname, spec in fields.items():
            self.add_field(fname, spec)
        self.records = collections.OrderedDict()

    def add_field(self, fname, spec):
        if isinstance(spec, str):
            spec = {"type": spec}
        spec = dict(spec)
        if spec.get("type") not in KNOWN_TYPES:
            raise ValueError("field %s: unsupported type %r"
                             % (fname, spec.get("type")))
        spec.setdefault("id", new_id("fld"))
        if spec["type"] in ("singleSelect", "multipleSelects"):
            spec["choices"] = list(spec.get("choices", []))
        self.fields[fname] = spec
        return spec

    def types(self):
        return {k: v["type"] for k, v in self.fields.items()}

    def schema(self):
        out = []
        for fname, spec in self.fields.items():
            f = {"id": spec["id"], "name": fname, "type": spec["type"]}
            if spec.get("options"):
                f["options"] = copy.deepcopy(spec["options"])
            if "choices" in spec:
                f.setdefault("options", {})["choices"] = [
                    {"id": "sel%s" % _choice_id(c), "name": c}
                    for c in spec["choices"]]
            if spec.get("description"):
                f["description"] = spec["description"]
            out.append(f)
        return {"id": self.id, "name": self.name, "fields": out,
                "primaryFieldId": out[0]["id"] if out else None,
                "views": [{"id": "viwFakeGridView01", "name": "Grid view",
                           "type": "grid"}]}


class AirtableFake(FakeServer):
    name = "airtable"
    default_config = {
        "token": DEFAULT_TOKEN,    # None: any bearer token is accepted
        "base_id": DEFAULT_BASE_ID,
        "max_page_size": MAX_PAGE,  # fake-wide cap, to exercise paging
        "rate_limit": 5,            # requests per window per base; 0: off
        "rate_window": 1.0,
        "rate_pause": 30.0,         # seconds a base stays limited
        # 429 body: "errors" = {"errors":[{"error":"RATE_LIMIT_REACHED",
        # "message":...}]} as Airtable sends it; "error" =
        # {"error":{"type":"RATE_LIMIT_REACHED","message":...}}
        "rate_limit_body": "errors",
        # unknown table: "object" 404 {"error":{"type":"TABLE_NOT_FOUND"}},
        # "string" 404 {"error":"NOT_FOUND"}, "permissions" 403
        # INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND (what a PAT gets)
        "not_found_style": "object",
        "now": None,                # ISO string: NOW()/TODAY() in formulas
    }

    # ---- state --------------------------------------------------------------

    def reset_state(self):
        self.bases = {}
        self.iterators = {}
        self.rate = {}
        self.rate_limited_count = 0
        self._new_base(self.config["base_id"], DEFAULT_SCHEMA)

    def _new_base(self, base_id, schema):
        tables = collections.OrderedDict()
        for tname, fields in schema.items():
            tables[tname] = Table(tname, fields)
        self.bases[base_id] = tables
        return tables

    @property
    def base_id(self):
        return self.config["base_id"]

    def seed(self, data):
        """{"base": id (optional), "replace": bool, "drop_tables": [...],
        "tables": {name: {"fields": {field: type | {"type", "choices"}},
                          "records": [{"fields": {...}} | {...}]}}}.
        "fields" (re)defines a table (created if missing); records are
        added with typecast.  Returns {table: [record ids]}."""
        created = {}
        with self.lock:
            base_id = data.get("base") or self.base_id
            if data.get("replace") or base_id not in self.bases:
                self._new_base(base_id, {} if data.get("replace")
                               else DEFAULT_SCHEMA)
            tables = self.bases[base_id]
            for tname in data.get("drop_tables", []):
                tables.pop(tname, None)
            for tname, spec in data.get("tables", {}).items():
                if "fields" in spec:
                    tables[tname] = Table(tname, spec["fields"])
                elif tname not in tables:
                    raise ValueError("table %s: no such table, give its "
                                     "fields" % tname)
                recs = []
                for r in spec.get("records", []):
                    fields = r["fields"] if "fields" in r else r
                    recs.append(self._insert(tables[tname], fields, True,
                                             r.get("id"),
                                             r.get("createdTime")))
                created[tname] = [r["id"] for r in recs]
        return created

    def add_records(self, table, rows, base=None):
        """In-process seeding: rows are field dicts.  Returns records."""
        ids = self.seed({"base": base, "tables": {
            table: {"records": [{"fields": r} for r in rows]}}})[table]
        return [self.record(table, i, base) for i in ids]

    def records(self, table, base=None):
        """Every record of a table (copies), in creation order."""
        with self.lock:
            t = self.bases[base or self.base_id][table]
            return [copy.deepcopy(r) for r in t.records.values()]

    def record(self, table, rec_id, base=None):
        with self.lock:
            t = self.bases[base or self.base_id][table]
            r = t.records.get(rec_id)
            return copy.deepcopy(r) if r else None

    def state(self):
        with self.lock:
            return {
                "rate_limited_count": self.rate_limited_count,
                "bases": {b: {t.name: {"id": t.id,
                                       "fields": t.schema()["fields"],
                                       "records": list(t.records.values())}
                              for t in tables.values()}
                          for b, tables in self.bases.items()},
            }

    def control(self, req, action):
        if action == "records" and req.method == "GET":
            return json_response(200, {"records": self.records(
                req.arg("table"), req.arg("base"))})
        return None

    # ---- request handling ---------------------------------------------------

    def handle(self, req):
        try:
            return self._handle(req)
        except AirtableError as e:
            return json_response(e.status, {"error": e.error})

    def _handle(self, req):
        parts = [urllib.parse.unquote(p) for p in req.path.split("/")]
        if len(parts) < 3 or parts[1] != "v0":
            raise AirtableError(404, "NOT_FOUND")
        self._auth(req)
        meta = parts[2] == "meta"
        base_id = parts[4] if meta and len(parts) > 4 else parts[2]
        with self.lock:
            limited = self._rate_check(base_id)
        if limited:
            return limited
        with self.lock:
            if meta:
                return self._meta(req, parts)
            tables = self.bases.get(base_id)
            if tables is None:
                raise AirtableError(404, "NOT_FOUND")
            if len(parts) < 4 or not parts[3]:
                raise AirtableError(404, "NOT_FOUND")
            table = self._table(tables, parts[3], base_id)
            rest = parts[4:]
            m = req.method
            if not rest:
                if m == "GET":
                    return self._list(table, self._list_opts_query(req))
                if m == "POST":
                    return self._create(table, self._body(req))
                if m in ("PATCH", "PUT"):
                    return self._update(table, self._body(req), m == "PUT")
                if m == "DELETE":
                    return self._delete(table, req)
            elif rest == ["listRecords"] and m == "POST":
                return self._list(table, self._list_opts_body(
                    self._body(req)))
            elif len(rest) == 1:
                return self._one(table, rest[0], req)
            raise AirtableError(404, "NOT_FOUND")

    def _auth(self, req):
        auth = req.header("Authorization") or ""
        want = self.config["token"]
        if not auth.startswith("Bearer ") or not auth[7:].strip() or (
                want is not None and auth[7:].strip() != want):
            raise _err(401, "AUTHENTICATION_REQUIRED",
                       "Authentication required")

    def _rate_check(self, base_id):
        cfg = self.config
        if not cfg["rate_limit"]:
            return None
        now = time.monotonic()
        st = self.rate.setdefault(base_id, {"hits": collections.deque(),
                                            "until": 0.0})
        limited = now < st["until"]
        if not limited:
            hits = st["hits"]
            while hits and hits[0] <= now - cfg["rate_window"]:
                hits.popleft()
            if len(hits) >= cfg["rate_limit"]:
                st["until"] = now + cfg["rate_pause"]
                hits.clear()
                limited = True
            else:
                hits.append(now)
        if not limited:
            return None
        self.rate_limited_count += 1
        msg = "Rate limit exceeded. Please try again later"
        if cfg["rate_limit_body"] == "error":
            body = {"error": {"type": "RATE_LIMIT_REACHED", "message": msg}}
        else:
            body = {"errors": [{"error": "RATE_LIMIT_REACHED",
                                "message": msg}]}
        return json_response(429, body)

    def rate_limited(self, base=None):
        """True while the base answers 429."""
        with self.lock:
            st = self.rate.get(base or self.base_id)
            return bool(st) and time.monotonic() < st["until"]

    def _table(self, tables, name, base_id):
        if name in tables:
            return tables[name]
        for t in tables.values():
            if t.id == name:
                return t
        style = self.config["not_found_style"]
        if style == "string":
            raise AirtableError(404, "NOT_FOUND")
        if style == "permissions":
            raise _err(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                       "Invalid permissions, or the requested model was "
                       "not found. Check that both your user and your "
                       "token have the required permissions, and that the "
                       "model names and/or ids are correct.")
        raise _err(404, "TABLE_NOT_FOUND",
                   "Could not find table %s in application %s"
                   % (name, base_id))

    def _body(self, req):
        if req.content_type() != "application/json":
            raise _err(415, "INVALID_REQUEST_UNKNOWN",
                       "Invalid request: the body must be sent with "
                       "Content-Type: application/json")
        try:
            body = req.json()
        except ValueError:
            raise _err(400, "INVALID_REQUEST_BODY",
                       "Invalid request: could not parse the JSON body")
        if not isinstance(body, dict):
            raise _err(422, "INVALID_REQUEST_UNKNOWN",
                       "Invalid request: the body must be a JSON object")
        return body

    # ---- list ---------------------------------------------------------------

    def _list_opts_query(self, req):
        opts = {"fields": None, "sort": []}
        sorts = {}
        for key, vals in req.query.items():
            m = re.fullmatch(r"sort\[(\d+)\]\[(field|direction)\]", key)
            if m:
                sorts.setdefault(int(m.group(1)), {})[m.group(2)] = vals[-1]
            elif key == "fields[]":
                opts["fields"] = list(vals)
            elif key in LIST_PARAMS:
                opts[key] = vals[-1]
            elif key == "recordMetadata[]":
                pass
            else:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "Invalid request: parameter validation failed. "
                           "Unknown parameter %r" % key)
        for i in sorted(sorts):
            if "field" not in sorts[i]:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "Invalid request: sort[%d] has no field" % i)
            opts["sort"].append(sorts[i])
        return opts

    def _list_opts_body(self, body):
        opts = {"fields": body.get("fields"), "sort": body.get("sort") or []}
        for key, val in body.items():
            if key in ("fields", "sort"):
                continue
            if key not in LIST_PARAMS:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "Invalid request: parameter validation failed. "
                           "Unknown parameter %r" % key)
            opts[key] = val if isinstance(val, str) else str(val) \
                if key in ("pageSize", "maxRecords") else val
        if opts["fields"] is not None and not isinstance(opts["fields"],
                                                         list):
            raise _err(422, "INVALID_REQUEST_UNKNOWN",
                       "Invalid request: fields must be an array")
        return opts

    @staticmethod
    def _int_param(opts, key, lo, hi):
        if key not in opts:
            return None
        try:
            v = int(opts[key])
        except (TypeError, ValueError):
            v = None
        if v is None or v < lo or (hi is not None and v > hi):
            raise _err(422, "INVALID_REQUEST_UNKNOWN",
                       "Invalid request: parameter validation failed. "
                       "Check your request data. (%s)" % key)
        return v

    def _list(self, table, opts):
        page_size = self._int_param(opts, "pageSize", 1, MAX_PAGE) or MAX_PAGE
        max_records = self._int_param(opts, "maxRecords", 1, None)
        page_size = min(page_size, max(1, int(self.config["max_page_size"])))
        if opts.get("view") not in (None, "Grid view", "viwFakeGridView01"):
            raise _err(422, "VIEW_NAME_NOT_FOUND",
                       "Could not find view %r" % opts["view"])
        if opts.get("cellFormat") not in (None, "json"):
            raise _err(422, "INVALID_REQUEST_UNKNOWN",
                       "this fake only serves cellFormat=json")
        fields = opts.get("fields")
        if fields is not None:
            unknown = [f for f in fields if f not in table.fields]
            if unknown:
                raise _err(422, "UNKNOWN_FIELD_NAME",
                           'Unknown field name: "%s"' % unknown[0])
        signature = json.dumps([table.id, opts.get("filterByFormula"),
                                opts["sort"], fields, max_records,
                                opts.get("view")], sort_keys=True)
        offset = opts.get("offset")
        if offset:
            it = self.iterators.get(offset)
            if it is None or it["signature"] != signature:
                raise _err(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
                           "The offset is not valid for this request; "
                           "start again without it")
            ids, pos = it["ids"], it["pos"]
        else:
            ids, pos = self._select(table, opts, max_records), 0
        page = []
        while pos < len(ids) and len(page) < page_size:
            rec = table.records.get(ids[pos])
            pos += 1
            if rec is not None:  # deleted while paging
                page.append(self._out(rec, fields))
        out = {"records": page}
        if pos < len(ids):
            token = "itr%s/%s" % (new_id("")[:14], ids[pos])
            self.iterators[token] = {"ids": ids, "pos": pos,
                                     "signature": signature}
            out["offset"] = token
        return json_response(200, out)

    def _select(self, table, opts, max_records):
        recs = list(table.records.values())
        text = opts.get("filterByFormula")
        if text:
            try:
                f = formula.parse(text, table.fields)
            except formula.FormulaError as e:
                raise _err(422, "INVALID_FILTER_BY_FORMULA",
                           "The formula for filtering records is invalid: "
                           "%s" % e)
            now = formula.parse_iso(self.config["now"]) \
                if self.config["now"] else None
            types = table.types()
            recs = [r for r in recs
                    if f.matches(dict(r, _types=types), now)]
        for s in reversed(opts["sort"]):
            if not isinstance(s, dict) or s.get("field") not in table.fields:
                raise _err(422, "UNKNOWN_FIELD_NAME",
                           'Unknown field name: "%s"'
                           % (s.get("field") if isinstance(s, dict) else s))
            direction = s.get("direction", "asc")
            if direction not in ("asc", "desc"):
                raise _err(422, "INVALID_SORT_PARAMS",
                           "Invalid sort direction %r" % direction)
            recs.sort(key=self._sort_key(s["field"]),
                      reverse=direction == "desc")
        if max_records:
            recs = recs[:max_records]
        return [r["id"] for r in recs]

    @staticmethod
    def _sort_key(field):
        def key(rec):
            v = rec["fields"].get(field)
            if v is None:
                return (0, 0, "")
            if isinstance(v, bool):
                return (1, int(v), "")
            if isinstance(v, (int, float)):
                return (1, v, "")
            return (2, 0, json.dumps(v).casefold()
                    if not isinstance(v, str) else v.casefold())
        return key

    @staticmethod
    def _out(rec, fields=None):
        f = rec["fields"]
        if fields is not None:
            f = {k: v for k, v in f.items() if k in fields}
        return {"id": rec["id"], "createdTime": rec["createdTime"],
                "fields": copy.deepcopy(f)}

    # ---- write --------------------------------------------------------------

    def _coerce(self, table, fname, value, typecast):
        spec = table.fields.get(fname)
        if spec is None:
            raise _err(422, "UNKNOWN_FIELD_NAME",
                       'Unknown field name: "%s"' % fname)
        t = spec["type"]
        bad = _err(422, "INVALID_VALUE_FOR_COLUMN",
                   'Field "%s" cannot accept the provided value' % fname)
        if value is None or value == "" or value == []:
            return None
        if t in TEXT_TYPES:
            if isinstance(value, str):
                return value
            if typecast and isinstance(value, (int, float, bool)):
                return json.dumps(value)
            raise bad
        if t in NUMBER_TYPES:
            if isinstance(value, bool):
                raise bad
            if isinstance(value, str):
                if not typecast:
                    raise bad
                try:
                    value = float(value.strip())
                except ValueError:
                    return None
            if not isinstance(value, (int, float)):
                raise bad
            return int(value) if float(value).is_integer() else value
        if t == "checkbox":
            if isinstance(value, bool):
                return value or None
            if typecast:
                return bool(value) or None
            raise bad
        if t in ("dateTime", "date"):
            if not isinstance(value, str):
                raise bad
            d = formula.parse_iso(value)
            if d is None:
                raise bad
            if t == "date":
                return d.strftime("%Y-%m-%d")
            return formula.iso_utc(d)
        if t in ("singleSelect", "multipleSelects"):
            values = [value] if t == "singleSelect" else value
            if not isinstance(values, list) or not all(
                    isinstance(v, str) for v in values):
                raise bad
            for v in values:
                if v not in spec["choices"]:
                    if not typecast:
                        raise _err(422, "INVALID_MULTIPLE_CHOICE_OPTIONS",
                                   'Insufficient permissions to create new '
                                   'select option ""%s""' % v)
                    spec["choices"].append(v)
            return value
        if t == "multipleRecordLinks":
            if isinstance(value, str) and typecast:
                value = [value]
            if not isinstance(value, list) or not all(
                    isinstance(v, str) and v.startswith("rec")
                    for v in value):
                raise bad
            return value
        raise bad

    def _fields(self, table, fields, typecast):
        if not isinstance(fields, dict):
            raise _err(422, "INVALID_REQUEST_MISSING_FIELDS",
                       'Could not find field "fields" in the request body')
        return {k: self._coerce(table, k, v, typecast)
                for k, v in fields.items()}

    def _insert(self, table, fields, typecast, rec_id=None, created=None):
        values = self._fields(table, fields, typecast)
        rec = {"id": rec_id or new_id("rec"),
               "createdTime": created or now_iso(),
               "fields": {k: v for k, v in values.items() if v is not None}}
        table.records[rec["id"]] = rec
        return rec

    def _records_arg(self, body):
        recs = body.get("records")
        if not isinstance(recs, list) or not recs:
            raise _err(422, "INVALID_REQUEST_MISSING_FIELDS",
                       'Could not find field "records" in the request body')
        if len(recs) > MAX_WRITE:
            raise _err(422, "INVALID_RECORDS",
                       "You can send at most %d records per request, got %d"
                       % (MAX_WRITE, len(recs)))
        for r in recs:
            if not isinstance(r, dict):
                raise _err(422, "INVALID_RECORDS", "records must be objects")
        return recs

    def _check_keys(self, body, allowed):
        for k in body:
            if k not in allowed:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "Invalid request: parameter validation failed. "
                           "Unknown parameter %r" % k)

    def _create(self, table, body):
        typecast = bool(body.get("typecast"))
        if "records" not in body and "fields" in body:  # one record
            self._check_keys(body, {"fields", "typecast",
                                    "returnFieldsByFieldId"})
            # validate everything before writing anything
            self._fields(table, body["fields"], typecast)
            return json_response(200, self._out(
                self._insert(table, body["fields"], typecast)))
        self._check_keys(body, {"records", "typecast",
                                "returnFieldsByFieldId"})
        recs = self._records_arg(body)
        for r in recs:
            self._fields(table, r.get("fields"), typecast)
        out = [self._out(self._insert(table, r["fields"], typecast))
               for r in recs]
        return json_response(200, {"records": out})

    def _apply(self, table, rec, values, destructive):
        if destructive:
            rec["fields"] = {}
        for k, v in values.items():
            if v is None:
                rec["fields"].pop(k, None)
            else:
                rec["fields"][k] = v

    def _update(self, table, body, destructive):
        typecast = bool(body.get("typecast"))
        self._check_keys(body, {"records", "typecast", "performUpsert",
                                "returnFieldsByFieldId"})
        recs = self._records_arg(body)
        upsert = body.get("performUpsert")
        plan = []
        created, updated = [], []
        for r in recs:
            values = self._fields(table, r.get("fields"), typecast)
            rec = None
            if "id" in r:
                rec = table.records.get(r["id"])
                if rec is None:
                    raise _err(404, "NOT_FOUND" if not upsert else
                               "INVALID_RECORDS",
                               "Could not find record %s" % r["id"])
            elif upsert:
                merge = upsert.get("fieldsToMergeOn") or []
                if not merge or not 1 <= len(merge) <= 3 or any(
                        f not in table.fields for f in merge):
                    raise _err(422, "INVALID_VALUE_FOR_COLUMN",
                               "performUpsert.fieldsToMergeOn must name "
                               "1 to 3 fields of the table")
                hits = [x for x in table.records.values()
                        if all(x["fields"].get(f) == values.get(f)
                               for f in merge)]
                if len(hits) > 1:
                    raise _err(422, "INVALID_VALUE_FOR_COLUMN",
                               "performUpsert matched more than one record")
                rec = hits[0] if hits else None
            else:
                raise _err(422, "INVALID_RECORDS",
                           "Each record to update needs an id")
            plan.append((rec, r, values))
        out = []
        for rec, r, values in plan:
            if rec is None:
                rec = self._insert(table, r["fields"], typecast)
                created.append(rec["id"])
            else:
                self._apply(table, rec, values, destructive)
                updated.append(rec["id"])
            out.append(self._out(rec))
        resp = {"records": out}
        if upsert:
            resp["createdRecords"] = created
            resp["updatedRecords"] = updated
        return json_response(200, resp)

    def _delete(self, table, req):
        ids = req.query.get("records[]", [])
        if not ids:
            raise _err(422, "INVALID_REQUEST_UNKNOWN",
                       "Invalid request: records[] is required")
        if len(ids) > MAX_WRITE:
            raise _err(422, "INVALID_RECORDS",
                       "You can delete at most %d records per request"
                       % MAX_WRITE)
        for i in ids:
            if i not in table.records:
                raise AirtableError(404, "NOT_FOUND")
        for i in ids:
            del table.records[i]
        return json_response(200, {"records": [{"id": i, "deleted": True}
                                               for i in ids]})

    def _one(self, table, rec_id, req):
        rec = table.records.get(rec_id)
        if rec is None:
            raise AirtableError(404, "NOT_FOUND")
        if req.method == "GET":
            return json_response(200, self._out(rec))
        if req.method == "DELETE":
            del table.records[rec_id]
            return json_response(200, {"id": rec_id, "deleted": True})
        if req.method in ("PATCH", "PUT"):
            body = self._body(req)
            self._check_keys(body, {"fields", "typecast",
                                    "returnFieldsByFieldId"})
            values = self._fields(table, body.get("fields"),
                                  bool(body.get("typecast")))
            self._apply(table, rec, values, req.method == "PUT")
            return json_response(200, self._out(rec))
        raise AirtableError(404, "NOT_FOUND")

    # ---- meta API (schema) -----------------------------------------------
    # The Meta API as airtable.com/developers/web/api documents it: list
    # bases and tables, create a table or a field (with the options each
    # type needs), update a table's or a field's name and description.
    # A field's type cannot be changed through the API.

    def writes(self):
        """Successful writes so far (records and schema alike)."""
        return len([r for r in self.requests()
                    if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
                    and not r["path"].endswith("/listRecords")
                    and r["status"] is not None and r["status"] < 300])

    def schema_writes(self):
        return len([r for r in self.requests(path="/v0/meta/")
                    if r["method"] != "GET" and r["status"] is not None
                    and r["status"] < 300])

    def _meta(self, req, parts):
        # /v0/meta/whoami, /v0/meta/bases,
        # /v0/meta/bases/{base}/tables[/{table}[/fields[/{field}]]]
        if parts[3:] == ["whoami"] and req.method == "GET":
            return json_response(200, {
                "id": "usrFakeUser000001",
                "scopes": ["data.records:read", "data.records:write",
                           "schema.bases:read", "schema.bases:write"]})
        if parts[3:] == ["bases"] and req.method == "GET":
            return json_response(200, {"bases": [
                {"id": b, "name": "Base %s" % b, "permissionLevel": "create"}
                for b in self.bases]})
        if len(parts) < 6 or parts[3] != "bases" or parts[5] != "tables":
            raise AirtableError(404, "NOT_FOUND")
        tables = self.bases.get(parts[4])
        if tables is None:
            raise AirtableError(404, "NOT_FOUND")
        rest = parts[6:]
        m = req.method
        if not rest and m == "GET":
            return json_response(200, {"tables": [t.schema()
                                                  for t in tables.values()]})
        if not rest and m == "POST":
            body = self._body(req)
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "a new table needs a name")
            if name.lower() in (t.lower() for t in tables):
                raise _err(422, "DUPLICATE_TABLE_NAME",
                           "Table name %r is already used in this base"
                           % name)
            fields = body.get("fields")
            if not isinstance(fields, list) or not fields:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "a new table needs at least one field")
            specs = self._meta_fields(fields)
            if fields[0].get("type") in _NO_PRIMARY:
                raise _err(422, "INVALID_PRIMARY_FIELD_TYPE",
                           "a %s field cannot be the primary field"
                           % fields[0].get("type"))
            t = Table(name, specs)
            t.description = body.get("description")
            tables[name] = t
            return json_response(200, t.schema())
        if len(rest) == 1 and m == "PATCH":
            t = self._table(tables, rest[0], parts[4])
            body = self._body(req)
            self._check_keys(body, {"name", "description"})
            if "name" in body and body["name"] != t.name:
                if body["name"].lower() in (x.lower() for x in tables):
                    raise _err(422, "DUPLICATE_TABLE_NAME",
                               "Table name %r is already used"
                               % body["name"])
                del tables[t.name]
                t.name = body["name"]
                tables[t.name] = t
            if "description" in body:
                t.description = body["description"]
            return json_response(200, t.schema())
        if rest[1:2] == ["fields"] and len(rest) == 2 and m == "POST":
            t = self._table(tables, rest[0], parts[4])
            body = self._body(req)
            name = body.get("name")
            if not isinstance(name, str) or not name.strip() or \
                    name.lower() in (f.lower() for f in t.fields):
                raise _err(422, "DUPLICATE_OR_EMPTY_FIELD_NAME",
                           "a new field needs a name unique in its table")
            spec = t.add_field(name, self._meta_fields([body])[name])
            return json_response(200, [f for f in t.schema()["fields"]
                                       if f["id"] == spec["id"]][0])
        if rest[1:2] == ["fields"] and len(rest) == 3 and m == "PATCH":
            t = self._table(tables, rest[0], parts[4])
            fname = [n for n, f in t.fields.items()
                     if f["id"] == rest[2] or n == rest[2]]
            if not fname:
                raise AirtableError(404, "NOT_FOUND")
            body = self._body(req)
            if "type" in body or "options" in body:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "a field's type and options cannot be changed "
                           "through the API")
            self._check_keys(body, {"name", "description"})
            spec = t.fields[fname[0]]
            if "description" in body:
                spec["description"] = body["description"]
            if "name" in body and body["name"] != fname[0]:
                for rec in t.records.values():
                    if fname[0] in rec["fields"]:
                        rec["fields"][body["name"]] = rec["fields"].pop(
                            fname[0])
                t.fields = collections.OrderedDict(
                    (body["name"] if k == fname[0] else k, v)
                    for k, v in t.fields.items())
            return json_response(200, [f for f in t.schema()["fields"]
                                       if f["id"] == spec["id"]][0])
        raise AirtableError(404, "NOT_FOUND")

    @staticmethod
    def _meta_fields(fields):
        out = collections.OrderedDict()
        for f in fields:
            if not isinstance(f, dict):
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "each field must be an object")
            unknown = set(f) - {"name", "type", "options", "description"}
            if unknown:
                raise _err(422, "INVALID_REQUEST_UNKNOWN",
                           "Unknown field property %s" % sorted(unknown)[0])
            ftype = f.get("type")
            if ftype not in KNOWN_TYPES or ftype == "autoNumber":
                raise _err(422, "INVALID_FIELD_TYPE",
                           "unsupported field type %r" % ftype)
            options = dict(f.get("options") or {})
            need = _REQUIRED_OPTIONS.get(ftype, ())
            missing = [o for o in need if o not in options]
            if missing:
                raise _err(422, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE",
                           "Field %r of type %s needs options %s"
                           % (f.get("name"), ftype, ", ".join(missing)))
            if "precision" in options and not (
                    isinstance(options["precision"], int)
                    and 0 <= options["precision"] <= 8):
                raise _err(422, "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE",
                           "precision must be an integer from 0 to 8")
            name = f.get("name")
            if not isinstance(name, str) or not name.strip() or name in out:
                raise _err(422, "DUPLICATE_OR_EMPTY_FIELD_NAME",
                           "field names must be unique and not empty")
            spec = {"type": ftype}
            choices = options.pop("choices", None)
            if choices is not None:
                spec["choices"] = [c["name"] for c in choices]
            if options:
                spec["options"] = options
            if f.get("description"):
                spec["description"] = f["description"]
            out[name] = spec
        return out
    # ---- end of the meta API ------------------------------------------------


class AirtableClient(FakeClient):
    """Control API of an Airtable fake in another process."""

    def records(self, table, base=None):
        q = {"table": table}
        if base:
            q["base"] = base
        return self.call("GET", "records", query=q)["records"]

    def add_records(self, table, rows, base=None):
        ids = self.seed({"base": base, "tables": {
            table: {"records": [{"fields": r} for r in rows]}}})[table]
        return ids

    @property
    def rate_limited_count(self):
        return self.state()["rate_limited_count"]


def _args(p):
    p.add_argument("--token", default=None)
    p.add_argument("--base-id", default=None)


def _options(a):
    out = {}
    if a.token:
        out["token"] = a.token
    if a.base_id:
        out["base_id"] = a.base_id
    return out


if __name__ == "__main__":
    sys.exit(main(AirtableFake, add_arguments=_args,
                  options_from_args=_options))
