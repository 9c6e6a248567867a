
/*
 * The metrics registry.  The zone holds one row of values per worker slot
 * (ngx_worker modulo NGX_CEREBRO_METRICS_SLOTS): a worker adds to its own
 * row with an atomic add and never takes a lock; a scrape sums the rows.
 * A gauge is one value for every worker, written whole.  The zone is kept
 * across reloads, as Prometheus wants of a counter; a new layout (another
 * build) gets a zone of another size, hence a fresh one.
 */

#include "ngx_cerebro.h"
#include "ngx_cerebro_metrics.h"
#include "cerebro_tools.h"


#define NGX_CEREBRO_METRICS_SLOTS   16
#define NGX_CEREBRO_METRICS_LINE    256     /* the longest line, bounded */
#define NGX_CEREBRO_BUCKETS         11


typedef enum {
    NGX_CEREBRO_COUNTER = 0,
    NGX_CEREBRO_GAUGE,
    NGX_CEREBRO_HISTOGRAM
} ngx_cerebro_metric_type_e;


typedef struct {
    const char                 *name;
    const char                 *help;
    ngx_cerebro_metric_type_e   type;
    const char                 *label[2];      /* NULL: none */
    const char                **values[2];     /* NULL-terminated; the last
                                                  takes what is not listed */
    ngx_uint_t                  ms;            /* counts ms, shows seconds */
} ngx_cerebro_metric_def_t;


typedef struct {
    ngx_uint_t                  nvalues;       /* of one row */
    ngx_atomic_t                v[1];          /* SLOTS rows of nvalues */
} ngx_cerebro_metrics_sh_t;


struct ngx_cerebro_metrics_s {
    ngx_cerebro_metrics_sh_t   *sh;
    ngx_uint_t                  offset[NGX_CEREBRO_M_COUNT];
    ngx_uint_t                  nvalues;
    size_t                      max_len;       /* of a rendering */
};


static ngx_int_t ngx_cerebro_metrics_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_uint_t ngx_cerebro_metric_nvalues(const char **values);
static ngx_uint_t ngx_cerebro_metric_width(ngx_cerebro_metric_e m);
static ngx_atomic_t *ngx_cerebro_metric_at(ngx_cerebro_metric_e m,
    const char *l1, const char *l2, ngx_uint_t slot);
static u_char *ngx_cerebro_metric_labels(u_char *p,
    const ngx_cerebro_metric_def_t *def, ngx_uint_t i1, ngx_uint_t i2,
    const char *le);
static ngx_uint_t ngx_cerebro_metric_sum(ngx_cerebro_metrics_t *mx,
    ngx_uint_t index);


/* in milliseconds, and as Prometheus reads them */
static ngx_msec_t  ngx_cerebro_bucket_ms[NGX_CEREBRO_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};

static const char  *ngx_cerebro_bucket_le[NGX_CEREBRO_BUCKETS] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
    "5", "10"
};


/* VAPI's endedReason, the common ones; every error is "error" */
static const char  *ngx_cerebro_m_reasons[] = {
    "customer-ended-call", "assistant-ended-call",
    "assistant-said-end-call-phrase", "assistant-forwarded-call",
    "silence-timed-out", "exceeded-max-duration", "voicemail",
    "customer-did-not-answer", "customer-busy", "error", "other", NULL
};

static const char  *ngx_cerebro_m_changes[] = {
    "booked", "changed", "cancelled", NULL
};

/* cerebro_tool_name()'s, filled at the first configuration */
static const char  *ngx_cerebro_m_tools[CEREBRO_TOOL_COUNT + 2];

static const char  *ngx_cerebro_m_tool_outcomes[] = {
    "ok", "failed", "unavailable", "other", NULL
};

static const char  *ngx_cerebro_m_wa_in[] = {
    "answered", "late", "duplicate", "rejected", "other", NULL
};

static const char  *ngx_cerebro_m_wa_out[] = {
    "sent", "retried", "failed", "other", NULL
};

static const char  *ngx_cerebro_m_outbox_status[] = {
    "pending", "sent", "failed", NULL
};

static const char  *ngx_cerebro_m_backends[] = {
    "embedded", "airtable", "other", NULL
};

/* cerebro_store_err_name()'s */
static const char  *ngx_cerebro_m_store_outcomes[] = {
    "ok", "not_found", "conflict", "invalid", "unavailable",
    "rate_limited", "other", NULL
};

/* by ngx_cerebro_service_e */
static const char  *ngx_cerebro_m_apis[] = {
    "airtable", "openai", "twilio", "alert", "other", NULL
};

static const char  *ngx_cerebro_m_status_classes[] = {
    "1xx", "2xx", "3xx", "4xx", "5xx", "timeout", "error", NULL
};

static const char  *ngx_cerebro_m_layers[] = {
    "near", "redis", "shm", "other", NULL
};

static const char  *ngx_cerebro_m_results[] = {
    "hit", "miss", NULL
};

static const char  *ngx_cerebro_m_version[] = { CEREBRO_VERSION, NULL };
static const char  *ngx_cerebro_m_nginx[] = { NGINX_VERSION, NULL };


static ngx_cerebro_metric_def_t  ngx_cerebro_metric_defs[] = {

    { "cerebro_vapi_calls_started_total",
      "VAPI calls that started (status-update in-progress).",
      NGX_CEREBRO_COUNTER, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_vapi_calls_ended_total",
      "VAPI calls that ended (end-of-call-report), by endedReason.",
      NGX_CEREBRO_COUNTER, { "reason", NULL },
      { ngx_cerebro_m_reasons, NULL }, 0 },

    { "cerebro_vapi_calls_changing_bookings_total",
      "Ended VAPI calls that booked, changed or cancelled a reservation; "
      "conversion is the booked ones over the ended ones.",
      NGX_CEREBRO_COUNTER, { "change", NULL },
      { ngx_cerebro_m_changes, NULL }, 0 },

    { "cerebro_tool_calls_total",
      "Tool calls of voice and WhatsApp, by tool and outcome.",
      NGX_CEREBRO_COUNTER, { "tool", "outcome" },
      { ngx_cerebro_m_tools, ngx_cerebro_m_tool_outcomes }, 0 },

    { "cerebro_tool_duration_seconds",
      "Time from a tool call to its answer.",
      NGX_CEREBRO_HISTOGRAM, { "tool", NULL },
      { ngx_cerebro_m_tools, NULL }, 0 },

    { "cerebro_whatsapp_messages_received_total",
      "Inbound WhatsApp messages, by how they were answered.",
      NGX_CEREBRO_COUNTER, { "outcome", NULL },
      { ngx_cerebro_m_wa_in, NULL }, 0 },

    { "cerebro_whatsapp_messages_sent_total",
      "Attempts to send a WhatsApp message from the outbox, by outcome.",
      NGX_CEREBRO_COUNTER, { "outcome", NULL },
      { ngx_cerebro_m_wa_out, NULL }, 0 },

    { "cerebro_outbox_messages",
      "Messages in the outbox, by status.",
      NGX_CEREBRO_GAUGE, { "status", NULL },
      { ngx_cerebro_m_outbox_status, NULL }, 0 },

    { "cerebro_outbox_oldest_pending_age_seconds",
      "Age of the oldest pending outbox message (0: none pending).",
      NGX_CEREBRO_GAUGE, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_store_operations_total",
      "Store operations, by backend and outcome.",
      NGX_CEREBRO_COUNTER, { "backend", "outcome" },
      { ngx_cerebro_m_backends, ngx_cerebro_m_store_outcomes }, 0 },

    { "cerebro_upstream_requests_total",
      "Requests to the outside APIs, by API and status class.",
      NGX_CEREBRO_COUNTER, { "api", "status" },
      { ngx_cerebro_m_apis, ngx_cerebro_m_status_classes }, 0 },

    { "cerebro_airtable_rate_limited_total",
      "Airtable answers 429 (too many requests).",
      NGX_CEREBRO_COUNTER, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_airtable_pause_seconds_total",
      "Seconds of pause Airtable's 429s imposed on this base.",
      NGX_CEREBRO_COUNTER, { NULL, NULL }, { NULL, NULL }, 1 },

    { "cerebro_limiter_queued_total",
      "Airtable requests the limiter held back for a later slot.",
      NGX_CEREBRO_COUNTER, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_limiter_wait_seconds_total",
      "Time Airtable requests spent queued by the limiter or a pause; over "
      "time, it is the mean length of the queue.",
      NGX_CEREBRO_COUNTER, { NULL, NULL }, { NULL, NULL }, 1 },

    { "cerebro_cache_requests_total",
      "Reads of the store's cache, by layer and result.",
      NGX_CEREBRO_COUNTER, { "layer", "result" },
      { ngx_cerebro_m_layers, ngx_cerebro_m_results }, 0 },

    { "cerebro_twilio_account_errors_total",
      "Twilio answers about the account: credentials refused (20003, 401), "
      "account not active (20005) or suspended (30002).",
      NGX_CEREBRO_COUNTER, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_redis_up",
      "Whether Redis serves the cache (1), or is down or not used (0).",
      NGX_CEREBRO_GAUGE, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_store_up",
      "Whether the store serves (1: ok or degraded) or is down (0).",
      NGX_CEREBRO_GAUGE, { NULL, NULL }, { NULL, NULL }, 0 },

    { "cerebro_build_info",
      "The module's version and nginx's, as labels; always 1.",
      NGX_CEREBRO_GAUGE, { "version", "nginx_version" },
      { ngx_cerebro_m_version, ngx_cerebro_m_nginx }, 0 },
};


static ngx_str_t  ngx_cerebro_metrics_zone_name =
    ngx_string("cerebro_metrics");


ngx_int_t
ngx_cerebro_metrics_init_conf(ngx_conf_t *cf)
{
    size_t                     size;
    ngx_uint_t                 m, i, n, lines;
    ngx_cerebro_metrics_t     *mx;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_metric_def_t  *def;

    for (i = 0; i < CEREBRO_TOOL_COUNT; i++) {
        ngx_cerebro_m_tools[i] = cerebro_tool_name((cerebro_tool_id_t) i);
    }

    ngx_cerebro_m_tools[CEREBRO_TOOL_COUNT] = "other";

    mx = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_metrics_t));
    if (mx == NULL) {
        return NGX_ERROR;
    }

    lines = 0;

    for (m = 0; m < NGX_CEREBRO_M_COUNT; m++) {
        def = &ngx_cerebro_metric_defs[m];
        n = ngx_cerebro_metric_nvalues(def->values[0])
            * ngx_cerebro_metric_nvalues(def->values[1]);

        mx->offset[m] = mx->nvalues;
        mx->nvalues += n * ngx_cerebro_metric_width(m);

        /* HELP, TYPE; a histogram's buckets, +Inf, sum and count */
        lines += 2 + n * (def->type == NGX_CEREBRO_HISTOGRAM
                          ? NGX_CEREBRO_BUCKETS + 3 : 1);
    }

    mx->max_len = lines * NGX_CEREBRO_METRICS_LINE;

    size = sizeof(ngx_cerebro_metrics_sh_t)
           + NGX_CEREBRO_METRICS_SLOTS * mx->nvalues * sizeof(ngx_atomic_t);

    /* the slab pool's own pages come on top */
    if (ngx_cerebro_shm_zone_add(cf, &ngx_cerebro_metrics_zone_name,
                                 8 * ngx_pagesize + ngx_align(size,
                                                              ngx_pagesize),
                                 ngx_cerebro_metrics_init_zone, mx)
        == NULL)
    {
        return NGX_ERROR;
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);
    mcf->metrics = mx;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_metrics_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cerebro_metrics_t  *omx = data;

    size_t                  size;
    ngx_uint_t              fresh;
    ngx_cerebro_metrics_t  *mx;

    mx = shm_zone->data;

    size = sizeof(ngx_cerebro_metrics_sh_t)
           + NGX_CEREBRO_METRICS_SLOTS * mx->nvalues * sizeof(ngx_atomic_t);

    mx->sh = ngx_cerebro_shm_zone_struct(shm_zone, omx ? omx->sh : NULL,
                                         size, &fresh);
    if (mx->sh == NULL) {
        return NGX_ERROR;
    }

    if (fresh) {
        mx->sh->nvalues = mx->nvalues;
    }

    if (mx->sh->nvalues != mx->nvalues) {
        ngx_log_error(NGX_LOG_EMERG, shm_zone->shm.log, 0,
                      "cerebro: shared zone \"%V\" holds another layout of "
                      "the metrics", &shm_zone->shm.name);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_cerebro_metric_add(ngx_cerebro_metric_e m, const char *l1,
    const char *l2, ngx_uint_t n)
{
    ngx_atomic_t  *v;

    v = ngx_cerebro_metric_at(m, l1, l2,
                              ngx_worker % NGX_CEREBRO_METRICS_SLOTS);

    if (v) {
        (void) ngx_atomic_fetch_add(v, n);
    }
}


void
ngx_cerebro_metric_set(ngx_cerebro_metric_e m, const char *l1,
    const char *l2, ngx_uint_t value)
{
    ngx_atomic_t  *v;

    v = ngx_cerebro_metric_at(m, l1, l2, 0);

    if (v) {
        *v = value;
    }
}


void
ngx_cerebro_metric_observe(ngx_cerebro_metric_e m, const char *l1,
    ngx_msec_t ms)
{
    ngx_uint_t     b;
    ngx_atomic_t  *v;

    v = ngx_cerebro_metric_at(m, l1, NULL,
                              ngx_worker % NGX_CEREBRO_METRICS_SLOTS);
    if (v == NULL) {
        return;
    }

    /* counts by bucket here, cumulated at the scrape; +Inf is the last */
    for (b = 0; b < NGX_CEREBRO_BUCKETS; b++) {
        if (ms <= ngx_cerebro_bucket_ms[b]) {
            break;
        }
    }

    (void) ngx_atomic_fetch_add(&v[b], 1);
    (void) ngx_atomic_fetch_add(&v[NGX_CEREBRO_BUCKETS + 1], ms);
}


ngx_uint_t
ngx_cerebro_metric_value(ngx_cerebro_metric_e m, const char *l1,
    const char *l2)
{
    ngx_uint_t     s, sum;
    ngx_atomic_t  *v;

    v = ngx_cerebro_metric_at(m, l1, l2, 0);
    if (v == NULL) {
        return 0;
    }

    if (ngx_cerebro_metric_defs[m].type == NGX_CEREBRO_GAUGE) {
        return *v;
    }

    sum = 0;

    for (s = 0; s < NGX_CEREBRO_METRICS_SLOTS; s++) {
        sum += ngx_cerebro_metric_at(m, l1, l2, s)[0];
    }

    return sum;
}


const char *
ngx_cerebro_metric_status_class(ngx_uint_t status)
{
    if (status < 100 || status > 599) {
        return "error";
    }

    return ngx_cerebro_m_status_classes[status / 100 - 1];
}


static ngx_uint_t
ngx_cerebro_metric_nvalues(const char **values)
{
    ngx_uint_t  n;

    if (values == NULL) {
        return 1;
    }

    for (n = 0; values[n]; n++) { /* void */ }

    return n;
}


/* values a series takes in a row */
static ngx_uint_t
ngx_cerebro_metric_width(ngx_cerebro_metric_e m)
{
    return ngx_cerebro_metric_defs[m].type == NGX_CEREBRO_HISTOGRAM
           ? NGX_CEREBRO_BUCKETS + 2 : 1;
}


/* the label's index; what is not listed is the last one */
static ngx_uint_t
ngx_cerebro_metric_index(const char **values, const char *value)
{
    ngx_uint_t  i;

    if (values == NULL) {
        return 0;
    }

    for (i = 0; values[i + 1]; i++) {
        if (value && ngx_strcmp(values[i], value) == 0) {
            break;
        }
    }

    return i;
}


static ngx_atomic_t *
ngx_cerebro_metric_at(ngx_cerebro_metric_e m, const char *l1,
    const char *l2, ngx_uint_t slot)
{
    ngx_uint_t                 i1, i2, n2;
    ngx_cerebro_metrics_t     *mx;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_metric_def_t  *def;

    /* every layer counts without a configuration at hand: the cycle's */
    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cerebro_module);

    if (mcf == NULL || mcf->metrics == NULL
        || (ngx_uint_t) m >= NGX_CEREBRO_M_COUNT)
    {
        return NULL;
    }

    mx = mcf->metrics;

    if (mx->sh == NULL) {
        return NULL;
    }

    def = &ngx_cerebro_metric_defs[m];

    i1 = ngx_cerebro_metric_index(def->values[0], l1);
    i2 = ngx_cerebro_metric_index(def->values[1], l2);
    n2 = ngx_cerebro_metric_nvalues(def->values[1]);

    return &mx->sh->v[slot * mx->nvalues + mx->offset[m]
                      + (i1 * n2 + i2) * ngx_cerebro_metric_width(m)];
}


static ngx_uint_t
ngx_cerebro_metric_sum(ngx_cerebro_metrics_t *mx, ngx_uint_t index)
{
    ngx_uint_t  s, sum;

    sum = 0;

    for (s = 0; s < NGX_CEREBRO_METRICS_SLOTS; s++) {
        sum += mx->sh->v[s * mx->nvalues + index];
    }

    return sum;
}


ngx_chain_t *
ngx_cerebro_metrics_render(ngx_pool_t *pool, off_t *len)
{
    u_char                    *p;
    ngx_buf_t                 *b;
    ngx_uint_t                 m, i1, i2, n1, n2, k, base, cum, v;
    ngx_chain_t               *cl;
    ngx_cerebro_metrics_t     *mx;
    ngx_cerebro_main_conf_t   *mcf;
    ngx_cerebro_metric_def_t  *def;

    mcf = ngx_http_cycle_get_module_main_conf(ngx_cycle, ngx_cerebro_module);
    mx = mcf ? mcf->metrics : NULL;

    if (mx == NULL || mx->sh == NULL) {
        return NULL;
    }

    b = ngx_create_temp_buf(pool, mx->max_len);
    cl = ngx_alloc_chain_link(pool);

    if (b == NULL || cl == NULL) {
        return NULL;
    }

    p = b->last;

    for (m = 0; m < NGX_CEREBRO_M_COUNT; m++) {
        def = &ngx_cerebro_metric_defs[m];
        n1 = ngx_cerebro_metric_nvalues(def->values[0]);
        n2 = ngx_cerebro_metric_nvalues(def->values[1]);

        p = ngx_sprintf(p, "# HELP %s %s\n# TYPE %s %s\n", def->name,
                        def->help, def->name,
                        def->type == NGX_CEREBRO_COUNTER ? "counter"
                        : (def->type == NGX_CEREBRO_GAUGE ? "gauge"
                                                          : "histogram"));

        for (i1 = 0; i1 < n1; i1++) {
            for (i2 = 0; i2 < n2; i2++) {
                base = mx->offset[m]
                       + (i1 * n2 + i2) * ngx_cerebro_metric_width(m);

                if (def->type == NGX_CEREBRO_GAUGE) {
                    p = ngx_sprintf(p, "%s", def->name);
                    p = ngx_cerebro_metric_labels(p, def, i1, i2, NULL);
                    p = ngx_sprintf(p, " %uA\n", mx->sh->v[base]);
                    continue;
                }

                if (def->type == NGX_CEREBRO_COUNTER) {
                    v = ngx_cerebro_metric_sum(mx, base);
                    p = ngx_sprintf(p, "%s", def->name);
                    p = ngx_cerebro_metric_labels(p, def, i1, i2, NULL);
                    p = def->ms ? ngx_sprintf(p, " %ui.%03ui\n", v / 1000,
                                              v % 1000)
                                : ngx_sprintf(p, " %ui\n", v);
                    continue;
                }

                cum = 0;

                for (k = 0; k <= NGX_CEREBRO_BUCKETS; k++) {
                    cum += ngx_cerebro_metric_sum(mx, base + k);
                    p = ngx_sprintf(p, "%s_bucket", def->name);
                    p = ngx_cerebro_metric_labels(p, def, i1, i2,
                                                  k < NGX_CEREBRO_BUCKETS
                                                  ? ngx_cerebro_bucket_le[k]
                                                  : "+Inf");
                    p = ngx_sprintf(p, " %ui\n", cum);
                }

                v = ngx_cerebro_metric_sum(mx, base + NGX_CEREBRO_BUCKETS
                                               + 1);

                p = ngx_sprintf(p, "%s_sum", def->name);
                p = ngx_cerebro_metric_labels(p, def, i1, i2, NULL);
                p = ngx_sprintf(p, " %ui.%03ui\n", v / 1000, v % 1000);

                p = ngx_sprintf(p, "%s_count", def->name);
                p = ngx_cerebro_metric_labels(p, def, i1, i2, NULL);
                p = ngx_sprintf(p, " %ui\n", cum);
            }
        }
    }

    b->last = p;
    b->last_buf = 1;
    b->last_in_chain = 1;

    cl->buf = b;
    cl->next = NULL;

    *len = b->last - b->pos;

    return cl;
}


static u_char *
ngx_cerebro_metric_labels(u_char *p, const ngx_cerebro_metric_def_t *def,
    ngx_uint_t i1, ngx_uint_t i2, const char *le)
{
    char  sep;

    sep = '{';

    if (def->label[0]) {
        p = ngx_sprintf(p, "%c%s=\"%s\"", sep, def->label[0],
                        def->values[0][i1]);
        sep = ',';
    }

    if (def->label[1]) {
        p = ngx_sprintf(p, "%c%s=\"%s\"", sep, def->label[1],
                        def->values[1][i2]);
        sep = ',';
    }

    if (le) {
        p = ngx_sprintf(p, "%cle=\"%s\"", sep, le);
        sep = ',';
    }

    if (sep == ',') {
        *p++ = '}';
    }

    return p;
}
