
/*
 * The store's health in shared memory.  Every backend operation reports
 * its outcome; nearly all of them find the state already what they would
 * write and return after one read, without the lock.  The zone starts
 * afresh with every configuration: a reload is how an operator applies a
 * fix (new credentials), and the first answers tell the truth again.
 */

#include "ngx_cerebro_store_health.h"


typedef struct {
    ngx_atomic_t           state;
    ngx_atomic_t           until;         /* ngx_current_msec: degraded */
    u_char                 reason[NGX_CEREBRO_HEALTH_REASON_LEN];
} ngx_cerebro_health_sh_t;


struct ngx_cerebro_health_s {
    ngx_cerebro_health_sh_t  *sh;
    ngx_slab_pool_t          *shpool;
};


static ngx_int_t ngx_cerebro_store_health_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


static ngx_str_t  ngx_cerebro_health_zone_name = ngx_string("cerebro_health");


ngx_int_t
ngx_cerebro_store_health_init_conf(ngx_conf_t *cf,
    ngx_cerebro_store_conf_t *scf)
{
    ngx_cerebro_health_t  *health;

    health = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_health_t));
    if (health == NULL) {
        return NGX_ERROR;
    }

    /* a slab pool needs a few pages of its own */
    if (ngx_cerebro_shm_zone_add(cf, &ngx_cerebro_health_zone_name,
                                 8 * ngx_pagesize,
                                 ngx_cerebro_store_health_init_zone, health)
        == NULL)
    {
        return NGX_ERROR;
    }

    scf->health = health;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_store_health_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_cerebro_health_t  *ohealth = data;

    ngx_uint_t             fresh;
    ngx_cerebro_health_t  *health;

    health = shm_zone->data;
    health->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    health->sh = ngx_cerebro_shm_zone_struct(shm_zone,
                                             ohealth ? ohealth->sh : NULL,
                                             sizeof(ngx_cerebro_health_sh_t),
                                             &fresh);
    if (health->sh == NULL) {
        return NGX_ERROR;
    }

    health->sh->state = NGX_CEREBRO_HEALTH_OK;
    health->sh->until = 0;
    health->sh->reason[0] = '\0';

    return NGX_OK;
}


void
ngx_cerebro_store_health_outcome(ngx_cerebro_store_conf_t *scf,
    const cerebro_store_error_t *e)
{
    switch (e->kind) {

    case CEREBRO_STORE_UNAVAILABLE:
        ngx_cerebro_store_health_note(scf, e->broken
                                           ? NGX_CEREBRO_HEALTH_DOWN
                                           : NGX_CEREBRO_HEALTH_DEGRADED,
                                      e->message);
        return;

    case CEREBRO_STORE_RATE_LIMITED:
        ngx_cerebro_store_health_note(scf, NGX_CEREBRO_HEALTH_DEGRADED,
                                      e->message);
        return;

    default:
        ngx_cerebro_store_health_note(scf, NGX_CEREBRO_HEALTH_OK, NULL);
    }
}


void
ngx_cerebro_store_health_note(ngx_cerebro_store_conf_t *scf,
    ngx_cerebro_health_e state, const char *reason)
{
    ngx_cerebro_health_t     *health;
    ngx_cerebro_health_sh_t  *sh;

    health = scf->health;

    if (health == NULL || health->sh == NULL) {
        return;
    }

    sh = health->sh;

    /* the common case: a served operation, and nothing to clear */
    if (state == NGX_CEREBRO_HEALTH_OK
        && sh->state == NGX_CEREBRO_HEALTH_OK)
    {
        return;
    }

    ngx_shmtx_lock(&health->shpool->mutex);

    /* a transient fault does not hide that the store is down */
    if (state != NGX_CEREBRO_HEALTH_DEGRADED
        || sh->state != NGX_CEREBRO_HEALTH_DOWN)
    {
        sh->state = state;
        sh->until = state == NGX_CEREBRO_HEALTH_DEGRADED
                    ? ngx_current_msec + NGX_CEREBRO_HEALTH_DEGRADED_FOR : 0;

        if (reason) {
            (void) ngx_cpystrn(sh->reason, (u_char *) reason,
                               sizeof(sh->reason));
        } else {
            sh->reason[0] = '\0';
        }
    }

    ngx_shmtx_unlock(&health->shpool->mutex);
}


ngx_cerebro_health_e
ngx_cerebro_store_health(ngx_http_request_t *r, u_char *reason, size_t len)
{
    ngx_cerebro_health_e       state;
    ngx_cerebro_health_t      *health;
    ngx_cerebro_health_sh_t   *sh;
    ngx_cerebro_store_conf_t  *scf;

    reason[0] = '\0';
    scf = ngx_http_get_module_main_conf(r, ngx_cerebro_store_module);
    health = scf->health;

    if (health == NULL || health->sh == NULL) {
        return NGX_CEREBRO_HEALTH_OK;
    }

    sh = health->sh;

    ngx_shmtx_lock(&health->shpool->mutex);

    state = (ngx_cerebro_health_e) sh->state;

    if (state == NGX_CEREBRO_HEALTH_DEGRADED
        && (ngx_msec_int_t) (ngx_current_msec - sh->until) >= 0)
    {
        /* nothing went wrong again for a while: it is over */
        state = NGX_CEREBRO_HEALTH_OK;
        sh->state = state;
        sh->reason[0] = '\0';
    }

    if (state != NGX_CEREBRO_HEALTH_OK) {
        (void) ngx_cpystrn(reason, sh->reason, len);
    }

    ngx_shmtx_unlock(&health->shpool->mutex);

    return state;
}


const char *
ngx_cerebro_store_health_name(ngx_cerebro_health_e state)
{
    switch (state) {
    case NGX_CEREBRO_HEALTH_DEGRADED:
        return "degraded";
    case NGX_CEREBRO_HEALTH_DOWN:
        return "down";
    default:
        return "ok";
    }
}
