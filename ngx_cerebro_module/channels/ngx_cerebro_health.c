
/*
 * GET /health keeps the original service's four fields first and in order,
 * so that existing monitors keep matching; GET / lists the endpoints this
 * configuration really serves.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_health.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_health.h"


static ngx_int_t ngx_cerebro_health_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_info_handler(ngx_http_request_t *r);
static cJSON *ngx_cerebro_add_identity(cJSON *json,
    ngx_cerebro_main_conf_t *mcf);


char *
ngx_cerebro_health(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "health",
                                    ngx_cerebro_health_handler);
}


char *
ngx_cerebro_info(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "info", ngx_cerebro_info_handler);
}


/*
 * What a load balancer acts on: 503 "unhealthy" only when this host's
 * store cannot serve at all, so that guests go to a host that can book.
 * A fault that passes by itself, or that every host shares (Airtable
 * retrying or paused after a 429, the cache down), is "degraded" with
 * 200: taking every host out of the pool for it would turn a slowdown
 * into an outage.
 */
static ngx_int_t
ngx_cerebro_health_handler(ngx_http_request_t *r)
{
    cJSON                    *json, *checks;
    u_char                    store_reason[NGX_CEREBRO_HEALTH_REASON_LEN];
    ngx_int_t                 rc;
    ngx_uint_t                status;
    const char               *cache, *reason, *overall;
    ngx_cerebro_health_e      store;
    ngx_cerebro_net_conf_t   *ncf;
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
    ncf = ngx_http_get_module_main_conf(r, ngx_cerebro_net_module);

    reason = NULL;
    cache = ngx_cerebro_kv_state(ncf, &reason);
    store = ngx_cerebro_store_health(r, store_reason,
                                     sizeof(store_reason));

    status = NGX_HTTP_OK;
    overall = "healthy";

    if (store == NGX_CEREBRO_HEALTH_DOWN) {
        status = NGX_HTTP_SERVICE_UNAVAILABLE;
        overall = "unhealthy";

    } else if (store == NGX_CEREBRO_HEALTH_DEGRADED
               || ngx_strcmp(cache, "degraded") == 0)
    {
        overall = "degraded";
    }

    json = cJSON_CreateObject();

    /* the original's four fields first, in its order */
    if (json == NULL
        || cJSON_AddStringToObject(json, "status", overall) == NULL
        || ngx_cerebro_add_identity(json, mcf) == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    checks = cJSON_AddObjectToObject(json, "checks");

    if (checks == NULL
        || cJSON_AddStringToObject(checks, "store",
                                   ngx_cerebro_store_backend_name(r))
           == NULL
        || (store != NGX_CEREBRO_HEALTH_OK
            && (cJSON_AddStringToObject(checks, "store_status",
                                        ngx_cerebro_store_health_name(store))
                == NULL
                || cJSON_AddStringToObject(checks, "store_reason",
                                           (char *) store_reason)
                   == NULL))
        || cJSON_AddStringToObject(checks, "cache", cache) == NULL
        || (reason
            && cJSON_AddStringToObject(checks, "reason", reason) == NULL))
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_cerebro_http_send_json(r, status, json);
}


static ngx_int_t
ngx_cerebro_info_handler(ngx_http_request_t *r)
{
    cJSON                    *json, *endpoints;
    ngx_int_t                 rc;
    ngx_uint_t                i;
    ngx_cerebro_endpoint_t   *ep;
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

    json = cJSON_CreateObject();

    endpoints = (json && ngx_cerebro_add_identity(json, mcf))
                ? cJSON_AddObjectToObject(json, "endpoints") : NULL;

    if (endpoints == NULL) {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ep = mcf->endpoints.elts;

    for (i = 0; i < mcf->endpoints.nelts; i++) {

        /* "internal" is merged by now; such locations are nobody's URL */
        if (ep[i].clcf->internal == 1) {
            continue;
        }

        if (cJSON_AddStringToObject(endpoints, ep[i].name,
                                    ep[i].location)
            == NULL)
        {
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


static cJSON *
ngx_cerebro_add_identity(cJSON *json, ngx_cerebro_main_conf_t *mcf)
{
    if (cJSON_AddStringToObject(json, "service", CEREBRO_SERVICE_NAME)
           == NULL
        || cJSON_AddStringToObject(json, "version", CEREBRO_VERSION) == NULL
        || cJSON_AddStringToObject(json, "environment",
                                   (char *) mcf->environment.data)
           == NULL)
    {
        return NULL;
    }

    return json;
}
