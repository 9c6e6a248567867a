
/*
 * The per-day figures.  The call log is read from the embedded store's
 * file, at once (as the outbox's page is): a month of calls is a few
 * thousand rows on an index.  Days are the restaurant's, in its time
 * zone, so that a call at 23:30 counts on the evening it belongs to.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_stats_http.h"
#include "ngx_cerebro_store.h"
#include "cerebro_civil.h"


#define NGX_CEREBRO_STATS_DAYS      30
#define NGX_CEREBRO_STATS_MAX_DAYS  366
#define NGX_CEREBRO_STATS_MAX_ROWS  50000


typedef struct {
    ngx_uint_t  calls;
    ngx_uint_t  booked;
    ngx_uint_t  changed;
    ngx_uint_t  cancelled;
} ngx_cerebro_stats_day_t;


static ngx_int_t ngx_cerebro_call_stats_handler(ngx_http_request_t *r);
static cJSON *ngx_cerebro_stats_day(const cerebro_date_t *date,
    const ngx_cerebro_stats_day_t *d);


char *
ngx_cerebro_call_stats(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "call_stats",
                                    ngx_cerebro_call_stats_handler);
}


static ngx_int_t
ngx_cerebro_call_stats_handler(ngx_http_request_t *r)
{
    int                          i, n;
    int64_t                      first_day, k;
    ngx_int_t                    rc, days;
    ngx_str_t                    value;
    cJSON                       *json, *list, *item;
    cerebro_date_t               today, first, date;
    cerebro_local_t              local;
    cerebro_sqlite_t            *db;
    cerebro_call_mark_t         *marks;
    cerebro_store_error_t        e;
    ngx_cerebro_stats_day_t     *by_day, total;
    ngx_cerebro_main_conf_t     *mcf;
    const cerebro_restaurant_t  *model;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    model = mcf->model;

    days = NGX_CEREBRO_STATS_DAYS;

    if (ngx_http_arg(r, (u_char *) "days", 4, &value) == NGX_OK) {
        days = ngx_atoi(value.data, value.len);
        if (days < 1 || days > NGX_CEREBRO_STATS_MAX_DAYS) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "days is 1 to 366");
        }
    }

    db = ngx_cerebro_store_db(r);

    /* Airtable's call log is its table; the figures are the SQLite one's */
    if (ngx_strcmp(ngx_cerebro_store_backend_name(r), "embedded") != 0
        || db == NULL)
    {
        return ngx_cerebro_http_send_error(r, NGX_HTTP_NOT_IMPLEMENTED,
                                           "the per-day figures come from "
                                           "the embedded store's call log; "
                                           "with Airtable, its calls table "
                                           "holds them");
    }

    cerebro_tz_to_local(&model->tz, ngx_time(), &local);
    today = local.date;
    first = cerebro_date_add_days(&today, (int) (1 - days));
    first_day = cerebro_days_from_civil(first.year, first.month, first.day);

    by_day = ngx_pcalloc(r->pool, days * sizeof(ngx_cerebro_stats_day_t));
    marks = ngx_palloc(r->pool, NGX_CEREBRO_STATS_MAX_ROWS
                                * sizeof(cerebro_call_mark_t));
    if (by_day == NULL || marks == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a day longer than 24 h (a clock change) is read whole */
    if (cerebro_sqlite_calls_since(db,
                                   (ngx_time() - (days + 1) * 86400),
                                   marks, NGX_CEREBRO_STATS_MAX_ROWS, &n, &e)
        != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "call stats: %s", e.message);
        return ngx_cerebro_http_send_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                           "the call log is unavailable");
    }

    ngx_memzero(&total, sizeof(ngx_cerebro_stats_day_t));

    for (i = 0; i < n; i++) {
        cerebro_tz_to_local(&model->tz, marks[i].started, &local);
        k = cerebro_days_from_civil(local.date.year, local.date.month,
                                    local.date.day)
            - first_day;

        if (k < 0 || k >= days) {
            continue;
        }

        by_day[k].calls++;
        by_day[k].booked += marks[i].booked != 0;
        by_day[k].changed += marks[i].changed != 0;
        by_day[k].cancelled += marks[i].cancelled != 0;
    }

    json = cJSON_CreateObject();
    list = json ? cJSON_AddArrayToObject(json, "days") : NULL;

    if (list == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (k = 0; k < days; k++) {
        date = cerebro_date_add_days(&first, (int) k);

        item = ngx_cerebro_stats_day(&date, &by_day[k]);
        if (item == NULL) {
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cJSON_AddItemToArray(list, item);

        total.calls += by_day[k].calls;
        total.booked += by_day[k].booked;
        total.changed += by_day[k].changed;
        total.cancelled += by_day[k].cancelled;
    }

    item = ngx_cerebro_stats_day(NULL, &total);

    if (item == NULL || !cJSON_AddItemToObject(json, "total", item)) {
        cJSON_Delete(item);
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (cJSON_AddBoolToObject(json, "truncated",
                                 n == NGX_CEREBRO_STATS_MAX_ROWS)
           == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


/* one day's, or with no date the whole range's */
static cJSON *
ngx_cerebro_stats_day(const cerebro_date_t *date,
    const ngx_cerebro_stats_day_t *d)
{
    char    iso[sizeof("2026-11-28")];
    cJSON  *item;

    item = cJSON_CreateObject();

    if (item && date) {
        (void) cerebro_date_format_iso(iso, sizeof(iso), date);

        if (cJSON_AddStringToObject(item, "date", iso) == NULL) {
            cJSON_Delete(item);
            return NULL;
        }
    }

    if (item == NULL
        || cJSON_AddNumberToObject(item, "calls", (double) d->calls) == NULL
        || cJSON_AddNumberToObject(item, "booked", (double) d->booked)
           == NULL
        || cJSON_AddNumberToObject(item, "changed", (double) d->changed)
           == NULL
        || cJSON_AddNumberToObject(item, "cancelled", (double) d->cancelled)
           == NULL
        || cJSON_AddNumberToObject(item, "conversion",
                                   d->calls ? (double) d->booked / d->calls
                                            : 0.0)
           == NULL)
    {
        cJSON_Delete(item);
        return NULL;
    }

    return item;
}
