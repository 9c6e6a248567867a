
/*
 * The assistants' prompts (voice and WhatsApp agents) are files read with
 * the configuration; per message their {{placeholders}} get today's date
 * and time in the restaurant's zone, so that "este viernes" resolves
 * against the right day.
 */

#include "ngx_cerebro_prompt.h"
#include "ngx_cerebro_tools.h"


void
ngx_cerebro_prompt_vars(ngx_http_request_t *r, ngx_cerebro_var_t *vars)
{
    int                          minutes;
    cerebro_date_t               today;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(r);
    ngx_cerebro_tools_today(model, &today, &minutes);

    vars[0].name = "restaurant";
    ngx_cpystrn((u_char *) vars[0].value, (u_char *) model->name,
                sizeof(vars[0].value));

    vars[1].name = "address";
    ngx_cpystrn((u_char *) vars[1].value, (u_char *) model->address,
                sizeof(vars[1].value));

    vars[2].name = "today";
    cerebro_date_format_es(vars[2].value, sizeof(vars[2].value), &today, 0);

    vars[3].name = "date_iso";
    cerebro_date_format_iso(vars[3].value, sizeof(vars[3].value), &today);

    vars[4].name = "time";
    ngx_sprintf((u_char *) vars[4].value, "%02d:%02d%Z", minutes / 60,
                minutes % 60);

    vars[5].name = "timezone";
    ngx_cpystrn((u_char *) vars[5].value, (u_char *) model->timezone,
                sizeof(vars[5].value));

    ngx_cerebro_prompt_caller(r, vars, NULL, 0);
}


void
ngx_cerebro_prompt_caller(ngx_http_request_t *r, ngx_cerebro_var_t *vars,
    const ngx_cerebro_caller_t *caller, ngx_uint_t written)
{
    int                          minutes, party;
    cerebro_date_t               today;
    cerebro_local_t              local;
    const char                  *name, *prefs;
    cerebro_caller_kind_t        kind;
    const cerebro_date_t        *date;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(r);
    ngx_cerebro_tools_today(model, &today, NULL);

    kind = caller ? caller->kind : CEREBRO_CALLER_NEW;
    name = "";
    prefs = "";
    date = NULL;
    minutes = 0;
    party = 0;

    /* of a shared number, nobody's name nor booking */
    if (kind == CEREBRO_CALLER_KNOWN) {
        name = caller->name;
        prefs = caller->preferences;

        if (caller->next.start) {
            cerebro_tz_to_local(&model->tz, caller->next.start, &local);
            date = &local.date;
            minutes = local.minutes;
            party = caller->next.pax;
        }
    }

    vars[6].name = "guest_name";
    ngx_cpystrn((u_char *) vars[6].value, (u_char *) name,
                sizeof(vars[6].value));

    vars[7].name = "guest_booking";
    vars[7].value[0] = '\0';

    if (date) {
        cerebro_sentence_next_booking(vars[7].value, sizeof(vars[7].value),
                                      date, minutes, party, today.year);
    }

    vars[8].name = "guest_preferences";
    ngx_cpystrn((u_char *) vars[8].value, (u_char *) prefs,
                sizeof(vars[8].value));

    vars[9].name = "caller";
    cerebro_sentence_caller(vars[9].value, sizeof(vars[9].value), kind,
                            name, date, minutes, party, prefs, today.year,
                            written != 0);
}


char *
ngx_cerebro_prompt_render(ngx_http_request_t *r, ngx_str_t *tmpl,
    ngx_cerebro_var_t *vars)
{
    u_char      *out, *p, *last, *src, *end, *close;
    size_t       size, len, n;
    ngx_uint_t   i, found;

    /* room for every value a few times over; beyond that it is cut */
    size = tmpl->len + 4 * NGX_CEREBRO_PROMPT_NVARS
                       * sizeof(vars[0].value) + 1;

    out = ngx_pnalloc(r->pool, size);
    if (out == NULL) {
        return NULL;
    }

    p = out;
    last = out + size - 1;
    src = tmpl->data;
    end = src + tmpl->len;

    while (src < end) {
        found = 0;

        if (end - src > 3 && src[0] == '{' && src[1] == '{') {
            close = ngx_strlcasestrn(src + 2, end, (u_char *) "}}", 1);

            for (i = 0; close && i < NGX_CEREBRO_PROMPT_NVARS; i++) {
                len = ngx_strlen(vars[i].name);

                if ((size_t) (close - src - 2) == len
                    && ngx_strncmp(src + 2, vars[i].name, len) == 0)
                {
                    n = ngx_min(ngx_strlen(vars[i].value),
                                (size_t) (last - p));
                    p = ngx_cpymem(p, vars[i].value, n);
                    src = close + 2;
                    found = 1;
                    break;
                }
            }
        }

        if (!found) {
            if (p < last) {
                *p++ = *src;
            }

            src++;
        }
    }

    *p = '\0';

    return (char *) out;
}
