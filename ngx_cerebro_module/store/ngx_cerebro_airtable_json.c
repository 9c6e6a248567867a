
/*
 * Airtable records <-> ours.  Airtable omits empty fields from its answers
 * and a number may come back as a string from a base typed differently,
 * so every read accepts a missing field and both spellings of a number.
 */

#include "ngx_cerebro_airtable.h"
#include "cerebro_civil.h"
#include "cerebro_phone.h"


/* the name in the base of one of our fields; n is in scope */
#define at_f(x)  n->field[NGX_CEREBRO_AT_F_##x]


static const char *ngx_cerebro_at_str(cJSON *fields, const char *name);
static int ngx_cerebro_at_int(cJSON *fields, const char *name);
static ngx_int_t ngx_cerebro_at_add_str(cJSON *o, const char *name,
    const char *value);


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


/*
 * A number as staff typed it in the base ("600 11 12 22") is ours in
 * E.164, the form the cache, the reminders and the comparisons use; the
 * base keeps what they typed.  What is no number is kept as it is.
 */
static void
ngx_cerebro_at_phone(char *out, size_t size, const char *typed)
{
    char                      e164[CEREBRO_PHONE_E164_SIZE];
    ngx_cerebro_main_conf_t  *mcf;

    cerebro_rec_copy(out, size, typed);

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cerebro_module);

    if (typed != NULL && mcf != NULL && mcf->model != NULL
        && cerebro_phone_normalize(typed, ngx_strlen(typed),
                                   mcf->model->country_code, e164,
                                   sizeof(e164), NULL)
           == CEREBRO_PHONE_OK)
    {
        cerebro_rec_copy(out, size, e164);
    }
}


/* the milliseconds of "2026-11-28T20:00:00.123Z", 0 when not given */
static int64_t
ngx_cerebro_at_millis(const char *s)
{
    int      i;
    int64_t  ms, scale;

    s = ngx_strchr(s, '.');
    if (s == NULL) {
        return 0;
    }

    ms = 0;
    scale = 100;

    for (i = 1; i <= 3 && s[i] >= '0' && s[i] <= '9'; i++) {
        ms += (s[i] - '0') * scale;
        scale /= 10;
    }

    return ms;
}


ngx_int_t
ngx_cerebro_at_reservation(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_reservation_t *out)
{
    cJSON  *id, *f, *created;

    ngx_memzero(out, sizeof(cerebro_reservation_t));

    id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsString(id) || !cJSON_IsObject(f)
        || ngx_cerebro_at_parse_iso(ngx_cerebro_at_str(f, at_f(DATE_TIME)),
                                    &out->start)
           != NGX_OK)
    {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->id, sizeof(out->id), id->valuestring);
    cerebro_rec_copy(out->client_name, sizeof(out->client_name),
                     ngx_cerebro_at_str(f, at_f(CLIENT_NAME)));
    ngx_cerebro_at_phone(out->client_phone, sizeof(out->client_phone),
                         ngx_cerebro_at_str(f, at_f(CLIENT_PHONE)));
    out->pax = ngx_cerebro_at_int(f, at_f(PAX));
    cerebro_rec_copy(out->table, sizeof(out->table),
                     ngx_cerebro_at_str(f, at_f(TABLE)));
    cerebro_rec_copy(out->status, sizeof(out->status),
                     ngx_cerebro_at_str(f, at_f(STATUS)));
    cerebro_rec_copy(out->notes, sizeof(out->notes),
                     ngx_cerebro_at_str(f, at_f(NOTES)));
    cerebro_rec_copy(out->source, sizeof(out->source),
                     ngx_cerebro_at_str(f, at_f(SOURCE)));
    cerebro_rec_copy(out->call_id, sizeof(out->call_id),
                     ngx_cerebro_at_str(f, at_f(RES_CALL_ID)));

    /* a booking of the original has no status yet: it stands */
    if (out->status[0] == '\0') {
        cerebro_rec_copy(out->status, sizeof(out->status),
                         CEREBRO_STATUS_CONFIRMED);
    }

    created = cJSON_GetObjectItemCaseSensitive(rec, "createdTime");
    if (cJSON_IsString(created)
        && ngx_cerebro_at_parse_iso(created->valuestring, &out->created)
           == NGX_OK)
    {
        out->written_ms = out->created * 1000
                          + ngx_cerebro_at_millis(created->valuestring);
    }

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_at_table(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_table_rec_t *out)
{
    cJSON  *f;

    ngx_memzero(out, sizeof(cerebro_table_rec_t));

    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsObject(f) || *ngx_cerebro_at_str(f, at_f(MESA_NAME)) == '\0') {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->name, sizeof(out->name),
                     ngx_cerebro_at_str(f, at_f(MESA_NAME)));
    out->capacity_min = ngx_cerebro_at_int(f, at_f(CAPACITY_MIN));
    out->capacity_max = ngx_cerebro_at_int(f, at_f(CAPACITY_MAX));
    cerebro_rec_copy(out->location, sizeof(out->location),
                     ngx_cerebro_at_str(f, at_f(LOCATION)));

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_at_faq(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_faq_t *out)
{
    cJSON  *f;

    ngx_memzero(out, sizeof(cerebro_faq_t));

    f = cJSON_GetObjectItemCaseSensitive(rec, "fields");

    if (!cJSON_IsObject(f) || *ngx_cerebro_at_str(f, at_f(QUESTION)) == '\0') {
        return NGX_DECLINED;
    }

    cerebro_rec_copy(out->question, sizeof(out->question),
                     ngx_cerebro_at_str(f, at_f(QUESTION)));
    cerebro_rec_copy(out->answer, sizeof(out->answer),
                     ngx_cerebro_at_str(f, at_f(ANSWER)));

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_at_guest(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_guest_t *out)
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
                     ngx_cerebro_at_str(f, at_f(GUEST_NAME)));
    ngx_cerebro_at_phone(out->phone, sizeof(out->phone),
                         ngx_cerebro_at_str(f, at_f(GUEST_PHONE)));
    cerebro_rec_copy(out->email, sizeof(out->email),
                     ngx_cerebro_at_str(f, at_f(EMAIL)));
    cerebro_rec_copy(out->preferences, sizeof(out->preferences),
                     ngx_cerebro_at_str(f, at_f(PREFERENCES)));

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
ngx_cerebro_at_booking_fields(const ngx_cerebro_at_names_t *n,
    const cerebro_booking_req_t *req, int64_t start, const char *table,
    int extras)
{
    char    iso[32];
    cJSON  *f;

    f = cJSON_CreateObject();
    if (f == NULL) {
        return NULL;
    }

    ngx_cerebro_at_format_iso(start, iso, sizeof(iso));

    if (ngx_cerebro_at_add_str(f, at_f(CLIENT_NAME), req->client_name) != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(CLIENT_PHONE), req->client_phone)
           != NGX_OK
        || cJSON_AddStringToObject(f, at_f(DATE_TIME), iso) == NULL
        || cJSON_AddNumberToObject(f, at_f(PAX), req->when.party) == NULL
        || ngx_cerebro_at_add_str(f, at_f(TABLE), table) != NGX_OK
        || cJSON_AddStringToObject(f, at_f(STATUS), CEREBRO_STATUS_CONFIRMED)
           == NULL)
    {
        cJSON_Delete(f);
        return NULL;
    }

    if (extras
        && (ngx_cerebro_at_add_str(f, at_f(NOTES), req->notes) != NGX_OK
            || ngx_cerebro_at_add_str(f, at_f(SOURCE), req->source) != NGX_OK
            || ngx_cerebro_at_add_str(f, at_f(RES_CALL_ID), req->call_id)
               != NGX_OK))
    {
        cJSON_Delete(f);
        return NULL;
    }

    return f;
}


ngx_int_t
ngx_cerebro_at_records_body(ngx_pool_t *pool, const char *id,
    const char *merge_on, cJSON *fields, ngx_str_t *out)
{
    char    *text;
    cJSON   *body, *records, *rec, *upsert, *merge;

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

    if (merge_on) {
        upsert = cJSON_AddObjectToObject(body, "performUpsert");
        merge = upsert ? cJSON_AddArrayToObject(upsert, "fieldsToMergeOn")
                       : NULL;

        if (merge == NULL
            || !cJSON_AddItemToArray(merge, cJSON_CreateString(merge_on)))
        {
            cJSON_Delete(body);
            return NGX_ERROR;
        }
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
ngx_cerebro_at_call_log_fields(const ngx_cerebro_at_names_t *n,
    const cerebro_call_log_t *c)
{
    char    started[32], ended[32];
    cJSON  *f;

    f = cJSON_CreateObject();
    if (f == NULL) {
        return NULL;
    }

    ngx_cerebro_at_format_iso(c->started, started, sizeof(started));
    ngx_cerebro_at_format_iso(c->ended, ended, sizeof(ended));

    if (ngx_cerebro_at_add_str(f, at_f(CALL_ID), c->call_id) != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(CALLER), c->caller) != NGX_OK
        || (c->started
            && cJSON_AddStringToObject(f, at_f(STARTED), started) == NULL)
        || (c->ended && cJSON_AddStringToObject(f, at_f(ENDED), ended) == NULL)
        || cJSON_AddNumberToObject(f, at_f(DURATION), c->duration_s) == NULL
        || ngx_cerebro_at_add_str(f, at_f(ENDED_REASON), c->ended_reason)
           != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(SUMMARY), c->summary) != NGX_OK
        || cJSON_AddNumberToObject(f, at_f(COST), c->cost) == NULL
        || cJSON_AddBoolToObject(f, at_f(BOOKED), c->booked) == NULL
        || cJSON_AddBoolToObject(f, at_f(CHANGED), c->changed) == NULL
        || cJSON_AddBoolToObject(f, at_f(CANCELLED), c->cancelled) == NULL)
    {
        cJSON_Delete(f);
        return NULL;
    }

    return f;
}



cJSON *
ngx_cerebro_at_waitlist_fields(const ngx_cerebro_at_names_t *n,
    const cerebro_waitlist_t *w, char *entry, size_t size)
{
    char    day[16], from[8], to[8];
    cJSON  *f;

    f = cJSON_CreateObject();
    if (f == NULL) {
        return NULL;
    }

    cerebro_date_format_iso(day, sizeof(day), &w->date);
    ngx_snprintf((u_char *) from, sizeof(from), "%02d:%02d%Z",
                 w->time_from / 60, w->time_from % 60);
    ngx_snprintf((u_char *) to, sizeof(to), "%02d:%02d%Z",
                 w->time_to / 60, w->time_to % 60);
    /* one guest, one slot: the same record whichever host wrote it */
    ngx_snprintf((u_char *) entry, size, "%s %s %s%Z", w->phone, day, from);

    if (ngx_cerebro_at_add_str(f, at_f(WL_ENTRY), entry) != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(WL_NAME), w->name) != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(WL_PHONE), w->phone) != NGX_OK
        || cJSON_AddStringToObject(f, at_f(WL_DATE), day) == NULL
        || cJSON_AddStringToObject(f, at_f(WL_TIME), from) == NULL
        || cJSON_AddStringToObject(f, at_f(WL_TIME_TO), to) == NULL
        || cJSON_AddNumberToObject(f, at_f(WL_PAX), w->pax) == NULL
        || ngx_cerebro_at_add_str(f, at_f(WL_STATUS), w->status) != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(WL_OFFER_TABLE), w->offer_table)
           != NGX_OK
        || ngx_cerebro_at_add_str(f, at_f(WL_RESERVATION), w->reservation_id)
           != NGX_OK)
    {
        cJSON_Delete(f);
        return NULL;
    }

    return f;
}

/* ---- names: configuration ----------------------------------------------- */


typedef struct {
    ngx_cerebro_at_table_e   table;
    const char              *ours;       /* and the original's default */
} ngx_cerebro_at_field_def_t;


static const char  *ngx_cerebro_at_roles[NGX_CEREBRO_AT_NTABLES] = {
    "reservations", "tables", "guests", "faq", "calls", "waitlist"
};


static const ngx_cerebro_at_field_def_t
    ngx_cerebro_at_fields[NGX_CEREBRO_AT_NFIELDS] =
{
    { NGX_CEREBRO_AT_RESERVAS, "client_name" },
    { NGX_CEREBRO_AT_RESERVAS, "client_phone" },
    { NGX_CEREBRO_AT_RESERVAS, "date_time" },
    { NGX_CEREBRO_AT_RESERVAS, "pax" },
    { NGX_CEREBRO_AT_RESERVAS, "table" },
    { NGX_CEREBRO_AT_RESERVAS, "status" },
    { NGX_CEREBRO_AT_RESERVAS, "notes" },
    { NGX_CEREBRO_AT_RESERVAS, "source" },
    { NGX_CEREBRO_AT_RESERVAS, "call_id" },

    { NGX_CEREBRO_AT_MESAS, "name" },
    { NGX_CEREBRO_AT_MESAS, "capacity_min" },
    { NGX_CEREBRO_AT_MESAS, "capacity_max" },
    { NGX_CEREBRO_AT_MESAS, "location" },

    { NGX_CEREBRO_AT_CLIENTES, "name" },
    { NGX_CEREBRO_AT_CLIENTES, "phone" },
    { NGX_CEREBRO_AT_CLIENTES, "email" },
    { NGX_CEREBRO_AT_CLIENTES, "preferences" },

    { NGX_CEREBRO_AT_FAQ, "question" },
    { NGX_CEREBRO_AT_FAQ, "answer" },

    { NGX_CEREBRO_AT_CALLS, "call_id" },
    { NGX_CEREBRO_AT_CALLS, "caller" },
    { NGX_CEREBRO_AT_CALLS, "started" },
    { NGX_CEREBRO_AT_CALLS, "ended" },
    { NGX_CEREBRO_AT_CALLS, "duration_s" },
    { NGX_CEREBRO_AT_CALLS, "ended_reason" },
    { NGX_CEREBRO_AT_CALLS, "summary" },
    { NGX_CEREBRO_AT_CALLS, "cost" },
    { NGX_CEREBRO_AT_CALLS, "booked" },
    { NGX_CEREBRO_AT_CALLS, "changed" },
    { NGX_CEREBRO_AT_CALLS, "cancelled" },

    { NGX_CEREBRO_AT_WAITLIST, "entry" },
    { NGX_CEREBRO_AT_WAITLIST, "name" },
    { NGX_CEREBRO_AT_WAITLIST, "phone" },
    { NGX_CEREBRO_AT_WAITLIST, "date" },
    { NGX_CEREBRO_AT_WAITLIST, "time" },
    { NGX_CEREBRO_AT_WAITLIST, "time_to" },
    { NGX_CEREBRO_AT_WAITLIST, "party_size" },
    { NGX_CEREBRO_AT_WAITLIST, "status" },
    { NGX_CEREBRO_AT_WAITLIST, "offer_table" },
    { NGX_CEREBRO_AT_WAITLIST, "reservation_id" }
};


static const ngx_cerebro_at_names_t  ngx_cerebro_at_default_names = {
    { "Reservas", "Mesas", "Clientes", "FAQ", "Llamadas", "ListaEspera" },
    {
        "client_name", "client_phone", "date_time", "pax", "table",
        "status", "notes", "source", "call_id",
        "name", "capacity_min", "capacity_max", "location",
        "name", "phone", "email", "preferences",
        "question", "answer",
        "call_id", "caller", "started", "ended", "duration_s",
        "ended_reason", "summary", "cost", "booked", "changed", "cancelled",
        "entry", "name", "phone", "date", "time", "time_to", "party_size",
        "status", "offer_table", "reservation_id"
    }
};


const ngx_cerebro_at_names_t *
ngx_cerebro_at_names(ngx_cerebro_store_conf_t *scf)
{
    ngx_cerebro_at_conf_t  *acf;

    acf = scf->airtable;

    return acf ? &acf->names : &ngx_cerebro_at_default_names;
}


static ngx_cerebro_at_conf_t *
ngx_cerebro_at_get_conf(ngx_conf_t *cf, ngx_cerebro_store_conf_t *scf)
{
    ngx_cerebro_at_conf_t  *acf;

    if (scf->airtable) {
        return scf->airtable;
    }

    acf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_at_conf_t));
    if (acf == NULL) {
        return NULL;
    }

    acf->names = ngx_cerebro_at_default_names;
    scf->airtable = acf;

    return acf;
}


static ngx_int_t
ngx_cerebro_at_role(ngx_conf_t *cf, ngx_str_t *role)
{
    ngx_uint_t  i;

    for (i = 0; i < NGX_CEREBRO_AT_NTABLES; i++) {
        if (ngx_strcmp(role->data, ngx_cerebro_at_roles[i]) == 0) {
            return (ngx_int_t) i;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "cerebro: unknown table \"%V\" in \"%V\": expected "
                       "reservations, tables, guests, faq or calls",
                       role, &((ngx_str_t *) cf->args->elts)[0]);
    return NGX_ERROR;
}


/*
 * A name goes into a URL path (escaped) and, for a field, into formulas as
 * {Name}: a '}' there would end the reference early and let the rest of
 * the name be read as formula text.
 */
static ngx_int_t
ngx_cerebro_at_valid_name(ngx_conf_t *cf, ngx_str_t *name)
{
    size_t   i;
    u_char   c;

    if (name->len == 0 || name->len > 255) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: an Airtable name must have 1 to 255 "
                           "bytes, not %uz (\"%V\")", name->len,
                           &((ngx_str_t *) cf->args->elts)[0]);
        return NGX_ERROR;
    }

    for (i = 0; i < name->len; i++) {
        c = name->data[i];

        if (c == '}' || c == '{' || c < 0x20 || c == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cerebro: invalid Airtable name \"%V\" in "
                               "\"%V\": braces and control characters "
                               "would break filterByFormula", name,
                               &((ngx_str_t *) cf->args->elts)[0]);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


char *
ngx_cerebro_at_set_table(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_store_conf_t *scf = conf;

    ngx_int_t               t;
    ngx_str_t              *value;
    ngx_cerebro_at_conf_t  *acf;

    value = cf->args->elts;

    t = ngx_cerebro_at_role(cf, &value[1]);
    if (t == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    acf = ngx_cerebro_at_get_conf(cf, scf);
    if (acf == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_strcmp(value[2].data, "off") == 0) {
        if (t != NGX_CEREBRO_AT_CALLS && t != NGX_CEREBRO_AT_WAITLIST) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cerebro: only the calls and waitlist tables "
                               "are optional "
                               "(\"%V %V off\")", &cmd->name, &value[1]);
            return NGX_CONF_ERROR;
        }

        acf->names.table[t] = NULL;
        return NGX_CONF_OK;
    }

    if (ngx_cerebro_at_valid_name(cf, &value[2]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    /* the directive's arguments are NUL-terminated by nginx */
    acf->names.table[t] = (const char *) value[2].data;

    return NGX_CONF_OK;
}


char *
ngx_cerebro_at_set_field(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_store_conf_t *scf = conf;

    ngx_int_t               t;
    ngx_uint_t              i;
    ngx_str_t              *value;
    ngx_cerebro_at_conf_t  *acf;

    value = cf->args->elts;

    t = ngx_cerebro_at_role(cf, &value[1]);
    if (t == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (ngx_cerebro_at_valid_name(cf, &value[3]) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    acf = ngx_cerebro_at_get_conf(cf, scf);
    if (acf == NULL) {
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < NGX_CEREBRO_AT_NFIELDS; i++) {
        if (ngx_cerebro_at_fields[i].table == (ngx_cerebro_at_table_e) t
            && ngx_strcmp(value[2].data, ngx_cerebro_at_fields[i].ours) == 0)
        {
            acf->names.field[i] = (const char *) value[3].data;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "cerebro: the %V table has no field \"%V\" of ours "
                       "(\"%V\")", &value[1], &value[2], &cmd->name);

    return NGX_CONF_ERROR;
}


char *
ngx_cerebro_at_set_pause(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_store_conf_t *scf = conf;

    ngx_msec_t              ms;
    ngx_str_t              *value;
    ngx_cerebro_at_conf_t  *acf;

    value = cf->args->elts;

    ms = ngx_parse_time(&value[1], 0);

    if (ms == (ngx_msec_t) NGX_ERROR || ms == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid time \"%V\" in \"%V\"",
                           &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    acf = ngx_cerebro_at_get_conf(cf, scf);
    if (acf == NULL) {
        return NGX_CONF_ERROR;
    }

    acf->pause = ms;

    return NGX_CONF_OK;
}


/* Airtable allows 5 a second per base, 50 per token: more is refused. */
char *
ngx_cerebro_at_set_rate(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_store_conf_t *scf = conf;

    ngx_int_t               n;
    ngx_str_t              *value, v;
    ngx_cerebro_at_conf_t  *acf;

    value = cf->args->elts;
    v = value[1];

    if (v.len > 3 && ngx_strncmp(v.data + v.len - 3, "r/s", 3) == 0) {
        v.len -= 3;
    }

    n = ngx_atoi(v.data, v.len);

    if (n < 1 || n > 50) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value \"%V\" in \"%V\": "
                           "expected requests a second, 1 to 50 (\"5\" "
                           "or \"5r/s\")", &value[1], &cmd->name);
        return NGX_CONF_ERROR;
    }

    acf = ngx_cerebro_at_get_conf(cf, scf);
    if (acf == NULL) {
        return NGX_CONF_ERROR;
    }

    acf->rate = (ngx_uint_t) n;

    return NGX_CONF_OK;
}
