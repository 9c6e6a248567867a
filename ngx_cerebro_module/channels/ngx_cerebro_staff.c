
/*
 * /cerebro/reservations and /cerebro/tables: the store as JSON for the
 * staff (and for the tests that drive the store through nginx).
 *
 *   GET    /cerebro/reservations?date=2026-11-28   a day's book
 *   GET    /cerebro/reservations?phone=+34600...   a guest's upcoming ones
 *   POST   /cerebro/reservations                   book (engine-checked)
 *   PATCH  /cerebro/reservations/<id>              move: date, time, pax,
 *                                                  notes (engine-checked)
 *   DELETE /cerebro/reservations/<id>              cancel
 *   GET    /cerebro/tables                         tables and groups
 *   GET    /cerebro/restaurant                     the restaurant file
 *   GET    /cerebro/calls?days=14                  the call log (embedded)
 *
 * Every change is confirmed to the guest on WhatsApp, as a phone booking.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_staff.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_outbox.h"
#include "cerebro_phone.h"


static ngx_int_t ngx_cerebro_reservations_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_tables_handler(ngx_http_request_t *r);
static void ngx_cerebro_reservations_body(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_staff_id(ngx_http_request_t *r,
    ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_staff_parse_change(ngx_http_request_t *r,
    cJSON *json, ngx_cerebro_store_op_t *op, const char **why);
static void ngx_cerebro_staff_confirm(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_restaurant_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_calls_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_waitlist_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_staff_parse_booking(ngx_http_request_t *r,
    cJSON *json, ngx_cerebro_store_op_t *op, const char **why);
static ngx_cerebro_store_op_t *ngx_cerebro_staff_op(ngx_http_request_t *r,
    ngx_cerebro_store_kind_e kind);
static ngx_int_t ngx_cerebro_staff_go(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_staff_done(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_staff_answer(ngx_cerebro_store_op_t *op);
static ngx_uint_t ngx_cerebro_staff_status(cerebro_store_err_t kind);
static cJSON *ngx_cerebro_staff_reservation(const cerebro_restaurant_t *m,
    const cerebro_reservation_t *rec);
static cJSON *ngx_cerebro_staff_alternatives(const cerebro_answer_t *a);
static ngx_int_t ngx_cerebro_staff_date(ngx_str_t *s, cerebro_date_t *d);
static ngx_int_t ngx_cerebro_staff_time(const char *s, int *minutes);
static ngx_int_t ngx_cerebro_staff_copy_arg(ngx_http_request_t *r,
    const char *name, char *out, size_t size);


char *
ngx_cerebro_reservations(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "reservations",
                                    ngx_cerebro_reservations_handler);
}


char *
ngx_cerebro_tables(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "tables",
                                    ngx_cerebro_tables_handler);
}


char *
ngx_cerebro_staff_restaurant(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "restaurant",
                                    ngx_cerebro_restaurant_handler);
}


char *
ngx_cerebro_staff_calls(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "calls", ngx_cerebro_calls_handler);
}


char *
ngx_cerebro_staff_waitlist(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "waitlist",
                                    ngx_cerebro_waitlist_handler);
}


static ngx_int_t
ngx_cerebro_reservations_handler(ngx_http_request_t *r)
{
    char                     phone[CEREBRO_REC_PHONE_LEN];
    ngx_int_t                rc;
    ngx_str_t                value;
    ngx_cerebro_store_op_t  *op;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD
                                          |NGX_HTTP_POST|NGX_HTTP_PATCH
                                          |NGX_HTTP_DELETE);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    /* a form or text/plain, which a page elsewhere can send, books nothing */
    if (r->method == NGX_HTTP_POST) {
        return ngx_cerebro_http_read_post(r, "application/json",
                                          ngx_cerebro_reservations_body);
    }

    if (r->method == NGX_HTTP_PATCH) {
        return ngx_cerebro_http_read_body(r, "application/json",
                                          ngx_cerebro_reservations_body);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (r->method == NGX_HTTP_DELETE) {
        op = ngx_cerebro_staff_op(r, NGX_CEREBRO_STORE_CANCEL);
        if (op == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_cerebro_staff_id(r, op) != NGX_OK) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "DELETE /cerebro/reservations/<id>: the id is missing");
        }

        return ngx_cerebro_staff_go(op);
    }

    if (ngx_http_arg(r, (u_char *) "date", 4, &value) == NGX_OK) {
        op = ngx_cerebro_staff_op(r, NGX_CEREBRO_STORE_DAY);
        if (op == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_cerebro_staff_date(&value, &op->date) != NGX_OK) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                       "date must be a real date written YYYY-MM-DD");
        }

        return ngx_cerebro_staff_go(op);
    }

    op = ngx_cerebro_staff_op(r, NGX_CEREBRO_STORE_BY_PHONE);
    if (op == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_cerebro_staff_copy_arg(r, "phone", phone, sizeof(phone))
        != NGX_OK)
    {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "give ?date=YYYY-MM-DD or ?phone=<number>");
    }

    if (cerebro_phone_normalize(phone, ngx_strlen(phone),
                                ngx_cerebro_store_model(r)->country_code,
                                op->phone, sizeof(op->phone), NULL)
        != CEREBRO_PHONE_OK)
    {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                   "phone is not a telephone number");
    }

    return ngx_cerebro_staff_go(op);
}


static ngx_int_t
ngx_cerebro_tables_handler(ngx_http_request_t *r)
{
    ngx_int_t                rc;
    ngx_cerebro_store_op_t  *op;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    op = ngx_cerebro_staff_op(r, NGX_CEREBRO_STORE_TABLES);
    if (op == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_staff_go(op);
}


static void
ngx_cerebro_reservations_body(ngx_http_request_t *r)
{
    cJSON                   *json;
    ngx_int_t                rc;
    ngx_str_t                body;
    const char              *why;
    ngx_cerebro_store_op_t  *op;

    rc = ngx_cerebro_http_body(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    json = cJSON_ParseWithLength((char *) body.data, body.len);

    op = ngx_cerebro_staff_op(r, r->method == NGX_HTTP_PATCH
                                 ? NGX_CEREBRO_STORE_UPDATE
                                 : NGX_CEREBRO_STORE_CREATE);

    if (op == NULL) {
        cJSON_Delete(json);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    why = "the body is not a JSON object";

    if (op->kind == NGX_CEREBRO_STORE_UPDATE
        && ngx_cerebro_staff_id(r, op) != NGX_OK)
    {
        cJSON_Delete(json);
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                "PATCH /cerebro/reservations/<id>: the id is missing"));
        return;
    }

    if (!cJSON_IsObject(json)
        || (op->kind == NGX_CEREBRO_STORE_UPDATE
            ? ngx_cerebro_staff_parse_change(r, json, op, &why)
            : ngx_cerebro_staff_parse_booking(r, json, op, &why))
           != NGX_OK)
    {
        cJSON_Delete(json);
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST, why));
        return;
    }

    cJSON_Delete(json);

    rc = ngx_cerebro_staff_go(op);

    if (rc != NGX_DONE) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    /* read_client_request_body counted the request once already */
    r->main->count--;
}


/* the id is what follows the location's last "/" */
static ngx_int_t
ngx_cerebro_staff_id(ngx_http_request_t *r, ngx_cerebro_store_op_t *op)
{
    u_char     *last;
    ngx_str_t   value;

    last = r->uri.data + r->uri.len;

    for (value.data = r->uri.data + r->uri.len;
         value.data > r->uri.data && value.data[-1] != '/';
         value.data--)
    {
        /* void */
    }

    value.len = last - value.data;

    /* "/cerebro/reservations" itself has no id */
    if (value.len == 0 || value.len >= sizeof(op->id)
        || value.data - r->uri.data <= (ssize_t) sizeof("/cerebro") - 1
        || (value.len == sizeof("reservations") - 1
            && ngx_strncmp(value.data, "reservations", value.len) == 0))
    {
        return NGX_ERROR;
    }

    ngx_memcpy(op->id, value.data, value.len);
    op->id[value.len] = '\0';

    return NGX_OK;
}


/* a move: a new date and time together, the party, the notes */
static ngx_int_t
ngx_cerebro_staff_parse_change(ngx_http_request_t *r, cJSON *json,
    ngx_cerebro_store_op_t *op, const char **why)
{
    cJSON      *date, *time, *item;
    ngx_str_t   d;

    date = cJSON_GetObjectItemCaseSensitive(json, "date");
    time = cJSON_GetObjectItemCaseSensitive(json, "time");

    if (date || time) {
        if (!cJSON_IsString(date) || !cJSON_IsString(time)) {
            *why = "a move gives both date (YYYY-MM-DD) and time (HH:MM)";
            return NGX_ERROR;
        }

        d.data = (u_char *) date->valuestring;
        d.len = ngx_strlen(date->valuestring);

        if (ngx_cerebro_staff_date(&d, &op->change.date) != NGX_OK) {
            *why = "date must be a real date written YYYY-MM-DD";
            return NGX_ERROR;
        }

        if (ngx_cerebro_staff_time(time->valuestring, &op->change.minutes)
            != NGX_OK)
        {
            *why = "time is not HH:MM";
            return NGX_ERROR;
        }

        op->change.set_time = 1;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "pax");
    if (item) {
        if (!cJSON_IsNumber(item) || item->valuedouble < 1
            || item->valuedouble > CEREBRO_MAX_PARTY
            || item->valuedouble != (double) item->valueint)
        {
            *why = "pax must be a whole number of guests";
            return NGX_ERROR;
        }

        op->change.pax = item->valueint;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "notes");
    if (cJSON_IsString(item)) {
        op->change.notes = ngx_cerebro_pstrdup0(r->pool,
                        &(ngx_str_t) { ngx_strlen(item->valuestring),
                                       (u_char *) item->valuestring });
        if (op->change.notes == NULL) {
            return NGX_ERROR;
        }
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "location");
    if (cJSON_IsString(item)) {
        op->change.location = ngx_cerebro_pstrdup0(r->pool,
                        &(ngx_str_t) { ngx_strlen(item->valuestring),
                                       (u_char *) item->valuestring });
    }

    if (!op->change.set_time && op->change.pax == 0
        && op->change.notes == NULL)
    {
        *why = "nothing to change: give date and time, pax or notes";
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_staff_parse_booking(ngx_http_request_t *r, cJSON *json,
    ngx_cerebro_store_op_t *op, const char **why)
{
    char       *p;
    cJSON      *item;
    ngx_str_t   date;

    item = cJSON_GetObjectItemCaseSensitive(json, "client_name");
    if (!cJSON_IsString(item) || item->valuestring[0] == '\0'
        || ngx_strlen(item->valuestring) >= sizeof(op->name))
    {
        *why = "client_name is missing or too long";
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) op->name, (u_char *) item->valuestring,
                sizeof(op->name));

    item = cJSON_GetObjectItemCaseSensitive(json, "client_phone");
    if (!cJSON_IsString(item)
        || cerebro_phone_normalize(item->valuestring,
                                   ngx_strlen(item->valuestring),
                                   ngx_cerebro_store_model(r)->country_code,
                                   op->phone, sizeof(op->phone), NULL)
           != CEREBRO_PHONE_OK)
    {
        *why = "client_phone is missing or not a telephone number";
        return NGX_ERROR;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "date");
    if (!cJSON_IsString(item)) {
        *why = "date is missing (YYYY-MM-DD)";
        return NGX_ERROR;
    }

    date.data = (u_char *) item->valuestring;
    date.len = ngx_strlen(item->valuestring);

    if (ngx_cerebro_staff_date(&date, &op->booking.when.date) != NGX_OK) {
        *why = "date must be a real date written YYYY-MM-DD";
        return NGX_ERROR;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "time");
    if (!cJSON_IsString(item)
        || ngx_cerebro_staff_time(item->valuestring,
                                  &op->booking.when.minutes)
           != NGX_OK)
    {
        *why = "time is missing or not HH:MM";
        return NGX_ERROR;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "pax");
    if (!cJSON_IsNumber(item) || item->valuedouble < 1
        || item->valuedouble > CEREBRO_MAX_PARTY
        || item->valuedouble != (double) item->valueint)
    {
        *why = "pax must be a whole number of guests";
        return NGX_ERROR;
    }

    op->booking.when.party = item->valueint;
    op->booking.client_name = op->name;
    op->booking.client_phone = op->phone;
    op->booking.source = "staff";

    item = cJSON_GetObjectItemCaseSensitive(json, "location");
    if (cJSON_IsString(item)) {
        op->booking.when.location = ngx_cerebro_pstrdup0(r->pool,
                        &(ngx_str_t) { ngx_strlen(item->valuestring),
                                       (u_char *) item->valuestring });
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "notes");
    if (cJSON_IsString(item)) {
        p = ngx_cerebro_pstrdup0(r->pool,
                        &(ngx_str_t) { ngx_strlen(item->valuestring),
                                       (u_char *) item->valuestring });
        if (p == NULL) {
            return NGX_ERROR;
        }

        op->booking.notes = p;
    }

    item = cJSON_GetObjectItemCaseSensitive(json, "call_id");
    if (cJSON_IsString(item)) {
        op->booking.call_id = ngx_cerebro_pstrdup0(r->pool,
                        &(ngx_str_t) { ngx_strlen(item->valuestring),
                                       (u_char *) item->valuestring });
    }

    return NGX_OK;
}


static ngx_cerebro_store_op_t *
ngx_cerebro_staff_op(ngx_http_request_t *r, ngx_cerebro_store_kind_e kind)
{
    ngx_cerebro_store_op_t  *op;

    op = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_store_op_t));
    if (op == NULL) {
        return NULL;
    }

    op->request = r;
    op->kind = kind;
    op->done = ngx_cerebro_staff_done;

    /* the guest's confirmation goes into the store with the write */
    if (kind == NGX_CEREBRO_STORE_CREATE) {
        op->notice = ngx_cerebro_outbox_notice(r, CEREBRO_CHANGE_BOOKED, "");

    } else if (kind == NGX_CEREBRO_STORE_UPDATE) {
        op->notice = ngx_cerebro_outbox_notice(r, CEREBRO_CHANGE_CHANGED, "");

    } else if (kind == NGX_CEREBRO_STORE_CANCEL) {
        op->notice = ngx_cerebro_outbox_notice(r, CEREBRO_CHANGE_CANCELLED,
                                               "");
    }

    return op;
}


static ngx_int_t
ngx_cerebro_staff_go(ngx_cerebro_store_op_t *op)
{
    if (ngx_cerebro_store_start(op) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    op->request->main->count++;

    return NGX_DONE;
}


static void
ngx_cerebro_staff_done(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_staff_confirm(op);

    ngx_http_finalize_request(op->request, ngx_cerebro_staff_answer(op));
}


/* the guest hears of a change by hand as of one made on the phone */
static void
ngx_cerebro_staff_confirm(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_change_t  change;

    if (op->error.kind != CEREBRO_STORE_OK
        || op->reservation.client_phone[0] == '\0')
    {
        return;
    }

    switch (op->kind) {

    case NGX_CEREBRO_STORE_CREATE:
        if (op->repeated) {
            return;
        }

        change.kind = CEREBRO_CHANGE_BOOKED;
        break;

    case NGX_CEREBRO_STORE_UPDATE:
        change.kind = CEREBRO_CHANGE_CHANGED;
        break;

    case NGX_CEREBRO_STORE_CANCEL:
        if (op->already) {
            return;
        }

        change.kind = CEREBRO_CHANGE_CANCELLED;
        break;

    default:
        return;
    }

    change.reservation = &op->reservation;
    change.phone = op->reservation.client_phone;
    change.notice = op->notice;

    ngx_cerebro_outbox_confirm(op->request, &change);
}


static ngx_int_t
ngx_cerebro_restaurant_handler(ngx_http_request_t *r)
{
    cJSON                    *json;
    ngx_int_t                 rc;
    ngx_cerebro_main_conf_t  *mcf;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    /* validated when the configuration loaded: hours, tables, pacing */
    json = cJSON_ParseWithLength((char *) mcf->restaurant_json.data,
                                 mcf->restaurant_json.len);
    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


static ngx_int_t
ngx_cerebro_staff_answer(ngx_cerebro_store_op_t *op)
{
    int                           i;
    cJSON                        *json, *list, *item;
    ngx_uint_t                    status;
    ngx_http_request_t           *r;
    ngx_cerebro_main_conf_t      *mcf;
    const cerebro_restaurant_t   *model;

    r = op->request;
    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    model = mcf->model;

    if (op->error.kind != CEREBRO_STORE_OK) {
        status = ngx_cerebro_staff_status(op->error.kind);

        if (op->error.kind == CEREBRO_STORE_UNAVAILABLE
            || op->error.kind == CEREBRO_STORE_RATE_LIMITED)
        {
            ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                            "store %s: %s",
                            cerebro_store_err_name(op->error.kind),
                            op->error.message);
        }

        json = cJSON_CreateObject();
        if (json == NULL
            || cJSON_AddStringToObject(json, "error", op->error.message)
               == NULL
            || cJSON_AddStringToObject(json, "kind",
                                       cerebro_store_err_name(op->error.kind))
               == NULL)
        {
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if ((op->kind == NGX_CEREBRO_STORE_CREATE
             || op->kind == NGX_CEREBRO_STORE_UPDATE)
            && op->error.kind == CEREBRO_STORE_CONFLICT)
        {
            if (cJSON_AddStringToObject(json, "reason",
                                        cerebro_reason_name(op->answer.reason))
                == NULL
                || !cJSON_AddItemToObject(json, "alternatives",
                                   ngx_cerebro_staff_alternatives(&op->answer)))
            {
                cJSON_Delete(json);
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }

        return ngx_cerebro_http_send_json(r, status, json);
    }

    json = cJSON_CreateObject();
    if (json == NULL
        || cJSON_AddStringToObject(json, "backend",
                                   ngx_cerebro_store_backend_name(r))
           == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    status = NGX_HTTP_OK;

    switch (op->kind) {

    case NGX_CEREBRO_STORE_DAY:
    case NGX_CEREBRO_STORE_BY_PHONE:
        list = cJSON_AddArrayToObject(json, "reservations");
        if (list == NULL) {
            goto failed;
        }

        for (i = 0; i < op->nbookings; i++) {
            item = ngx_cerebro_staff_reservation(model, &op->bookings[i]);
            if (item == NULL) {
                goto failed;
            }

            cJSON_AddItemToArray(list, item);
        }

        break;

    case NGX_CEREBRO_STORE_TABLES:
        list = cJSON_AddArrayToObject(json, "tables");
        if (list == NULL) {
            goto failed;
        }

        for (i = 0; i < op->ntables; i++) {
            item = cJSON_CreateObject();
            if (item == NULL) {
                goto failed;
            }

            cJSON_AddItemToArray(list, item);

            if (cJSON_AddStringToObject(item, "name", op->tables[i].name)
                == NULL
                || cJSON_AddNumberToObject(item, "capacity_min",
                                           op->tables[i].capacity_min)
                   == NULL
                || cJSON_AddNumberToObject(item, "capacity_max",
                                           op->tables[i].capacity_max)
                   == NULL
                || cJSON_AddStringToObject(item, "location",
                                           op->tables[i].location)
                   == NULL)
            {
                goto failed;
            }
        }

        list = cJSON_AddArrayToObject(json, "groups");
        if (list == NULL) {
            goto failed;
        }

        for (i = 0; i < op->ngroups; i++) {
            item = cJSON_CreateObject();
            if (item == NULL) {
                goto failed;
            }

            cJSON_AddItemToArray(list, item);

            if (cJSON_AddStringToObject(item, "name", op->groups[i].name)
                == NULL
                || cJSON_AddNumberToObject(item, "capacity_min",
                                           op->groups[i].capacity_min)
                   == NULL
                || cJSON_AddNumberToObject(item, "capacity_max",
                                           op->groups[i].capacity_max)
                   == NULL)
            {
                goto failed;
            }
        }

        break;

    case NGX_CEREBRO_STORE_CREATE:
        status = op->repeated ? NGX_HTTP_OK : NGX_HTTP_CREATED;

        if (cJSON_AddBoolToObject(json, "repeated", op->repeated) == NULL) {
            goto failed;
        }

        /* fall through */

    default:
        item = ngx_cerebro_staff_reservation(model, &op->reservation);
        if (item == NULL) {
            goto failed;
        }

        cJSON_AddItemToObject(json, "reservation", item);

        if (op->kind == NGX_CEREBRO_STORE_CANCEL
            && cJSON_AddBoolToObject(json, "already_cancelled", op->already)
               == NULL)
        {
            goto failed;
        }
    }

    return ngx_cerebro_http_send_json(r, status, json);

failed:

    cJSON_Delete(json);
    return NGX_HTTP_INTERNAL_SERVER_ERROR;
}


static ngx_uint_t
ngx_cerebro_staff_status(cerebro_store_err_t kind)
{
    switch (kind) {
    case CEREBRO_STORE_NOT_FOUND:
        return NGX_HTTP_NOT_FOUND;
    case CEREBRO_STORE_CONFLICT:
        return NGX_HTTP_CONFLICT;
    case CEREBRO_STORE_INVALID:
        return NGX_HTTP_BAD_REQUEST;
    case CEREBRO_STORE_RATE_LIMITED:
        return NGX_HTTP_TOO_MANY_REQUESTS;
    default:
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }
}


static cJSON *
ngx_cerebro_staff_reservation(const cerebro_restaurant_t *m,
    const cerebro_reservation_t *rec)
{
    char              iso[32], date[16], time[8];
    cJSON            *item;
    struct tm         tm;
    cerebro_local_t   local;

    gmtime_r(&(time_t) { rec->start }, &tm);
    strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S.000Z", &tm);

    cerebro_tz_to_local(&m->tz, rec->start, &local);
    cerebro_date_format_iso(date, sizeof(date), &local.date);
    ngx_sprintf((u_char *) time, "%02d:%02d%Z", local.minutes / 60,
                local.minutes % 60);

    item = cJSON_CreateObject();

    if (item == NULL
        || cJSON_AddStringToObject(item, "id", rec->id) == NULL
        || cJSON_AddStringToObject(item, "client_name", rec->client_name)
           == NULL
        || cJSON_AddStringToObject(item, "client_phone", rec->client_phone)
           == NULL
        || cJSON_AddStringToObject(item, "date_time", iso) == NULL
        || cJSON_AddStringToObject(item, "date", date) == NULL
        || cJSON_AddStringToObject(item, "time", time) == NULL
        || cJSON_AddNumberToObject(item, "pax", rec->pax) == NULL
        || cJSON_AddStringToObject(item, "table", rec->table) == NULL
        || cJSON_AddStringToObject(item, "status", rec->status) == NULL
        || cJSON_AddStringToObject(item, "notes", rec->notes) == NULL
        || cJSON_AddStringToObject(item, "source", rec->source) == NULL)
    {
        cJSON_Delete(item);
        return NULL;
    }

    return item;
}


static cJSON *
ngx_cerebro_staff_alternatives(const cerebro_answer_t *a)
{
    int     i;
    char    date[16], time[8];
    cJSON  *list, *item;

    list = cJSON_CreateArray();
    if (list == NULL) {
        return NULL;
    }

    for (i = 0; i < a->nalts; i++) {
        cerebro_date_format_iso(date, sizeof(date), &a->alts[i].date);
        ngx_sprintf((u_char *) time, "%02d:%02d%Z", a->alts[i].minutes / 60,
                    a->alts[i].minutes % 60);

        item = cJSON_CreateObject();
        if (item == NULL) {
            cJSON_Delete(list);
            return NULL;
        }

        cJSON_AddItemToArray(list, item);

        if (cJSON_AddStringToObject(item, "date", date) == NULL
            || cJSON_AddStringToObject(item, "time", time) == NULL
            || cJSON_AddStringToObject(item, "table",
                                       a->alts[i].name ? a->alts[i].name : "")
               == NULL)
        {
            cJSON_Delete(list);
            return NULL;
        }
    }

    return list;
}


static ngx_int_t
ngx_cerebro_staff_date(ngx_str_t *s, cerebro_date_t *d)
{
    if (s->len != 10 || s->data[4] != '-' || s->data[7] != '-') {
        return NGX_ERROR;
    }

    d->year = ngx_atoi(s->data, 4);
    d->month = ngx_atoi(s->data + 5, 2);
    d->day = ngx_atoi(s->data + 8, 2);

    if (d->year == NGX_ERROR || d->month == NGX_ERROR || d->day == NGX_ERROR
        || !cerebro_date_valid(d))
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_staff_time(const char *s, int *minutes)
{
    ngx_int_t  h, m;

    if (ngx_strlen(s) != 5 || s[2] != ':') {
        return NGX_ERROR;
    }

    h = ngx_atoi((u_char *) s, 2);
    m = ngx_atoi((u_char *) s + 3, 2);

    if (h == NGX_ERROR || m == NGX_ERROR || h > 23 || m > 59) {
        return NGX_ERROR;
    }

    *minutes = h * 60 + m;

    return NGX_OK;
}


/* A query argument, percent-decoded, NUL-terminated. */
static ngx_int_t
ngx_cerebro_staff_copy_arg(ngx_http_request_t *r, const char *name,
    char *out, size_t size)
{
    u_char     *dst, *src;
    ngx_str_t   value;

    if (ngx_http_arg(r, (u_char *) name, ngx_strlen(name), &value) != NGX_OK
        || value.len == 0 || value.len >= size)
    {
        return NGX_ERROR;
    }

    dst = (u_char *) out;
    src = value.data;
    ngx_unescape_uri(&dst, &src, value.len, NGX_UNESCAPE_URI);
    *dst = '\0';

    return NGX_OK;
}


#define NGX_CEREBRO_STAFF_MAX_CALLS  500
#define NGX_CEREBRO_STAFF_MAX_WAITLIST  200


/*
 * The call log of the last days, newest first, as VAPI's end-of-call
 * reports left it.  With Airtable the log is the base's Llamadas table,
 * which Airtable's own screens show.
 */
static ngx_int_t
ngx_cerebro_calls_handler(ngx_http_request_t *r)
{
    int                       i, n;
    cJSON                    *json, *list, *item;
    ngx_int_t                 rc, days;
    ngx_str_t                 value;
    cerebro_sqlite_t         *db;
    cerebro_call_log_t       *calls, *c;
    cerebro_store_error_t     e;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_strcmp(ngx_cerebro_store_backend_name(r), "embedded") != 0) {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                   "with Airtable the call log is the base's call table");
    }

    days = 14;

    if (ngx_http_arg(r, (u_char *) "days", 4, &value) == NGX_OK) {
        days = ngx_atoi(value.data, value.len);
        if (days < 1 || days > 90) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "days is 1 to 90");
        }
    }

    db = ngx_cerebro_store_db(r);
    calls = ngx_palloc(r->pool, NGX_CEREBRO_STAFF_MAX_CALLS
                                * sizeof(cerebro_call_log_t));

    if (db == NULL || calls == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cerebro_sqlite_call_log_recent(db, ngx_time() - days * 86400, calls,
                                       NGX_CEREBRO_STAFF_MAX_CALLS, &n, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "call log: %s", e.message);
        return ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the call log is unavailable");
    }

    json = cJSON_CreateObject();
    list = cJSON_AddArrayToObject(json, "calls");
    if (list == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        c = &calls[i];
        item = cJSON_CreateObject();

        if (item == NULL
            || cJSON_AddStringToObject(item, "call_id", c->call_id) == NULL
            || cJSON_AddStringToObject(item, "caller", c->caller) == NULL
            || cJSON_AddNumberToObject(item, "started", (double) c->started)
               == NULL
            || cJSON_AddNumberToObject(item, "duration_s", c->duration_s)
               == NULL
            || cJSON_AddStringToObject(item, "ended_reason",
                                       c->ended_reason) == NULL
            || cJSON_AddStringToObject(item, "summary", c->summary) == NULL
            || cJSON_AddBoolToObject(item, "booked", c->booked) == NULL
            || cJSON_AddBoolToObject(item, "changed", c->changed) == NULL
            || cJSON_AddBoolToObject(item, "cancelled", c->cancelled) == NULL)
        {
            cJSON_Delete(item);
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddItemToArray(list, item);
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


/*
 * The waiting list from today on (the SQLite file, whatever the backend):
 * who waits for what, and the offers held now.
 */
static ngx_int_t
ngx_cerebro_waitlist_handler(ngx_http_request_t *r)
{
    int                          i, n, total;
    char                         day[16], start[32];
    cJSON                       *json, *list, *item;
    ngx_int_t                    rc;
    cerebro_local_t              local;
    cerebro_sqlite_t            *db;
    cerebro_waitlist_t          *w;
    cerebro_store_error_t        e;
    const cerebro_restaurant_t  *model;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    db = ngx_cerebro_store_db(r);
    w = ngx_palloc(r->pool, NGX_CEREBRO_STAFF_MAX_WAITLIST
                            * sizeof(cerebro_waitlist_t));

    if (db == NULL || w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    model = ngx_cerebro_store_model(r);
    cerebro_tz_to_local(&model->tz, ngx_time(), &local);

    if (cerebro_sqlite_waitlist_list(db,
            cerebro_tz_from_local(&model->tz, &local.date, 0, NULL), w,
            NGX_CEREBRO_STAFF_MAX_WAITLIST, &n, &total, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "waitlist: %s", e.message);
        return ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the waiting list is unavailable");
    }

    json = cJSON_CreateObject();
    list = cJSON_AddArrayToObject(json, "waitlist");
    if (list == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n; i++) {
        cerebro_date_format_iso(day, sizeof(day), &w[i].date);
        start[0] = '\0';

        if (w[i].offer_start) {
            cerebro_tz_to_local(&model->tz, w[i].offer_start, &local);
            ngx_snprintf((u_char *) start, sizeof(start), "%02d:%02d%Z",
                         local.minutes / 60, local.minutes % 60);
        }

        item = cJSON_CreateObject();

        if (item == NULL
            || cJSON_AddNumberToObject(item, "id", (double) w[i].id) == NULL
            || cJSON_AddStringToObject(item, "name", w[i].name) == NULL
            || cJSON_AddStringToObject(item, "phone", w[i].phone) == NULL
            || cJSON_AddStringToObject(item, "date", day) == NULL
            || cJSON_AddNumberToObject(item, "time_from", w[i].time_from)
               == NULL
            || cJSON_AddNumberToObject(item, "time_to", w[i].time_to) == NULL
            || cJSON_AddNumberToObject(item, "party_size", w[i].pax) == NULL
            || cJSON_AddStringToObject(item, "status", w[i].status) == NULL
            || cJSON_AddStringToObject(item, "offer_table",
                                       w[i].offer_table) == NULL
            || cJSON_AddStringToObject(item, "offer_time", start) == NULL
            || cJSON_AddNumberToObject(item, "hold_until",
                                       (double) w[i].hold_until) == NULL
            || cJSON_AddStringToObject(item, "reservation_id",
                                       w[i].reservation_id) == NULL)
        {
            cJSON_Delete(item);
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddItemToArray(list, item);
    }

    if (cJSON_AddBoolToObject(json, "truncated", total > n) == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}
