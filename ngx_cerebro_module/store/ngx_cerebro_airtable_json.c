
/*
 * Airtable records <-> ours.  Airtable omits empty fields from its answers
 * and a number may come back as a string from a base typed differently,
 * so every read accepts a missing field and both spellings of a number.
 */

#include "ngx_cerebro_airtable.h"
#include "cerebro_civil.h"


static const char *ngx_cerebro_at_str(cJSON *fields, const char *name);
static int ngx_cerebro_at_int(cJSON *fields, const char *name);
static ngx_int_t ngx_cerebro_at_add_str(cJSON *o, const char *name,
    const char *value);


void
ngx_cerebro_at_parse_error(cJSON *json, ngx_cerebro_at_error_t *err)
{
    cJSON  *e, *t, *m;

    err->type[0] = '\0';
    err->message[0] = '\0';

    if (json == NULL) {
        return;
    }

    e = cJSON_GetObjectItemCaseSensitive(json, "error");

    if (e == NULL) {
        /* 429: {"errors":[{"error":"RATE_LIMIT_REACHED","message":...}]} */
        e = cJSON_GetObjectItemCaseSensitive(json, "errors");
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) == 0) {
            return;
        }

        e = cJSON_GetArrayItem(e, 0);
        t = cJSON_GetObjectItemCaseSensitive(e, "error");
        if (t == NULL) {
            t = cJSON_GetObjectItemCaseSensitive(e, "type");
        }

        m = cJSON_GetObjectItemCaseSensitive(e, "message");

    } else if (cJSON_IsString(e)) {
        t = e;
        m = cJSON_GetObjectItemCaseSensitive(json, "message");

    } else {
        t = cJSON_GetObjectItemCaseSensitive(e, "type");
        m = cJSON_GetObjectItemCaseSensitive(e, "message");
    }

    if (cJSON_IsString(t)) {
        cerebro_rec_copy(err->type, sizeof(err->type), t->valuestring);
    }

    if (cJSON_IsString(m)) {
        cerebro_rec_copy(err->message, sizeof(err->message), m->valuestring);
    }
}


ngx_int_t
ngx_cerebro_at_parse_iso(const char *s, int64_t *out)
{
    int      n, y, mo, d, h, mi, sec, oh, om, sign;
    int64_t  t;

    h = mi = sec = 0;
    n = 0;

    if (s == NULL
        || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
    {
        return NGX_ERROR;
    }

    s += n;

    if (*s == 'T' || *s == ' ') {
        n = 0;
        if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &n) != 2) {
            return NGX_ERROR;
        }

        s += 1 + n;

        if (*s == ':') {
            n = 0;
            if (sscanf(s + 1, "%2d%n", &sec, &n) != 1) {
                return NGX_ERROR;
            }

            s += 1 + n;

            if (*s == '.' || *s == ',') {
                s++;
                while (*s >= '0' && *s <= '9') {
                    s++;
                }
            }
        }
    }

    if (mo < 1 || mo > 12 || d < 1 || d > cerebro_days_in_month(y, mo)
        || h > 23 || mi > 59 || sec > 60)
    {
        return NGX_ERROR;
    }

    t = cerebro_days_from_civil(y, mo, d) * 86400
        + h * 3600 + mi * 60 + sec;

    if (*s == 'Z' || *s == '\0') {
        *out = t;
        return NGX_OK;
    }

    if (*s != '+' && *s != '-') {
        return NGX_ERROR;
    }

    sign = (*s == '-') ? -1 : 1;
    oh = om = 0;

    if (sscanf(s + 1, "%2d:%2d", &oh, &om) < 1
        && sscanf(s + 1, "%2d%2d", &oh, &om) < 1)
    {
        return NGX_ERROR;
    }

    *out = t - sign * (oh * 3600 + om * 60);

    return NGX_OK;
}


void
ngx_cerebro_at_format_iso(int64_t t, char *buf, size_t size)
{
    int64_t         days, secs;
    cerebro_date_t  d;

    days = t / 86400;
    secs = t % 86400;

    if (secs < 0) {
        secs += 86400;
        days--;
    }

    cerebro_civil_from_days(days, &d);

    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.000Z",
             d.year, d.month, d.day, (int) (secs / 3600),
             (int) (secs / 60 % 60), (int) (secs % 60));
}


static const char *
ngx_cerebro_at_str(cJSON *fields, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(fields, name);

    if (cJSON_IsString(v)) {
        return v->valuestring;
    }

    /* a linked or lookup field comes as a list: its first value */
    if (cJSON_IsArray(v) && cJSON_IsString(cJSON_GetArrayItem(v, 0))) {
        return cJSON_GetArrayItem(v, 0)->valuestring;
    }

    return "";
}


static int
ngx_cerebro_at_int(cJSON *fields, const char *name)
{
    cJSON  *v;

    v = cJSON_GetObjectItemCaseSensitive(fields, name);

    if (cJSON_IsNumber(v)) {
        return (int) v->valuedouble;
    }

    if (cJSON_IsString(v)) {
        return atoi(v->valuestring);
    }

    return 0;
}


ngx_int_t
ngx_cerebro_at_reservation(cJSON *rec, cerebro_reservation_t *out)
{
    cJSON  *id, *f, *created;

    ngx_memzero(out, sizeof(cerebro_reservation_t));

    id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsString(id) || !cJSON_IsObject(f)
        || ngx_cerebro_at_parse_iso(ngx_cerebro_at_str(f, "date_time"),
                                    &out->start)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->id, sizeof(out->id), id->valuestring);
    cerebro_rec_copy(out->client_name, sizeof(out->client_name),
                     ngx_cerebro_at_str(f, "client_name"));
    cerebro_rec_copy(out->client_phone, sizeof(out->client_phone),
                     ngx_cerebro_at_str(f, "client_phone"));
    out->pax = ngx_cerebro_at_int(f, "pax");
    cerebro_rec_copy(out->table, sizeof(out->table),
                     ngx_cerebro_at_str(f, "table"));
    cerebro_rec_copy(out->status, sizeof(out->status),
                     ngx_cerebro_at_str(f, "status"));
    cerebro_rec_copy(out->notes, sizeof(out->notes),
                     ngx_cerebro_at_str(f, "notes"));
    cerebro_rec_copy(out->source, sizeof(out->source),
                     ngx_cerebro_at_str(f, "source"));
    cerebro_rec_copy(out->call_id, sizeof(out->call_id),
                     ngx_cerebro_at_str(f, "call_id"));

    /* a booking of the original has no status yet: it stands */
    if (out->status[0] == '\0') {
        cerebro_rec_copy(out->status, sizeof(out->status),
                         CEREBRO_STATUS_CONFIRMED);
    }

    created = cJSON_GetObjectItemCaseSensitive(rec, "createdTime");
    if (cJSON_IsString(created)) {
        (void) ngx_cerebro_at_parse_iso(created->valuestring, &out->created);
    }

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_at_table(cJSON *rec, cerebro_table_rec_t *out)
{
    cJSON  *f;

    ngx_memzero(out, sizeof(cerebro_table_rec_t));

    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsObject(f) || *ngx_cerebro_at_str(f, "name") == '\0') {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->name, sizeof(out->name),
                     ngx_cerebro_at_str(f, "name"));
    out->capacity_min = ngx_cerebro_at_int(f, "capacity_min");
    out->capacity_max = ngx_cerebro_at_int(f, "capacity_max");
    cerebro_rec_copy(out->location, sizeof(out->location),
                     ngx_cerebro_at_str(f, "location"));

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_at_faq(cJSON *rec, cerebro_faq_t *out)
{
    cJSON  *f;

    ngx_memzero(out, sizeof(cerebro_faq_t));

    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsObject(f) || *ngx_cerebro_at_str(f, "question") == '\0') {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->question, sizeof(out->question),
                     ngx_cerebro_at_str(f, "question"));
    cerebro_rec_copy(out->answer, sizeof(out->answer),
                     ngx_cerebro_at_str(f, "answer"));

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_at_guest(cJSON *rec, cerebro_guest_t *out)
{
    cJSON  *id, *f;

    ngx_memzero(out, sizeof(cerebro_guest_t));

    id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsString(id) || !cJSON_IsObject(f)) {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->id, sizeof(out->id), id->valuestring);
    cerebro_rec_copy(out->name, sizeof(out->name),
                     ngx_cerebro_at_str(f, "name"));
    cerebro_rec_copy(out->phone, sizeof(out->phone),
                     ngx_cerebro_at_str(f, "phone"));
    cerebro_rec_copy(out->email, sizeof(out->email),
                     ngx_cerebro_at_str(f, "email"));
    cerebro_rec_copy(out->preferences, sizeof(out->preferences),
                     ngx_cerebro_at_str(f, "preferences"));

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_at_add_str(cJSON *o, const char *name, const char *value)
{
    if (value == NULL || *value == '\0') {
        return NGX_OK;
    }

    return cJSON_AddStringToObject(o, name, value) ? NGX_OK : NGX_ERROR;
}


cJSON *
ngx_cerebro_at_booking_fields(const cerebro_booking_req_t *req,
    int64_t start, const char *table, int extras)
{
    char    iso[32];
    cJSON  *f;

    f = cJSON_CreateObject();
    if (f == NULL) {
        return NULL;
    }

    ngx_cerebro_at_format_iso(start, iso, sizeof(iso));

    if (ngx_cerebro_at_add_str(f, "client_name", req->client_name) != NGX_OK
        || ngx_cerebro_at_add_str(f, "client_phone", req->client_phone)
           != NGX_OK
        || cJSON_AddStringToObject(f, "date_time", iso) == NULL
        || cJSON_AddNumberToObject(f, "pax", req->when.party) == NULL
        || ngx_cerebro_at_add_str(f, "table", table) != NGX_OK
        || cJSON_AddStringToObject(f, "status", CEREBRO_STATUS_CONFIRMED)
           == NULL)
    {
        cJSON_Delete(f);
        return NULL;
    }

    if (extras
        && (ngx_cerebro_at_add_str(f, "notes", req->notes) != NGX_OK
            || ngx_cerebro_at_add_str(f, "source", req->source) != NGX_OK
            || ngx_cerebro_at_add_str(f, "call_id", req->call_id) != NGX_OK))
    {
        cJSON_Delete(f);
        return NULL;
    }

    return f;
}


ngx_int_t
ngx_cerebro_at_records_body(ngx_pool_t *pool, const char *id, cJSON *fields,
    ngx_str_t *out)
{
    char    *text;
    cJSON   *body, *records, *rec;

    body = cJSON_CreateObject();
    records = cJSON_AddArrayToObject(body, "records");
    rec = cJSON_CreateObject();

    if (body == NULL || records == NULL || rec == NULL) {
        cJSON_Delete(rec);
        cJSON_Delete(body);
        return NGX_ERROR;
    }

    cJSON_AddItemToArray(records, rec);

    if ((id && cJSON_AddStringToObject(rec, "id", id) == NULL)
        || cJSON_AddItemReferenceToObject(rec, "fields", fields) == 0
        || cJSON_AddTrueToObject(body, "typecast") == NULL)
    {
        cJSON_Delete(body);
        return NGX_ERROR;
    }

    text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);

    if (text == NULL) {
        return NGX_ERROR;
    }

    out->len = ngx_strlen(text);
    out->data = ngx_pnalloc(pool, out->len);

    if (out->data == NULL) {
        cJSON_free(text);
        return NGX_ERROR;
    }

    ngx_memcpy(out->data, text, out->len);
    cJSON_free(text);

    return NGX_OK;
}


cJSON *
ngx_cerebro_at_call_log_fields(const cerebro_call_log_t *c)
{
    char    started[32], ended[32];
    cJSON  *f;

    f = cJSON_CreateObject();
    if (f == NULL) {
        return NULL;
    }

    ngx_cerebro_at_format_iso(c->started, started, sizeof(started));
    ngx_cerebro_at_format_iso(c->ended, ended, sizeof(ended));

    if (ngx_cerebro_at_add_str(f, "call_id", c->call_id) != NGX_OK
        || ngx_cerebro_at_add_str(f, "caller", c->caller) != NGX_OK
        || (c->started
            && cJSON_AddStringToObject(f, "started", started) == NULL)
        || (c->ended && cJSON_AddStringToObject(f, "ended", ended) == NULL)
        || cJSON_AddNumberToObject(f, "duration_s", c->duration_s) == NULL
        || ngx_cerebro_at_add_str(f, "ended_reason", c->ended_reason)
           != NGX_OK
        || ngx_cerebro_at_add_str(f, "summary", c->summary) != NGX_OK
        || cJSON_AddNumberToObject(f, "cost", c->cost) == NULL
        || cJSON_AddBoolToObject(f, "booked", c->booked) == NULL
        || cJSON_AddBoolToObject(f, "changed", c->changed) == NULL
        || cJSON_AddBoolToObject(f, "cancelled", c->cancelled) == NULL)
    {
        cJSON_Delete(f);
        return NULL;
    }

    return f;
}
