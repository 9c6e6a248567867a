
/*
 * GET /metrics.  The counters are summed from the zone; what a gauge says
 * about the state of this host is read now, so that a scrape never shows
 * a stale "up".
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_metrics.h"
#include "ngx_cerebro_metrics_http.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_health.h"


static ngx_int_t ngx_cerebro_metrics_handler(ngx_http_request_t *r);
static void ngx_cerebro_metrics_gauges(ngx_http_request_t *r);


char *
ngx_cerebro_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "metrics",
                                    ngx_cerebro_metrics_handler);
}


static ngx_int_t
ngx_cerebro_metrics_handler(ngx_http_request_t *r)
{
    off_t         len;
    ngx_int_t     rc;
    ngx_chain_t  *out;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_cerebro_metrics_gauges(r);

    out = ngx_cerebro_metrics_render(r->pool, &len);
    if (out == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, out);
}


static void
ngx_cerebro_metrics_gauges(ngx_http_request_t *r)
{
    u_char                   reason[NGX_CEREBRO_HEALTH_REASON_LEN];
    int64_t                  counts[CEREBRO_SQLITE_OUTBOX_STATUSES];
    int64_t                  oldest, failed;
    ngx_uint_t               i;
    const char              *why;
    cerebro_sqlite_t        *db;
    cerebro_store_error_t    e;
    ngx_cerebro_net_conf_t  *ncf;

    ncf = ngx_http_get_module_main_conf(r, ngx_cerebro_net_module);

    ngx_cerebro_metric_set(NGX_CEREBRO_M_REDIS_UP, NULL, NULL,
                           ngx_strcmp(ngx_cerebro_kv_state(ncf, &why),
                                      "redis") == 0);

    ngx_cerebro_metric_set(NGX_CEREBRO_M_STORE_UP, NULL, NULL,
                           ngx_cerebro_store_health(r, reason,
                                                    sizeof(reason))
                           != NGX_CEREBRO_HEALTH_DOWN);

    ngx_cerebro_metric_set(NGX_CEREBRO_M_BUILD_INFO, NULL, NULL, 1);

    db = ngx_cerebro_store_db(r);
    if (db == NULL) {
        return;
    }

    /* the outbox is this host's SQLite file, whatever the store */
    if (cerebro_sqlite_outbox_counts(db, counts, &e)
        == CEREBRO_STORE_OK)
    {
        for (i = 0; i < CEREBRO_SQLITE_OUTBOX_STATUSES; i++) {
            ngx_cerebro_metric_set(NGX_CEREBRO_M_OUTBOX_MESSAGES,
                                   cerebro_outbox_status_name(i), NULL,
                                   (ngx_uint_t) counts[i]);
        }
    }

    if (cerebro_sqlite_outbox_health(db, ngx_time(), &oldest, &failed, &e)
        == CEREBRO_STORE_OK)
    {
        ngx_cerebro_metric_set(NGX_CEREBRO_M_OUTBOX_OLDEST, NULL, NULL,
                               oldest && ngx_time() > oldest
                               ? (ngx_uint_t) (ngx_time() - oldest) : 0);
    }
}
