
/*
 * The metrics registry (ngx_cerebro_metrics.c): counters, gauges and
 * histograms in the shared-memory zone "cerebro_metrics", for GET /metrics
 * (channels/ngx_cerebro_metrics_http.c).  Every layer but core counts with
 * one call; a label value outside the metric's fixed set is counted as
 * "other", so nothing a guest sends can make a new series.
 */

#ifndef _NGX_CEREBRO_METRICS_H_INCLUDED_
#define _NGX_CEREBRO_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* the table in ngx_cerebro_metrics.c is in this order */
typedef struct ngx_cerebro_metrics_s  ngx_cerebro_metrics_t;


typedef enum {
    NGX_CEREBRO_M_CALLS_STARTED = 0,
    NGX_CEREBRO_M_CALLS_ENDED,             /* reason */
    NGX_CEREBRO_M_CALLS_CHANGING,          /* change */
    NGX_CEREBRO_M_TOOL_CALLS,              /* tool, outcome */
    NGX_CEREBRO_M_TOOL_DURATION,           /* tool; histogram */
    NGX_CEREBRO_M_WHATSAPP_IN,             /* outcome */
    NGX_CEREBRO_M_WHATSAPP_OUT,            /* outcome */
    NGX_CEREBRO_M_OUTBOX_MESSAGES,         /* status; gauge */
    NGX_CEREBRO_M_OUTBOX_OLDEST,           /* gauge, seconds */
    NGX_CEREBRO_M_STORE_OPS,               /* backend, outcome */
    NGX_CEREBRO_M_UPSTREAM,                /* api, status */
    NGX_CEREBRO_M_AIRTABLE_429,
    NGX_CEREBRO_M_AIRTABLE_PAUSE,          /* ms */
    NGX_CEREBRO_M_LIMITER_QUEUED,
    NGX_CEREBRO_M_LIMITER_WAIT,            /* ms */
    NGX_CEREBRO_M_CACHE,                   /* layer, result */
    NGX_CEREBRO_M_TWILIO_ACCOUNT,
    NGX_CEREBRO_M_REDIS_UP,                /* gauge */
    NGX_CEREBRO_M_STORE_UP,                /* gauge */
    NGX_CEREBRO_M_BUILD_INFO,              /* gauge, version, nginx */
    NGX_CEREBRO_M_COUNT
} ngx_cerebro_metric_e;


/* The zone; from the module's init_main_conf. */
ngx_int_t ngx_cerebro_metrics_init_conf(ngx_conf_t *cf);

/*
 * Adds n to the series of the labels (NULL for a metric without); a
 * metric of seconds counts milliseconds.
 */
void ngx_cerebro_metric_add(ngx_cerebro_metric_e m, const char *l1,
    const char *l2, ngx_uint_t n);

#define ngx_cerebro_metric_inc(m, l1, l2)                                     \
    ngx_cerebro_metric_add(m, l1, l2, 1)

/* A gauge's value, for every worker. */
void ngx_cerebro_metric_set(ngx_cerebro_metric_e m, const char *l1,
    const char *l2, ngx_uint_t value);

/* A counter's sum over the workers, or a gauge's value. */
ngx_uint_t ngx_cerebro_metric_value(ngx_cerebro_metric_e m, const char *l1,
    const char *l2);

/* One observation of a histogram, in milliseconds. */
void ngx_cerebro_metric_observe(ngx_cerebro_metric_e m, const char *l1,
    ngx_msec_t ms);

/* "2xx"..."5xx" of an HTTP status, "error" for none. */
const char *ngx_cerebro_metric_status_class(ngx_uint_t status);

/*
 * The Prometheus text exposition of every metric, summed over the
 * workers, in the pool; NULL on an allocation failure.
 */
ngx_chain_t *ngx_cerebro_metrics_render(ngx_pool_t *pool, off_t *len);


#endif /* _NGX_CEREBRO_METRICS_H_INCLUDED_ */
