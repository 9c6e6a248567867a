
/*
 * The rule-based WhatsApp dialogue on nginx: the pure steps of
 * core/cerebro_dialogue.c, the shared guest tools, and the state kept in
 * the conversation memory between messages.
 */

#include "ngx_cerebro_dialogue.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_outbox.h"


static void ngx_cerebro_dialogue_tool_done(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_dialogue_save(ngx_cerebro_brain_t *brain);
static void ngx_cerebro_brain_wakeup(ngx_event_t *ev);
static void ngx_cerebro_brain_cleanup(void *data);
static void ngx_cerebro_dialogue_args_cleanup(void *data);


static const char  ngx_cerebro_dialogue_sorry[] =
    "Lo siento, ahora mismo no puedo atenderle por aquí. Puede llamar al "
    "restaurante o escribirnos de nuevo en unos minutos.";


ngx_int_t
ngx_cerebro_dialogue_start(ngx_cerebro_brain_t *brain)
{
    char                         reminded[CEREBRO_REC_ID_LEN];
    cerebro_date_t               today;
    ngx_pool_cleanup_t          *cln;
    ngx_http_request_t          *r;
    const cerebro_restaurant_t  *model;

    r = brain->request;
    brain->by = "rules";

    model = ngx_cerebro_store_model(r);
    ngx_cerebro_tools_today(model, &today, NULL);

    cerebro_dlg_state_from_json(&brain->state,
                 cJSON_GetObjectItemCaseSensitive(brain->memory, "dialogue"));

    (void) cerebro_dlg_step(&brain->state, (char *) brain->text.data,
                            brain->text.len, &today, model->name,
                            &brain->step);

    brain->intent = cerebro_dlg_intent_name(brain->step.intent);

    if (brain->step.action == CEREBRO_DLG_REPLY) {
        ngx_cerebro_dialogue_save(brain);

        if (ngx_cerebro_brain_reply(brain, brain->step.text,
                                    ngx_strlen(brain->step.text))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        ngx_cerebro_brain_finish(brain);
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        cJSON_Delete(brain->step.args);
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_dialogue_args_cleanup;
    cln->data = brain->step.args;

    ngx_memzero(&brain->tool, sizeof(ngx_cerebro_tool_t));

    /*
     * "CANCELAR" in answer to a reminder cancels the booking the reminder
     * was about, not whichever of the guest's bookings
     */
    if (brain->step.tool_id == CEREBRO_TOOL_CANCEL
        && cJSON_GetObjectItemCaseSensitive(brain->step.args, "date") == NULL
        && ngx_cerebro_outbox_reminded(r, brain->phone, 36 * 60 * 60,
                                       reminded, sizeof(reminded))
           == NGX_OK
        && cJSON_AddStringToObject(brain->step.args, "reservation_id",
                                   reminded) == NULL)
    {
        return NGX_ERROR;
    }

    brain->tool.request = r;
    brain->tool.name.data = (u_char *) brain->step.tool;
    brain->tool.name.len = ngx_strlen(brain->step.tool);
    brain->tool.args = brain->step.args;
    brain->tool.source = CEREBRO_SOURCE_WHATSAPP;
    brain->tool.done = ngx_cerebro_dialogue_tool_done;
    brain->tool.data = brain;

    ngx_cpystrn((u_char *) brain->tool.caller, (u_char *) brain->phone,
                sizeof(brain->tool.caller));
    ngx_cpystrn((u_char *) brain->tool.call_id, (u_char *) brain->message_id,
                sizeof(brain->tool.call_id));

    ngx_cerebro_log_detail(((ngx_cerebro_main_conf_t *)
                            ngx_http_get_module_main_conf(r,
                                                      ngx_cerebro_module)),
                           r->connection->log,
                           "WhatsApp dialogue: intent %s, tool %s",
                           brain->intent, brain->step.tool);

    return ngx_cerebro_tool_start(&brain->tool);
}


static void
ngx_cerebro_dialogue_tool_done(ngx_cerebro_tool_t *tool)
{
    u_char                      *text;
    size_t                       n;
    cerebro_date_t               today;
    ngx_cerebro_brain_t         *brain;
    const cerebro_restaurant_t  *model;

    brain = tool->data;
    brain->did |= tool->did;

    model = ngx_cerebro_store_model(brain->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    text = ngx_pnalloc(brain->request->pool, CEREBRO_DLG_TEXT_LEN * 2);
    if (text == NULL) {
        (void) ngx_cerebro_brain_reply(brain, ngx_cerebro_dialogue_sorry,
                                       sizeof(ngx_cerebro_dialogue_sorry)
                                       - 1);
        ngx_cerebro_brain_finish(brain);
        return;
    }

    n = tool->text.len < CEREBRO_DLG_TEXT_LEN ? tool->text.len
                                              : CEREBRO_DLG_TEXT_LEN - 1;
    ngx_memcpy(text, tool->text.data, n);
    text[n] = '\0';

    if (brain->step.tool_id == CEREBRO_TOOL_CHECK && !tool->failed
        && tool->has_date && tool->has_time)
    {
        /* "a las 9" as the tool read it: the read-back says 21:00 */
        cerebro_date_format_iso(brain->state.date, sizeof(brain->state.date),
                                &tool->want.date);
        ngx_sprintf((u_char *) brain->state.time, "%02d:%02d%Z",
                    tool->want.minutes / 60 % 24, tool->want.minutes % 60);
    }

    n = cerebro_dlg_after_tool(&brain->state, &brain->step, (char *) text,
                               (tool->did & (NGX_CEREBRO_TOOL_BOOKED
                                             |NGX_CEREBRO_TOOL_CHANGED
                                             |NGX_CEREBRO_TOOL_CANCELLED))
                               != 0,
                               &today, (char *) text + CEREBRO_DLG_TEXT_LEN,
                               CEREBRO_DLG_TEXT_LEN);

    ngx_cerebro_dialogue_save(brain);

    brain->reply.data = text + CEREBRO_DLG_TEXT_LEN;
    brain->reply.len = n;

    ngx_cerebro_brain_finish(brain);
}


/* the slots go back into the memory the channel stores */
static void
ngx_cerebro_dialogue_save(ngx_cerebro_brain_t *brain)
{
    cJSON  *json;

    json = cerebro_dlg_state_to_json(&brain->state);
    if (json == NULL || brain->memory == NULL) {
        cJSON_Delete(json);
        return;
    }

    if (cJSON_GetObjectItemCaseSensitive(brain->memory, "dialogue")) {
        cJSON_ReplaceItemInObjectCaseSensitive(brain->memory, "dialogue",
                                               json);
    } else {
        cJSON_AddItemToObject(brain->memory, "dialogue", json);
    }
}


ngx_int_t
ngx_cerebro_brain_init(ngx_cerebro_brain_t *brain)
{
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(brain->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_brain_cleanup;
    cln->data = brain;

    brain->wakeup.handler = ngx_cerebro_brain_wakeup;
    brain->wakeup.data = brain;
    brain->wakeup.log = brain->request->connection->log;

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_brain_reply(ngx_cerebro_brain_t *brain, const char *text,
    size_t len)
{
    brain->reply.data = ngx_pnalloc(brain->request->pool, len + 1);
    if (brain->reply.data == NULL) {
        ngx_str_null(&brain->reply);
        return NGX_ERROR;
    }

    ngx_memcpy(brain->reply.data, text, len);
    brain->reply.data[len] = '\0';
    brain->reply.len = len;

    return NGX_OK;
}


void
ngx_cerebro_brain_finish(ngx_cerebro_brain_t *brain)
{
    if (brain->finished) {
        return;
    }

    brain->finished = 1;

    if (brain->reply.len == 0) {
        /* never silence */
        brain->reply.data = (u_char *) ngx_cerebro_dialogue_sorry;
        brain->reply.len = sizeof(ngx_cerebro_dialogue_sorry) - 1;
    }

    ngx_post_event(&brain->wakeup, &ngx_posted_events);
}


static void
ngx_cerebro_brain_wakeup(ngx_event_t *ev)
{
    ngx_cerebro_brain_t  *brain;

    brain = ev->data;

    brain->done(brain);

    /* done() may have started subrequests (kv, outbox) */
    ngx_http_run_posted_requests(brain->request->connection);
}


static void
ngx_cerebro_brain_cleanup(void *data)
{
    ngx_cerebro_brain_t *brain = data;

    if (brain->wakeup.posted) {
        ngx_delete_posted_event(&brain->wakeup);
    }
}


static void
ngx_cerebro_dialogue_args_cleanup(void *data)
{
    cJSON_Delete(data);
}
