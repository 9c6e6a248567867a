
/*
 * The guest's own page of a booking, opened from the link the
 * confirmations and reminders carry (messaging/ngx_cerebro_links.c):
 *
 *   GET  /r/<token>    the booking: day, time, party, name
 *   POST /r/<token>    action=cancel, or action=change with pax and time
 *
 * No login: the signed token names the booking and its expiry.  A POST
 * carries the token in its form too and must come from this site
 * (Origin, Sec-Fetch-Site): a page elsewhere cannot make a guest's
 * browser change anything.  A change goes through the store as the
 * tools' do (the engine decides again, a freed table is free) and is
 * confirmed on WhatsApp.  Plain Spanish HTML, every value escaped, never
 * cached, no referrer, no script.
 */

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_manage.h"
#include "ngx_cerebro_auth.h"
#include "ngx_cerebro_twilio_webhook.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_links.h"
#include "cerebro_civil.h"
#include "cerebro_sentence.h"


#define NGX_CEREBRO_MANAGE_VIEW     0
#define NGX_CEREBRO_MANAGE_CANCEL   1
#define NGX_CEREBRO_MANAGE_CHANGE   2

/* nginx names no 410 */
#define NGX_CEREBRO_HTTP_GONE       410

#define NGX_CEREBRO_MANAGE_PAGE_LEN  8192
#define NGX_CEREBRO_MANAGE_TEXT_LEN  1024


typedef struct {
    ngx_http_request_t        *request;
    ngx_cerebro_store_op_t     op;
    ngx_str_t                  token;
    char                       id[CEREBRO_REC_ID_LEN];
    ngx_uint_t                 action;
    int                        pax;
    int                        minutes;      /* -1: as it is */
    ngx_uint_t                 invalid;      /* the form's values */
    cerebro_reservation_t      rec;          /* as read before a change */
    char                       notice[NGX_CEREBRO_MANAGE_TEXT_LEN];
} ngx_cerebro_manage_ctx_t;


static ngx_int_t ngx_cerebro_manage_handler(ngx_http_request_t *r);
static void ngx_cerebro_manage_body(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_manage_form(ngx_cerebro_manage_ctx_t *ctx,
    ngx_str_t *body);
static ngx_int_t ngx_cerebro_manage_read(ngx_cerebro_manage_ctx_t *ctx);
static void ngx_cerebro_manage_got(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_manage_act(ngx_cerebro_manage_ctx_t *ctx);
static void ngx_cerebro_manage_done(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_manage_time(const char *s, int *minutes);
static ngx_int_t ngx_cerebro_manage_page(ngx_cerebro_manage_ctx_t *ctx,
    ngx_uint_t status, const cerebro_reservation_t *rec);
static ngx_int_t ngx_cerebro_manage_refuse(ngx_http_request_t *r,
    ngx_uint_t status, const char *title, const char *text);
static ngx_int_t ngx_cerebro_manage_send(ngx_http_request_t *r,
    ngx_uint_t status, u_char *page, u_char *last);
static u_char *ngx_cerebro_manage_head(u_char *p, u_char *last,
    ngx_http_request_t *r, const char *title);
static u_char *ngx_cerebro_manage_esc(u_char *p, u_char *last,
    const char *s);


char *
ngx_cerebro_manage(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "manage",
                                    ngx_cerebro_manage_handler);
}


static ngx_int_t
ngx_cerebro_manage_handler(ngx_http_request_t *r)
{
    int64_t                    expires;
    ngx_int_t                  rc;
    cerebro_link_rc_t          lrc;
    ngx_cerebro_manage_ctx_t  *ctx;

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD
                                          |NGX_HTTP_POST);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_cerebro_manage_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->request = r;
    ctx->minutes = -1;

    /* the token is what follows the last "/" */
    ctx->token.data = r->uri.data + r->uri.len;

    while (ctx->token.data > r->uri.data && ctx->token.data[-1] != '/') {
        ctx->token.data--;
    }

    ctx->token.len = r->uri.data + r->uri.len - ctx->token.data;

    lrc = ngx_cerebro_link_check(r, &ctx->token, ctx->id, sizeof(ctx->id),
                                 &expires);

    if (lrc != CEREBRO_LINK_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        ngx_cerebro_log(NGX_LOG_INFO, r->connection->log, 0,
                        "manage: a link refused: %s",
                        cerebro_link_strerror(lrc));

        if (lrc == CEREBRO_LINK_EXPIRED) {
            return ngx_cerebro_manage_refuse(r, NGX_CEREBRO_HTTP_GONE,
                       "Este enlace ha caducado",
                       "El enlace de su reserva solo sirve hasta el final "
                       "del día de la reserva.");
        }

        return ngx_cerebro_manage_refuse(r, NGX_HTTP_NOT_FOUND,
                   "Este enlace no es válido",
                   "Compruebe que lo ha copiado entero, tal como le llegó "
                   "por WhatsApp.");
    }

    if (r->method != NGX_HTTP_POST) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = ngx_cerebro_manage_read(ctx);
        if (rc != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_DONE;
    }

    /* a form posted from another site changes nothing */
    if (ngx_cerebro_auth_same_site(r) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_cerebro_manage_refuse(r, NGX_HTTP_FORBIDDEN,
                   "No se ha cambiado nada",
                   "El formulario no venía de esta página. Vuelva a abrir "
                   "el enlace de su reserva.");
    }

    ngx_http_set_ctx(r, ctx, ngx_cerebro_module);

    return ngx_cerebro_http_read_post(r,
                                      "application/x-www-form-urlencoded",
                                      ngx_cerebro_manage_body);
}


static void
ngx_cerebro_manage_body(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  body;
    ngx_cerebro_manage_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_cerebro_module);

    rc = ngx_cerebro_http_body(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    rc = ngx_cerebro_manage_form(ctx, &body);

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r,
            ngx_cerebro_manage_refuse(r, NGX_HTTP_FORBIDDEN,
                "No se ha cambiado nada",
                "El formulario no es el de esta reserva. Vuelva a abrir el "
                "enlace de su reserva."));
        return;
    }

    if (rc == NGX_ERROR || ngx_cerebro_manage_read(ctx) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* read_client_request_body counted the request once already */
    r->main->count--;
}


/*
 * token (the URL's own, so that a form can act only on the booking of its
 * page), action, and for a change pax and time.  NGX_DECLINED: not a form
 * of this page; a value out of range leaves ctx->notice for the guest.
 */
static ngx_int_t
ngx_cerebro_manage_form(ngx_cerebro_manage_ctx_t *ctx, ngx_str_t *body)
{
    ngx_int_t                    n;
    ngx_str_t                    token;
    const char                  *action, *pax, *time;
    ngx_array_t                 *params;
    const cerebro_restaurant_t  *model;

    if (ngx_cerebro_twilio_form(ctx->request->pool, body, &params) != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_cerebro_twilio_param_str(params, "token", &token) != NGX_OK
        || token.len != ctx->token.len
        || ngx_memcmp(token.data, ctx->token.data, token.len) != 0)
    {
        return NGX_DECLINED;
    }

    action = ngx_cerebro_twilio_param(params, "action");

    if (action && ngx_strcmp(action, "cancel") == 0) {
        ctx->action = NGX_CEREBRO_MANAGE_CANCEL;
        return NGX_OK;
    }

    if (action == NULL || ngx_strcmp(action, "change") != 0) {
        return NGX_DECLINED;
    }

    ctx->action = NGX_CEREBRO_MANAGE_CHANGE;
    model = ngx_cerebro_store_model(ctx->request);

    pax = ngx_cerebro_twilio_param(params, "pax");
    time = ngx_cerebro_twilio_param(params, "time");

    if (pax && pax[0]) {
        n = ngx_atoi((u_char *) pax, ngx_strlen(pax));

        if (n < 1 || n > model->max_party) {
            ngx_sprintf((u_char *) ctx->notice,
                        "Para cambiar el número de personas, elija de 1 a "
                        "%d. Para más, llame al restaurante.%Z",
                        model->max_party);
            ctx->action = NGX_CEREBRO_MANAGE_VIEW;
            ctx->invalid = 1;
            return NGX_OK;
        }

        ctx->pax = (int) n;
    }

    if (time && time[0]
        && ngx_cerebro_manage_time(time, &ctx->minutes) != NGX_OK)
    {
        ngx_cpystrn((u_char *) ctx->notice,
                    (u_char *) "Escriba la hora como 21:30.",
                    sizeof(ctx->notice));
        ctx->action = NGX_CEREBRO_MANAGE_VIEW;
        ctx->invalid = 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_manage_read(ngx_cerebro_manage_ctx_t *ctx)
{
    ngx_memzero(&ctx->op, sizeof(ngx_cerebro_store_op_t));

    ctx->op.request = ctx->request;
    ctx->op.kind = NGX_CEREBRO_STORE_GET;
    ctx->op.done = ngx_cerebro_manage_got;
    ctx->op.data = ctx;
    ngx_cpystrn((u_char *) ctx->op.id, (u_char *) ctx->id,
                sizeof(ctx->op.id));

    if (ngx_cerebro_store_start(&ctx->op) != NGX_OK) {
        return NGX_ERROR;
    }

    ctx->request->main->count++;

    return NGX_OK;
}


static void
ngx_cerebro_manage_got(ngx_cerebro_store_op_t *op)
{
    ngx_int_t                  rc;
    ngx_http_request_t        *r;
    ngx_cerebro_manage_ctx_t  *ctx;

    ctx = op->data;
    r = ctx->request;

    switch (op->error.kind) {

    case CEREBRO_STORE_OK:
        ctx->rec = op->reservation;

        rc = ctx->action == NGX_CEREBRO_MANAGE_VIEW
             ? ngx_cerebro_manage_page(ctx, ctx->invalid
                                             ? NGX_HTTP_BAD_REQUEST
                                             : NGX_HTTP_OK, &ctx->rec)
             : ngx_cerebro_manage_act(ctx);
        break;

    case CEREBRO_STORE_NOT_FOUND:
        rc = ngx_cerebro_manage_refuse(r, NGX_HTTP_NOT_FOUND,
                 "No encontramos esta reserva",
                 "Puede que el restaurante la haya quitado. Llámenos si "
                 "tiene alguna duda.");
        break;

    default:
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "manage: store %s: %s",
                        cerebro_store_err_name(op->error.kind),
                        op->error.message);
        rc = ngx_cerebro_manage_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                 "Ahora no podemos mostrar su reserva",
                 "Inténtelo de nuevo en unos minutos.");
    }

    if (rc == NGX_DONE) {
        return;
    }

    ngx_http_finalize_request(r, rc);
}


/* the booking as read: the change it asks for, if it still may be made */
static ngx_int_t
ngx_cerebro_manage_act(ngx_cerebro_manage_ctx_t *ctx)
{
    cerebro_local_t              local;
    cerebro_reservation_t       *rec;
    const cerebro_restaurant_t  *model;

    rec = &ctx->rec;
    model = ngx_cerebro_store_model(ctx->request);

    if (ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) != 0) {
        ngx_cpystrn((u_char *) ctx->notice,
                    (u_char *) "Esta reserva ya está anulada: no hay nada "
                    "que cambiar.", sizeof(ctx->notice));
        return ngx_cerebro_manage_page(ctx, NGX_HTTP_CONFLICT, rec);
    }

    if (rec->start <= ngx_time()) {
        ngx_cpystrn((u_char *) ctx->notice,
                    (u_char *) "La hora de esta reserva ya ha pasado: para "
                    "cualquier cambio, llame al restaurante.",
                    sizeof(ctx->notice));
        return ngx_cerebro_manage_page(ctx, NGX_HTTP_CONFLICT, rec);
    }

    ngx_memzero(&ctx->op, sizeof(ngx_cerebro_store_op_t));

    ctx->op.request = ctx->request;
    ctx->op.done = ngx_cerebro_manage_done;
    ctx->op.data = ctx;
    ngx_cpystrn((u_char *) ctx->op.id, (u_char *) rec->id,
                sizeof(ctx->op.id));

    if (ctx->action == NGX_CEREBRO_MANAGE_CANCEL) {
        ctx->op.kind = NGX_CEREBRO_STORE_CANCEL;

    } else {
        cerebro_tz_to_local(&model->tz, rec->start, &local);

        ctx->op.kind = NGX_CEREBRO_STORE_UPDATE;

        if (ctx->pax && ctx->pax != rec->pax) {
            ctx->op.change.pax = ctx->pax;
        }

        if (ctx->minutes >= 0 && ctx->minutes != local.minutes) {
            ctx->op.change.set_time = 1;
            ctx->op.change.date = local.date;
            ctx->op.change.minutes = ctx->minutes;
        }

        if (ctx->op.change.pax == 0 && !ctx->op.change.set_time) {
            ngx_cpystrn((u_char *) ctx->notice,
                        (u_char *) "No ha cambiado nada: la reserva sigue "
                        "como estaba.", sizeof(ctx->notice));
            return ngx_cerebro_manage_page(ctx, NGX_HTTP_OK, rec);
        }
    }

    /* the guest's confirmation goes into the store with the write */
    ctx->op.notice = ngx_cerebro_outbox_notice(ctx->request,
                         ctx->op.kind == NGX_CEREBRO_STORE_CANCEL
                         ? CEREBRO_CHANGE_CANCELLED : CEREBRO_CHANGE_CHANGED,
                         "");

    if (ngx_cerebro_store_start(&ctx->op) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DONE;
}


static void
ngx_cerebro_manage_done(ngx_cerebro_store_op_t *op)
{
    ngx_int_t                    rc;
    cerebro_local_t              local, now;
    cerebro_request_t            want;
    ngx_http_request_t          *r;
    ngx_cerebro_change_t         change;
    ngx_cerebro_manage_ctx_t    *ctx;
    const cerebro_restaurant_t  *model;

    ctx = op->data;
    r = ctx->request;
    model = ngx_cerebro_store_model(r);

    cerebro_tz_to_local(&model->tz, ngx_time(), &now);

    switch (op->error.kind) {

    case CEREBRO_STORE_OK:
        /* the guest hears of it on WhatsApp, as of a change by phone */
        if (!(op->kind == NGX_CEREBRO_STORE_CANCEL && op->already)
            && op->reservation.client_phone[0] == '+')
        {
            change.kind = op->kind == NGX_CEREBRO_STORE_CANCEL
                          ? CEREBRO_CHANGE_CANCELLED
                          : CEREBRO_CHANGE_CHANGED;
            change.reservation = &op->reservation;
            change.phone = op->reservation.client_phone;
            change.notice = op->notice;

            ngx_cerebro_outbox_confirm(r, &change);
        }

        ngx_cpystrn((u_char *) ctx->notice,
                    (u_char *) (op->kind == NGX_CEREBRO_STORE_CANCEL
                                ? "Su reserva ha quedado anulada. Le "
                                  "enviamos la confirmación por WhatsApp."
                                : "Su reserva ha cambiado. Le enviamos la "
                                  "confirmación por WhatsApp."),
                    sizeof(ctx->notice));

        rc = ngx_cerebro_manage_page(ctx, NGX_HTTP_OK, &op->reservation);
        break;

    case CEREBRO_STORE_CONFLICT:
    case CEREBRO_STORE_INVALID:
        if (op->kind == NGX_CEREBRO_STORE_CANCEL) {
            /* cancelled or changed meanwhile: the page as it stands */
            ngx_cpystrn((u_char *) ctx->notice,
                        (u_char *) "No se ha podido anular: vuelva a abrir "
                        "el enlace o llame al restaurante.",
                        sizeof(ctx->notice));
            rc = ngx_cerebro_manage_page(ctx, NGX_HTTP_CONFLICT, &ctx->rec);
            break;
        }

        /* the engine's own sentence: what is free instead */
        cerebro_tz_to_local(&model->tz, ctx->rec.start, &local);

        want.date = local.date;
        want.minutes = op->change.set_time ? op->change.minutes
                                           : local.minutes;
        want.party = op->change.pax ? op->change.pax : ctx->rec.pax;
        want.location = NULL;

        (void) cerebro_sentence_answer(ctx->notice, sizeof(ctx->notice),
                                       model, &want, &op->answer,
                                       now.date.year);

        rc = ngx_cerebro_manage_page(ctx, NGX_HTTP_CONFLICT, &ctx->rec);
        break;

    case CEREBRO_STORE_NOT_FOUND:
        rc = ngx_cerebro_manage_refuse(r, NGX_HTTP_NOT_FOUND,
                 "No encontramos esta reserva",
                 "Puede que el restaurante la haya quitado. Llámenos si "
                 "tiene alguna duda.");
        break;

    default:
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "manage: store %s: %s",
                        cerebro_store_err_name(op->error.kind),
                        op->error.message);
        rc = ngx_cerebro_manage_refuse(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                 "Ahora no podemos cambiar su reserva",
                 "No se ha cambiado nada. Inténtelo de nuevo en unos "
                 "minutos.");
    }

    ngx_http_finalize_request(r, rc);
}


/* "21:30", or "21:30:00" as some browsers send a time input */
static ngx_int_t
ngx_cerebro_manage_time(const char *s, int *minutes)
{
    size_t     len;
    ngx_int_t  h, m;

    len = ngx_strlen(s);

    if (!(len == 5 || (len == 8 && ngx_strcmp(s + 5, ":00") == 0))
        || s[2] != ':')
    {
        return NGX_ERROR;
    }

    h = ngx_atoi((u_char *) s, 2);
    m = ngx_atoi((u_char *) s + 3, 2);

    if (h < 0 || h > 23 || m < 0 || m > 59) {
        return NGX_ERROR;
    }

    *minutes = (int) (h * 60 + m);

    return NGX_OK;
}


/* ---- the pages ---------------------------------------------------------- */


static ngx_int_t
ngx_cerebro_manage_page(ngx_cerebro_manage_ctx_t *ctx, ngx_uint_t status,
    const cerebro_reservation_t *rec)
{
    u_char                      *page, *p, *last;
    char                         date[64];
    ngx_uint_t                   active;
    cerebro_local_t              local, now;
    ngx_http_request_t          *r;
    const cerebro_restaurant_t  *model;

    r = ctx->request;
    model = ngx_cerebro_store_model(r);

    page = ngx_pnalloc(r->pool, NGX_CEREBRO_MANAGE_PAGE_LEN);
    if (page == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = page;
    last = page + NGX_CEREBRO_MANAGE_PAGE_LEN;

    cerebro_tz_to_local(&model->tz, ngx_time(), &now);
    cerebro_tz_to_local(&model->tz, rec->start, &local);
    (void) cerebro_date_format_es(date, sizeof(date), &local.date,
                                  now.date.year);

    active = ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) == 0
             && rec->start > ngx_time();

    p = ngx_cerebro_manage_head(p, last, r, "Su reserva");

    if (ctx->notice[0]) {
        p = ngx_slprintf(p, last, "<p class=\"notice\" role=\"status\">");
        p = ngx_cerebro_manage_esc(p, last, ctx->notice);
        p = ngx_slprintf(p, last, "</p>\n");
    }

    p = ngx_slprintf(p, last, "<h2>Su reserva</h2>\n<dl>\n<dt>Nombre</dt>"
                     "<dd>");
    p = ngx_cerebro_manage_esc(p, last, rec->client_name);
    p = ngx_slprintf(p, last, "</dd>\n<dt>Día</dt><dd>");
    p = ngx_cerebro_manage_esc(p, last, date);
    p = ngx_slprintf(p, last, "</dd>\n<dt>Hora</dt><dd>%02d:%02d</dd>\n"
                     "<dt>Personas</dt><dd>%d</dd>\n<dt>Estado</dt>"
                     "<dd>%s</dd>\n</dl>\n",
                     local.minutes / 60, local.minutes % 60, rec->pax,
                     ngx_strcmp(rec->status, CEREBRO_STATUS_CONFIRMED) == 0
                     ? "Confirmada" : "Anulada");

    if (active) {
        /* the token is base64url: nothing in it needs escaping */
        p = ngx_slprintf(p, last,
                 "<h2>Cambiar</h2>\n<form method=\"post\">\n"
                 "<input type=\"hidden\" name=\"token\" value=\"%V\">\n"
                 "<input type=\"hidden\" name=\"action\" value=\"change\">\n"
                 "<label>Personas <input type=\"number\" name=\"pax\" "
                 "min=\"1\" max=\"%d\" value=\"%d\"></label>\n"
                 "<label>Hora <input type=\"time\" name=\"time\" "
                 "step=\"900\" value=\"%02d:%02d\"></label>\n"
                 "<button type=\"submit\">Cambiar la reserva</button>\n"
                 "</form>\n"
                 "<h2>Anular</h2>\n<form method=\"post\">\n"
                 "<input type=\"hidden\" name=\"token\" value=\"%V\">\n"
                 "<input type=\"hidden\" name=\"action\" value=\"cancel\">\n"
                 "<button type=\"submit\" class=\"cancel\">Anular la "
                 "reserva</button>\n</form>\n",
                 &ctx->token, model->max_party, rec->pax,
                 local.minutes / 60, local.minutes % 60, &ctx->token);
    }

    p = ngx_slprintf(p, last, "<p>¿Alguna duda? Llame al ");
    p = ngx_cerebro_manage_esc(p, last, model->phone);
    p = ngx_slprintf(p, last, ".</p>\n</body>\n</html>\n");

    return ngx_cerebro_manage_send(r, status, page, p);
}


/* a bad, expired or unknown link: nothing of any booking in it */
static ngx_int_t
ngx_cerebro_manage_refuse(ngx_http_request_t *r, ngx_uint_t status,
    const char *title, const char *text)
{
    u_char                      *page, *p, *last;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(r);

    page = ngx_pnalloc(r->pool, NGX_CEREBRO_MANAGE_PAGE_LEN);
    if (page == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = page + NGX_CEREBRO_MANAGE_PAGE_LEN;

    p = ngx_cerebro_manage_head(page, last, r, title);
    p = ngx_slprintf(p, last, "<h2>");
    p = ngx_cerebro_manage_esc(p, last, title);
    p = ngx_slprintf(p, last, "</h2>\n<p>");
    p = ngx_cerebro_manage_esc(p, last, text);
    p = ngx_slprintf(p, last, "</p>\n<p>Para ver o cambiar su reserva, "
                     "escríbanos por WhatsApp o llame al ");
    p = ngx_cerebro_manage_esc(p, last, model->phone);
    p = ngx_slprintf(p, last, ".</p>\n</body>\n</html>\n");

    return ngx_cerebro_manage_send(r, status, page, p);
}


static u_char *
ngx_cerebro_manage_head(u_char *p, u_char *last, ngx_http_request_t *r,
    const char *title)
{
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(r);

    p = ngx_slprintf(p, last,
            "<!DOCTYPE html>\n<html lang=\"es\">\n<head>\n"
            "<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, "
            "initial-scale=1\">\n"
            "<meta name=\"referrer\" content=\"no-referrer\">\n"
            "<meta name=\"robots\" content=\"noindex\">\n<title>");
    p = ngx_cerebro_manage_esc(p, last, title);
    p = ngx_slprintf(p, last, " · ");
    p = ngx_cerebro_manage_esc(p, last, model->name);
    p = ngx_slprintf(p, last,
            "</title>\n<style>\n"
            "body{font-family:system-ui,sans-serif;max-width:32rem;"
            "margin:2rem auto;padding:0 1rem;color:#222;line-height:1.5}\n"
            "dl{display:grid;grid-template-columns:max-content 1fr;"
            "gap:.25rem 1rem}dt{font-weight:600}dd{margin:0}\n"
            "label{display:block;margin:.5rem 0}\n"
            "input,button{font:inherit;padding:.4rem .6rem}\n"
            ".notice{background:#eef6ee;border-left:4px solid #3a7;"
            "padding:.5rem 1rem}\n.cancel{color:#a00}\n"
            "</style>\n</head>\n<body>\n<h1>");
    p = ngx_cerebro_manage_esc(p, last, model->name);
    p = ngx_slprintf(p, last, "</h1>\n");

    return p;
}


static ngx_int_t
ngx_cerebro_manage_send(ngx_http_request_t *r, ngx_uint_t status,
    u_char *page, u_char *last)
{
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_uint_t        i;
    ngx_chain_t       out;
    ngx_table_elt_t  *h;

    static ngx_str_t  headers[][2] = {
        { ngx_string("Cache-Control"), ngx_string("no-store") },
        { ngx_string("Referrer-Policy"), ngx_string("no-referrer") },
        { ngx_string("X-Content-Type-Options"), ngx_string("nosniff") },
        { ngx_string("X-Frame-Options"), ngx_string("DENY") },
        { ngx_string("Content-Security-Policy"),
          ngx_string("default-src 'none'; style-src 'unsafe-inline'; "
                     "form-action 'self'; frame-ancestors 'none'; "
                     "base-uri 'none'") },
        { ngx_null_string, ngx_null_string }
    };

    for (i = 0; headers[i][0].len; i++) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        h->key = headers[i][0];
        h->value = headers[i][1];
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = page;
    b->last = last;
    b->memory = 1;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = status;
    r->headers_out.content_length_n = last - page;
    ngx_str_set(&r->headers_out.content_type, "text/html; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/html") - 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/*
 * s HTML-escaped by nginx (<, >, &, "; every attribute of ours is
 * double-quoted), or nothing when it does not fit.
 */
static u_char *
ngx_cerebro_manage_esc(u_char *p, u_char *last, const char *s)
{
    size_t  len;

    len = ngx_strlen(s);

    if (len + ngx_escape_html(NULL, (u_char *) s, len)
        > (size_t) (last - p))
    {
        return p;
    }

    return (u_char *) ngx_escape_html(p, (u_char *) s, len);
}
