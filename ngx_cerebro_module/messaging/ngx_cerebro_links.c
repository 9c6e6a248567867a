
/*
 * The guest's manage-my-booking link, made and checked with the secret of
 * messaging's configuration.
 */

#include "ngx_cerebro_links.h"
#include "ngx_cerebro_messaging.h"
#include "ngx_cerebro_store.h"
#include "cerebro_civil.h"


#define NGX_CEREBRO_LINK_SENTENCE                                             \
    "También puede verla, cambiarla o anularla en"


ngx_uint_t
ngx_cerebro_links_on(ngx_http_request_t *r)
{
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_messaging_conf_t  *mscf;

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);

    return mscf->link_secret.len > 0 && mcf->public_url.len > 0;
}


void
ngx_cerebro_link_append(ngx_http_request_t *r,
    const cerebro_reservation_t *rec, char *text, size_t size)
{
    int                            n;
    char                           token[CEREBRO_LINK_TOKEN_SIZE];
    size_t                         len, need;
    int64_t                        expires;
    ngx_str_t                      base;
    cerebro_date_t                 next;
    cerebro_local_t                local;
    const cerebro_restaurant_t    *model;
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_messaging_conf_t  *mscf;

    if (!ngx_cerebro_links_on(r) || rec->id[0] == '\0') {
        return;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);
    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);
    model = ngx_cerebro_store_model(r);

    /* good through the booking's day, in the restaurant's zone */
    cerebro_tz_to_local(&model->tz, rec->start, &local);
    next = cerebro_date_add_days(&local.date, 1);
    expires = cerebro_tz_from_local(&model->tz, &next, 0, NULL) - 1;

    n = cerebro_link_make(mscf->link_secret.data, mscf->link_secret.len,
                          rec->id, expires, token, sizeof(token));
    if (n < 0) {
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "no link for booking \"%s\": not an id a link "
                        "takes", rec->id);
        return;
    }

    base = mcf->public_url;

    while (base.len && base.data[base.len - 1] == '/') {
        base.len--;
    }

    len = ngx_strlen(text);
    need = len + sizeof(" " NGX_CEREBRO_LINK_SENTENCE " ") - 1 + base.len
           + sizeof(NGX_CEREBRO_LINK_PATH) - 1 + n + 1;

    if (need > size) {
        return;
    }

    ngx_sprintf((u_char *) text + len,
                " " NGX_CEREBRO_LINK_SENTENCE " %V" NGX_CEREBRO_LINK_PATH
                "%s%Z", &base, token);
}


cerebro_link_rc_t
ngx_cerebro_link_check(ngx_http_request_t *r, ngx_str_t *token, char *id,
    size_t id_size, int64_t *expires)
{
    ngx_cerebro_messaging_conf_t  *mscf;

    mscf = ngx_http_get_module_main_conf(r, ngx_cerebro_messaging_module);

    if (mscf->link_secret.len == 0) {
        return CEREBRO_LINK_ERROR;
    }

    return cerebro_link_parse(mscf->link_secret.data, mscf->link_secret.len,
                              (char *) token->data, token->len, ngx_time(),
                              id, id_size, expires);
}
