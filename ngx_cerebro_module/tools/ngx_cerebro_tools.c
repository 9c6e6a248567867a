
/*
 * The tools: arguments in the guest's words go through the engine's Spanish
 * language, the store does the reading and writing, the engine decides, and
 * the core's sentences say it.  Missing or unclear arguments give a sentence
 * that tells the assistant exactly what to ask, never an error.
 */

#include "ngx_cerebro_tools.h"
#include "ngx_cerebro_outbox.h"
#include "cerebro_phone.h"
#include "cerebro_sentence.h"
#include "cerebro_spanish.h"


#define NGX_CEREBRO_TOOL_TEXT_LEN  1024


typedef ngx_int_t (*ngx_cerebro_tool_pt)(ngx_cerebro_tool_t *tool);


/*
 * The tool table, in the order of cerebro_tool_id_t: what each tool runs,
 * whether a call of it writes (a retried call must get its first answer,
 * never run again) and what a successful call changed.
 */
typedef struct {
    ngx_cerebro_tool_pt   start;
    ngx_cerebro_tool_pt   stored;     /* after the store answered */
    ngx_uint_t            writes;
    ngx_uint_t            changes;    /* NGX_CEREBRO_TOOL_* it may do */
} ngx_cerebro_tool_def_t;


static ngx_int_t ngx_cerebro_check_start(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_check_stored(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_create_start(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_create_stored(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_create_ask_who(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_create_read_first(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_create_who_known(ngx_cerebro_caller_t *who);
static ngx_int_t ngx_cerebro_guest_limited(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_find_start(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_find_stored(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_change_stored(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_changed_stored(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_info_start(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_info_stored(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_handover_start(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_waitlist_start(ngx_cerebro_tool_t *tool);

static void ngx_cerebro_tool_store_done(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_tool_store(ngx_cerebro_tool_t *tool,
    ngx_cerebro_store_kind_e kind);
static void ngx_cerebro_tool_finish(ngx_cerebro_tool_t *tool,
    ngx_uint_t failed);
static void ngx_cerebro_tool_confirm(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_tool_wakeup(ngx_event_t *ev);
static void ngx_cerebro_tool_late_outcome(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_tool_cleanup(void *data);
static ngx_int_t ngx_cerebro_tool_reply(ngx_cerebro_tool_t *tool,
    const char *fmt, ...);
static ngx_int_t ngx_cerebro_tool_ask(ngx_cerebro_tool_t *tool,
    unsigned missing);
static ngx_int_t ngx_cerebro_tool_store_failed(ngx_cerebro_tool_t *tool);

static const char *ngx_cerebro_arg(ngx_cerebro_tool_t *tool,
    const char *name);
static ngx_int_t ngx_cerebro_arg_int(ngx_cerebro_tool_t *tool,
    const char *name, int *value);
static ngx_uint_t ngx_cerebro_arg_true(ngx_cerebro_tool_t *tool,
    const char *name);
static ngx_int_t ngx_cerebro_parse_when(ngx_cerebro_tool_t *tool,
    const char *date_key, const char *time_key, cerebro_request_t *req,
    unsigned *missing, unsigned *has_date, unsigned *has_time);
static ngx_int_t ngx_cerebro_tool_phone(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_check_day_done(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_guest_recorded(ngx_cerebro_store_op_t *op);
static void ngx_cerebro_warmed(ngx_cerebro_store_op_t *op);
static ngx_int_t ngx_cerebro_check_answer(ngx_cerebro_tool_t *tool);
static void ngx_cerebro_range_of(ngx_cerebro_store_op_t *op,
    const cerebro_restaurant_t *model, const cerebro_date_t *first,
    const cerebro_date_t *last);
static ngx_int_t ngx_cerebro_engine_bookings(ngx_cerebro_tool_t *tool,
    cerebro_booking_t **out, int *n);
static int ngx_cerebro_pick_booking(ngx_cerebro_tool_t *tool);
static ngx_int_t ngx_cerebro_hours(ngx_cerebro_tool_t *tool,
    const cerebro_restaurant_t *model);
static size_t ngx_cerebro_describe(u_char *p, size_t size,
    const cerebro_restaurant_t *model, const cerebro_reservation_t *rec,
    int ref_year);


static ngx_cerebro_tool_def_t  ngx_cerebro_tools[CEREBRO_TOOL_COUNT] = {
    /* CEREBRO_TOOL_CHECK */
    { ngx_cerebro_check_start, ngx_cerebro_check_stored, 0, 0 },
    /* CEREBRO_TOOL_CREATE */
    { ngx_cerebro_create_start, ngx_cerebro_create_stored, 1,
      NGX_CEREBRO_TOOL_BOOKED },
    /* CEREBRO_TOOL_FIND */
    { ngx_cerebro_find_start, ngx_cerebro_find_stored, 0, 0 },
    /* CEREBRO_TOOL_MODIFY */
    { ngx_cerebro_find_start, ngx_cerebro_change_stored, 1,
      NGX_CEREBRO_TOOL_CHANGED },
    /* CEREBRO_TOOL_CANCEL */
    { ngx_cerebro_find_start, ngx_cerebro_change_stored, 1,
      NGX_CEREBRO_TOOL_CANCELLED },
    /* CEREBRO_TOOL_INFO */
    { ngx_cerebro_info_start, ngx_cerebro_info_stored, 0, 0 },
    /* CEREBRO_TOOL_HANDOVER: a hand-over is asked once */
    { ngx_cerebro_handover_start, NULL, 1, NGX_CEREBRO_TOOL_HANDOVER },
    /* CEREBRO_TOOL_WAITLIST: a retry must not read as a second entry */
    { ngx_cerebro_waitlist_start, NULL, 1, 0 }
};


static const char  ngx_cerebro_unavailable[] =
    "Lo siento, ahora mismo no puedo consultar el sistema de reservas. "
    "Puedo pasarle con el restaurante o tomar nota para que le llamen.";


ngx_int_t
ngx_cerebro_tool_start(ngx_cerebro_tool_t *tool)
{
    ngx_pool_cleanup_t      *cln;
    ngx_cerebro_tool_def_t  *def;

    cln = ngx_pool_cleanup_add(tool->request->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_tool_cleanup;
    cln->data = tool;

    tool->wakeup.handler = ngx_cerebro_tool_wakeup;
    tool->wakeup.data = tool;
    tool->wakeup.log = tool->request->connection->log;

    tool->id = cerebro_tool_lookup((char *) tool->name.data, tool->name.len);
    tool->started = ngx_current_msec;

    if (tool->id == CEREBRO_TOOL_UNKNOWN) {
        ngx_cerebro_metric_inc(NGX_CEREBRO_M_TOOL_CALLS, "other", "failed");
        ngx_cerebro_logvar_append(tool->request, NGX_CEREBRO_LOG_OUTCOME,
                                  "unknown_tool");

        if (ngx_cerebro_tool_reply(tool, "No conozco la herramienta \"%V\".",
                                   &tool->name)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        tool->failed = 1;

        return NGX_OK;
    }

    def = &ngx_cerebro_tools[tool->id];

    return def->start(tool);
}


ngx_uint_t
ngx_cerebro_tool_writes(ngx_str_t *name)
{
    cerebro_tool_id_t  id;

    id = cerebro_tool_lookup((char *) name->data, name->len);

    return id == CEREBRO_TOOL_UNKNOWN ? 0 : ngx_cerebro_tools[id].writes;
}


ngx_uint_t
ngx_cerebro_tool_changes(ngx_str_t *name)
{
    cerebro_tool_id_t  id;

    id = cerebro_tool_lookup((char *) name->data, name->len);

    return id == CEREBRO_TOOL_UNKNOWN ? 0 : ngx_cerebro_tools[id].changes;
}


void
ngx_cerebro_tools_today(const cerebro_restaurant_t *model,
    cerebro_date_t *today, int *minutes_now)
{
    cerebro_local_t  local;

    cerebro_tz_to_local(&model->tz, ngx_time(), &local);

    *today = local.date;

    if (minutes_now) {
        *minutes_now = local.minutes;
    }
}


/* check_availability(date, time, party_size, location?) */

static ngx_int_t
ngx_cerebro_check_start(ngx_cerebro_tool_t *tool)
{
    int             i;
    unsigned        missing, has_date, has_time;
    ngx_int_t       rc;
    cerebro_date_t  first, last;

    rc = ngx_cerebro_parse_when(tool, "date", "time", &tool->want, &missing,
                                &has_date, &has_time);
    if (rc == NGX_DECLINED) {
        return ngx_cerebro_tool_ask(tool, missing);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    /* what was asked, as read: a read-back says what would be booked */
    tool->has_date = has_date;
    tool->has_time = has_time;

    /*
     * The day asked and its neighbours (a service may cross midnight): three
     * reads the store's cache answers.  The following days matter only
     * when the answer offers them as alternatives: they are asked of a
     * remote cache now, in the same round trip, and of the store only
     * when needed and not cached.
     */
    for (i = 0; i < 3; i++) {
        ngx_memzero(&tool->days[i], sizeof(ngx_cerebro_store_op_t));
        tool->days[i].request = tool->request;
        tool->days[i].kind = NGX_CEREBRO_STORE_DAY;
        tool->days[i].date = cerebro_date_add_days(&tool->want.date, i - 1);
        tool->days[i].done = ngx_cerebro_check_day_done;
        tool->days[i].data = tool;
    }

    /* the rest of the engine's search for the same time on later days */
    first = cerebro_date_add_days(&tool->want.date, 2);
    last = cerebro_date_add_days(&tool->want.date,
                                 CEREBRO_ENGINE_NEXT_DAY_SEARCH);
    ngx_cerebro_range_of(&tool->op, ngx_cerebro_store_model(tool->request),
                         &first, &last);

    tool->op.request = tool->request;
    tool->op.cache_only = 1;
    tool->op.done = ngx_cerebro_check_day_done;
    tool->op.data = tool;

    tool->pending = 4;

    for (i = 0; i < 3; i++) {
        if (ngx_cerebro_store_start(&tool->days[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    rc = ngx_cerebro_store_start(&tool->op);

    if (rc == NGX_DECLINED) {
        tool->pending--;          /* the days finish later, never here */
        return NGX_OK;
    }

    return rc;
}


static void
ngx_cerebro_check_day_done(ngx_cerebro_store_op_t *op)
{
    ngx_cerebro_tool_t  *tool;

    tool = op->data;

    if (--tool->pending > 0 || tool->finished) {
        return;
    }

    if (ngx_cerebro_check_answer(tool) != NGX_OK && !tool->finished) {
        ngx_str_set(&tool->text, "Ha ocurrido un error interno.");
        ngx_cerebro_tool_finish(tool, 1);
    }
}


/* after the following days were read */
static ngx_int_t
ngx_cerebro_check_stored(ngx_cerebro_tool_t *tool)
{
    return ngx_cerebro_check_answer(tool);
}


static ngx_int_t
ngx_cerebro_check_answer(ngx_cerebro_tool_t *tool)
{
    int                          n, i;
    u_char                      *text;
    cerebro_date_t               today;
    cerebro_answer_t             answer;
    cerebro_booking_t           *bookings;
    const cerebro_restaurant_t  *model;

    for (i = 0; i < 3; i++) {
        if (tool->days[i].error.kind != CEREBRO_STORE_OK) {
            tool->op.error = tool->days[i].error;
            return ngx_cerebro_tool_store_failed(tool);
        }
    }

    if (tool->extended && tool->op.error.kind != CEREBRO_STORE_OK) {
        return ngx_cerebro_tool_store_failed(tool);
    }

    model = ngx_cerebro_store_model(tool->request);

    if (ngx_cerebro_engine_bookings(tool, &bookings, &n) != NGX_OK) {
        return NGX_ERROR;
    }

    cerebro_engine_query(model, bookings, n, ngx_time(), &tool->want,
                         &answer);

    if (answer.nalts > answer.nsame && !tool->extended) {
        /* alternatives on the following days: check them against their
         * own bookings before the guest hears them */
        tool->extended = 1;

        if (tool->op.error.kind == CEREBRO_STORE_OK) {
            return ngx_cerebro_check_answer(tool);   /* came with the days */
        }

        tool->op.cache_only = 0;

        return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_RANGE);
    }

    text = ngx_pnalloc(tool->request->pool, NGX_CEREBRO_TOOL_TEXT_LEN);
    if (text == NULL) {
        return NGX_ERROR;
    }

    ngx_cerebro_tools_today(model, &today, NULL);

    tool->text.data = text;
    tool->text.len = cerebro_sentence_answer((char *) text,
                                             NGX_CEREBRO_TOOL_TEXT_LEN,
                                             model, &tool->want, &answer,
                                             today.year);
    if (answer.reason == CEREBRO_AVAIL_TOO_LARGE) {
        tool->did |= NGX_CEREBRO_TOOL_HANDOVER;
    }

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/* create_reservation(name, date, time, party_size, phone?, notes?) */

static ngx_int_t
ngx_cerebro_create_start(ngx_cerebro_tool_t *tool)
{
    u_char                    *p;
    unsigned                   missing, has_date, has_time;
    ngx_int_t                  rc;
    const char                *value;
    ngx_cerebro_tools_conf_t  *tcf;

    value = ngx_cerebro_arg(tool, "name");
    if (value == NULL) {
        value = ngx_cerebro_arg(tool, "client_name");
    }

    if (value) {
        ngx_cpystrn((u_char *) tool->name_arg, (u_char *) value,
                    sizeof(tool->name_arg));

    } else if (!tool->asked_who && tool->caller[0] == '+'
               && ngx_cerebro_arg(tool, "phone") == NULL)
    {
        /* booked from the caller's own phone: the name it is known by */
        return ngx_cerebro_create_ask_who(tool);

    } else if (tool->name_arg[0]) {
        value = tool->name_arg;
    }

    rc = ngx_cerebro_parse_when(tool, "date", "time", &tool->want, &missing,
                                &has_date, &has_time);

    if (rc == NGX_DECLINED || (rc == NGX_OK && value == NULL)) {
        /* ask for everything that is missing in one go */
        if (value == NULL) {
            missing |= CEREBRO_MISSING_NAME;
        }

        return ngx_cerebro_tool_ask(tool, missing);
    }

    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    rc = ngx_cerebro_tool_phone(tool);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    if (!ngx_cerebro_arg_true(tool, "confirmed")) {
        /* the guest has not heard what would be booked: nothing is */
        return ngx_cerebro_create_read_first(tool);
    }

    value = ngx_cerebro_arg(tool, "notes");
    if (value) {
        ngx_cpystrn((u_char *) tool->notes, (u_char *) value,
                    sizeof(tool->notes));
        tool->op.booking.notes = tool->notes;
    }

    value = ngx_cerebro_arg(tool, "preferences");
    if (value) {
        ngx_cpystrn((u_char *) tool->preferences, (u_char *) value,
                    sizeof(tool->preferences));

        /* "; " separates the entries the guest's record keeps */
        for (p = (u_char *) tool->preferences; *p; p++) {
            if (*p == ';') {
                *p = ',';
            }
        }
    }

    tool->op.booking.when = tool->want;
    tool->op.booking.client_name = tool->name_arg;
    tool->op.booking.client_phone = tool->op.phone;
    tool->op.booking.source = tool->source;
    tool->op.booking.call_id = tool->call_id[0] ? tool->call_id : NULL;

    tcf = ngx_http_get_module_main_conf(tool->request,
                                        ngx_cerebro_tools_module);

    if (tcf->guest_limit > 0) {
        /* the guest's bookings first: create_stored() counts them */
        return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_BY_PHONE);
    }

    return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_CREATE);
}


static ngx_int_t
ngx_cerebro_create_read_first(ngx_cerebro_tool_t *tool)
{
    cerebro_date_t               today;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    tool->text.data = ngx_pnalloc(tool->request->pool,
                                  NGX_CEREBRO_TOOL_TEXT_LEN);
    if (tool->text.data == NULL) {
        return NGX_ERROR;
    }

    tool->text.len = cerebro_sentence_read_first((char *) tool->text.data,
                                                 NGX_CEREBRO_TOOL_TEXT_LEN,
                                                 tool->name_arg,
                                                 &tool->want.date,
                                                 tool->want.minutes,
                                                 tool->want.party,
                                                 today.year);
    tool->unconfirmed = 1;

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_create_ask_who(ngx_cerebro_tool_t *tool)
{
    ngx_cerebro_caller_t  *who;

    tool->asked_who = 1;

    who = ngx_pcalloc(tool->request->pool, sizeof(ngx_cerebro_caller_t));
    if (who == NULL) {
        return NGX_ERROR;
    }

    who->request = tool->request;
    who->done = ngx_cerebro_create_who_known;
    who->data = tool;
    ngx_memcpy(who->phone, tool->caller, sizeof(who->phone));
    tool->who = who;

    if (ngx_cerebro_caller_start(who) != NGX_OK) {
        /* the name is asked, as for any caller we do not know */
        return ngx_cerebro_create_start(tool);
    }

    return NGX_OK;
}


/* one guest on this number: theirs; a shared one or none: asked */
static void
ngx_cerebro_create_who_known(ngx_cerebro_caller_t *who)
{
    ngx_cerebro_tool_t *tool = who->data;

    if (tool->finished) {
        return;
    }

    if (who->kind == CEREBRO_CALLER_KNOWN && who->name[0]) {
        ngx_cpystrn((u_char *) tool->name_arg, (u_char *) who->name,
                    sizeof(tool->name_arg));
    }

    if (ngx_cerebro_create_start(tool) != NGX_OK && !tool->finished) {
        ngx_str_set(&tool->text, "Ha ocurrido un error interno.");
        ngx_cerebro_tool_finish(tool, 1);
    }
}


/*
 * cerebro_guest_limit: how many bookings one phone may make in 24 hours
 * (cancelled ones and this call's own do not count).  A count that cannot
 * be read lets the booking through: the cap is a courtesy to the
 * restaurant, not worth a guest's table.  NGX_DECLINED: go on and book.
 */
static ngx_int_t
ngx_cerebro_guest_limited(ngx_cerebro_tool_t *tool)
{
    int                        i, made;
    time_t                     since;
    cerebro_reservation_t     *b;
    ngx_cerebro_tools_conf_t  *tcf;

    tcf = ngx_http_get_module_main_conf(tool->request,
                                        ngx_cerebro_tools_module);

    if (tool->op.error.kind != CEREBRO_STORE_OK) {
        return NGX_DECLINED;
    }

    since = ngx_time() - 86400;
    made = 0;

    for (i = 0; i < tool->op.nbookings; i++) {
        b = &tool->op.bookings[i];

        if (b->created >= since
            && ngx_strcmp(b->status, "cancelled") != 0
            && (tool->call_id[0] == '\0'
                || ngx_strcmp(b->call_id, tool->call_id) != 0))
        {
            made++;
        }
    }

    if (made < tcf->guest_limit) {
        return NGX_DECLINED;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, tool->request->connection->log, 0,
                    "create_reservation: %s has made %d bookings in 24 h, "
                    "the limit is %i", tool->op.phone, made,
                    tcf->guest_limit);

    if (ngx_cerebro_tool_reply(tool, "Lo siento, desde este teléfono ya se "
                               "%s %d reserva%s hoy, que es el máximo por "
                               "día. Si necesita otra, puedo pasarle con el "
                               "restaurante.", made == 1 ? "ha hecho" :
                               "han hecho", made, made == 1 ? "" : "s")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_create_stored(ngx_cerebro_tool_t *tool)
{
    ngx_int_t                    rc;
    cerebro_date_t               today;
    const cerebro_restaurant_t  *model;

    if (tool->op.kind == NGX_CEREBRO_STORE_BY_PHONE) {
        rc = ngx_cerebro_guest_limited(tool);
        if (rc != NGX_DECLINED) {
            return rc;
        }

        return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_CREATE);
    }

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    tool->text.data = ngx_pnalloc(tool->request->pool,
                                  NGX_CEREBRO_TOOL_TEXT_LEN);
    if (tool->text.data == NULL) {
        return NGX_ERROR;
    }

    switch (tool->op.error.kind) {

    case CEREBRO_STORE_OK:
        tool->reservation = tool->op.reservation;
        tool->did |= NGX_CEREBRO_TOOL_BOOKED;

        /* the guest in Clientes, as the original did; the answer does not
         * wait for it */
        ngx_memzero(&tool->guest, sizeof(ngx_cerebro_store_op_t));
        tool->guest.request = tool->request;
        tool->guest.kind = NGX_CEREBRO_STORE_GUEST;
        tool->guest.done = ngx_cerebro_guest_recorded;
        tool->guest.data = tool;
        ngx_memcpy(tool->guest.phone, tool->op.phone,
                   sizeof(tool->guest.phone));
        ngx_cpystrn((u_char *) tool->guest.name, (u_char *) tool->name_arg,
                    sizeof(tool->guest.name));
        tool->guest.preference = tool->preferences[0] ? tool->preferences
                                                      : NULL;
        (void) ngx_cerebro_store_start(&tool->guest);

        tool->text.len = cerebro_sentence_booked((char *) tool->text.data,
                                                 NGX_CEREBRO_TOOL_TEXT_LEN,
                                                 tool->name_arg,
                                                 &tool->want.date,
                                                 tool->want.minutes,
                                                 tool->want.party,
                                                 today.year);
        break;

    case CEREBRO_STORE_CONFLICT:
    case CEREBRO_STORE_INVALID:
        /* the engine said why, with alternatives */
        tool->text.len = cerebro_sentence_answer((char *) tool->text.data,
                                                 NGX_CEREBRO_TOOL_TEXT_LEN,
                                                 model, &tool->want,
                                                 &tool->op.answer,
                                                 today.year);
        if (tool->op.answer.reason == CEREBRO_AVAIL_TOO_LARGE) {
            tool->did |= NGX_CEREBRO_TOOL_HANDOVER;
        }

        break;

    default:
        return ngx_cerebro_tool_store_failed(tool);
    }

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/*
 * find_reservations(phone?), and the first step of modify_reservation and
 * cancel_reservation: the guest's upcoming bookings.
 */

static ngx_int_t
ngx_cerebro_find_start(ngx_cerebro_tool_t *tool)
{
    ngx_int_t  rc;

    rc = ngx_cerebro_tool_phone(tool);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_BY_PHONE);
}


static ngx_int_t
ngx_cerebro_find_stored(ngx_cerebro_tool_t *tool)
{
    int                          i, active;
    u_char                      *p, *last;
    cerebro_date_t               today;
    const cerebro_restaurant_t  *model;

    if (tool->op.error.kind != CEREBRO_STORE_OK) {
        return ngx_cerebro_tool_store_failed(tool);
    }

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    p = ngx_pnalloc(tool->request->pool, NGX_CEREBRO_TOOL_TEXT_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    tool->text.data = p;
    last = p + NGX_CEREBRO_TOOL_TEXT_LEN;

    active = 0;
    for (i = 0; i < tool->op.nbookings; i++) {
        if (cerebro_booking_status_from_string(tool->op.bookings[i].status)
            != CEREBRO_BOOKING_CANCELLED)
        {
            active++;
        }
    }

    if (active == 0) {
        tool->text.len = cerebro_sentence_not_found((char *) p,
                                                    NGX_CEREBRO_TOOL_TEXT_LEN,
                                                    NULL);
        ngx_cerebro_tool_finish(tool, 0);
        return NGX_OK;
    }

    p = ngx_slprintf(p, last, active == 1 ? "Tiene una reserva: "
                                          : "Tiene %d reservas: ", active);

    for (i = 0; i < tool->op.nbookings; i++) {
        if (cerebro_booking_status_from_string(tool->op.bookings[i].status)
            == CEREBRO_BOOKING_CANCELLED)
        {
            continue;
        }

        p += ngx_cerebro_describe(p, last - p, model, &tool->op.bookings[i],
                                  today.year);
        p = ngx_slprintf(p, last, "; ");
    }

    /* "; " becomes the final full stop */
    p -= (p - tool->text.data >= 2 && p[-2] == ';') ? 2 : 0;
    p = ngx_slprintf(p, last, ".");

    tool->text.len = p - tool->text.data;

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/* modify_reservation / cancel_reservation, once the booking is known */

static ngx_int_t
ngx_cerebro_change_stored(ngx_cerebro_tool_t *tool)
{
    int                          i;
    unsigned                     missing, has_date, has_time;
    ngx_int_t                    rc;
    cerebro_local_t              local;
    cerebro_reservation_t       *rec;
    const cerebro_restaurant_t  *model;

    if (tool->op.error.kind != CEREBRO_STORE_OK) {
        return ngx_cerebro_tool_store_failed(tool);
    }

    model = ngx_cerebro_store_model(tool->request);

    i = ngx_cerebro_pick_booking(tool);
    if (i < 0) {
        /* the sentence asks which one, or says there is none */
        return i == -2 ? NGX_ERROR : NGX_OK;
    }

    rec = &tool->op.bookings[i];
    tool->reservation = *rec;
    ngx_cpystrn((u_char *) tool->op.id, (u_char *) rec->id,
                sizeof(tool->op.id));

    if (tool->id == CEREBRO_TOOL_CANCEL) {
        return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_CANCEL);
    }

    /* modify: what changes, starting from what the booking is */

    cerebro_tz_to_local(&model->tz, rec->start, &local);

    tool->move_to.date = local.date;
    tool->move_to.minutes = local.minutes;
    tool->move_to.party = rec->pax;

    rc = ngx_cerebro_parse_when(tool, "new_date", "new_time", &tool->move_to,
                                &missing, &has_date, &has_time);
    if (rc == NGX_ERROR || rc == NGX_DONE) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    tool->op.change.set_time = has_date || has_time;
    tool->op.change.date = tool->move_to.date;
    tool->op.change.minutes = tool->move_to.minutes;
    tool->op.change.pax = (tool->move_to.party != rec->pax)
                          ? tool->move_to.party : 0;

    if (ngx_cerebro_arg(tool, "notes")) {
        ngx_cpystrn((u_char *) tool->notes,
                    (u_char *) ngx_cerebro_arg(tool, "notes"),
                    sizeof(tool->notes));
        tool->op.change.notes = tool->notes;
    }

    if (!tool->op.change.set_time && tool->op.change.pax == 0
        && tool->op.change.notes == NULL)
    {
        return ngx_cerebro_tool_reply(tool, "¿Qué quiere cambiar de la "
                                    "reserva: el día, la hora o el número "
                                    "de personas?");
    }

    return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_UPDATE);
}


static ngx_int_t
ngx_cerebro_changed_stored(ngx_cerebro_tool_t *tool)
{
    cerebro_date_t               today;
    cerebro_local_t              local;
    cerebro_reservation_t       *rec;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    tool->text.data = ngx_pnalloc(tool->request->pool,
                                  NGX_CEREBRO_TOOL_TEXT_LEN);
    if (tool->text.data == NULL) {
        return NGX_ERROR;
    }

    rec = &tool->op.reservation;

    switch (tool->op.error.kind) {

    case CEREBRO_STORE_OK:
        tool->reservation = *rec;
        cerebro_tz_to_local(&model->tz, rec->start, &local);

        if (tool->op.kind == NGX_CEREBRO_STORE_CANCEL) {
            tool->did |= NGX_CEREBRO_TOOL_CANCELLED;
            tool->text.len = cerebro_sentence_cancelled(
                                 (char *) tool->text.data,
                                 NGX_CEREBRO_TOOL_TEXT_LEN, rec->client_name,
                                 &local.date, local.minutes, today.year);
        } else {
            tool->did |= NGX_CEREBRO_TOOL_CHANGED;
            tool->text.len = cerebro_sentence_changed(
                                 (char *) tool->text.data,
                                 NGX_CEREBRO_TOOL_TEXT_LEN, rec->client_name,
                                 &local.date, local.minutes, rec->pax,
                                 today.year);
        }

        break;

    case CEREBRO_STORE_CONFLICT:
    case CEREBRO_STORE_INVALID:
        if (tool->op.kind == NGX_CEREBRO_STORE_UPDATE) {
            tool->text.len = cerebro_sentence_answer(
                                 (char *) tool->text.data,
                                 NGX_CEREBRO_TOOL_TEXT_LEN, model,
                                 &tool->move_to, &tool->op.answer,
                                 today.year);
            break;
        }

        /* fall through */

    case CEREBRO_STORE_NOT_FOUND:
        tool->text.len = cerebro_sentence_not_found((char *) tool->text.data,
                                                    NGX_CEREBRO_TOOL_TEXT_LEN,
                                                    NULL);
        break;

    default:
        return ngx_cerebro_tool_store_failed(tool);
    }

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/* get_restaurant_info(topic?): the restaurant's own words, then the FAQ */

static ngx_str_t  ngx_cerebro_topics[][2] = {
    { ngx_string("horario"), ngx_string("hours") },
    { ngx_string("hora"), ngx_string("hours") },
    { ngx_string("abr"), ngx_string("hours") },
    { ngx_string("aparca"), ngx_string("parking") },
    { ngx_string("parking"), ngx_string("parking") },
    { ngx_string("men"), ngx_string("menu") },
    { ngx_string("carta"), ngx_string("menu") },
    { ngx_string("comida"), ngx_string("menu") },
    { ngx_string("alerg"), ngx_string("allergens") },
    { ngx_string("alérg"), ngx_string("allergens") },
    { ngx_string("gluten"), ngx_string("allergens") },
    { ngx_string("celia"), ngx_string("allergens") },
    { ngx_string("vegan"), ngx_string("allergens") },
    { ngx_string("vegetar"), ngx_string("allergens") },
    { ngx_string("silla"), ngx_string("accessibility") },
    { ngx_string("accesib"), ngx_string("accessibility") },
    { ngx_string("perro"), ngx_string("pets") },
    { ngx_string("mascota"), ngx_string("pets") },
    { ngx_null_string, ngx_null_string }
};


static ngx_int_t
ngx_cerebro_info_start(ngx_cerebro_tool_t *tool)
{
    u_char                      *p;
    ngx_uint_t                   i;
    const char                  *topic, *info;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(tool->request);
    topic = ngx_cerebro_arg(tool, "topic");

    if (topic == NULL || topic[0] == '\0') {
        return ngx_cerebro_tool_reply(tool, "%s está en %s; el teléfono es "
                                    "el %s. ¿Qué más quiere saber?",
                                    model->name, model->address, model->phone);
    }

    if (ngx_strcasestrn((u_char *) topic, "direc", 5 - 1)
        || ngx_strcasestrn((u_char *) topic, "dónde", 6 - 1)
        || ngx_strcasestrn((u_char *) topic, "donde", 5 - 1)
        || ngx_strcasestrn((u_char *) topic, "address", 7 - 1))
    {
        return ngx_cerebro_tool_reply(tool, "Estamos en %s.", model->address);
    }

    if (ngx_strcasestrn((u_char *) topic, "tel", 3 - 1)) {
        return ngx_cerebro_tool_reply(tool, "El teléfono del restaurante es "
                                    "el %s.", model->phone);
    }

    info = cerebro_restaurant_info(model, topic);

    for (i = 0; info == NULL && ngx_cerebro_topics[i][0].len; i++) {
        p = ngx_strcasestrn((u_char *) topic,
                            (char *) ngx_cerebro_topics[i][0].data,
                            ngx_cerebro_topics[i][0].len - 1);
        if (p) {
            info = cerebro_restaurant_info(model,
                           (char *) ngx_cerebro_topics[i][1].data);
        }
    }

    if (info) {
        return ngx_cerebro_tool_reply(tool, "%s", info);
    }

    for (i = 0; ngx_cerebro_topics[i][0].len; i++) {
        if (ngx_strcmp(ngx_cerebro_topics[i][1].data, "hours") == 0
            && ngx_strcasestrn((u_char *) topic,
                               (char *) ngx_cerebro_topics[i][0].data,
                               ngx_cerebro_topics[i][0].len - 1))
        {
            return ngx_cerebro_hours(tool, model);
        }
    }

    return ngx_cerebro_tool_store(tool, NGX_CEREBRO_STORE_FAQ);
}


static ngx_int_t
ngx_cerebro_info_stored(ngx_cerebro_tool_t *tool)
{
    int          i;
    const char  *topic;

    if (tool->op.error.kind == CEREBRO_STORE_OK) {
        topic = ngx_cerebro_arg(tool, "topic");

        for (i = 0; i < tool->op.nfaq; i++) {
            if (ngx_strcasestrn((u_char *) tool->op.faq[i].question,
                                (char *) topic, ngx_strlen(topic) - 1)
                || ngx_strcasecmp((u_char *) tool->op.faq[i].topic,
                                  (u_char *) topic) == 0)
            {
                return ngx_cerebro_tool_reply(tool, "%s",
                                              tool->op.faq[i].answer);
            }
        }
    }

    tool->did |= NGX_CEREBRO_TOOL_HANDOVER;

    return ngx_cerebro_tool_reply(tool, "No tengo esa información a mano; "
                                "puedo pasarle con el restaurante para que "
                                "se lo confirmen.");
}


/* transfer_to_human(reason) */

static ngx_int_t
ngx_cerebro_handover_start(ngx_cerebro_tool_t *tool)
{
    const char  *reason;

    reason = ngx_cerebro_arg(tool, "reason");

    ngx_cerebro_log(NGX_LOG_NOTICE, tool->request->connection->log, 0,
                    "hand-over to a person requested (call \"%s\"): %s",
                    tool->call_id, reason ? reason : "no reason given");

    tool->did |= NGX_CEREBRO_TOOL_HANDOVER;

    return ngx_cerebro_tool_reply(tool, "De acuerdo, le paso con una persona "
                                  "del restaurante.");
}


/*
 * join_waitlist(name, date, time, party_size, time_to?, phone?): in the
 * SQLite file whatever the backend, like the outbox; the offers go out by
 * WhatsApp from the jobs run (messaging/ngx_cerebro_waitlist_offer.c).
 */

static ngx_int_t
ngx_cerebro_waitlist_start(ngx_cerebro_tool_t *tool)
{
    int                            existed;
    unsigned                       missing, has_date, has_time;
    ngx_int_t                      rc;
    const char                    *name;
    cerebro_date_t                 today;
    cerebro_sqlite_t              *db;
    cerebro_answer_t              *answer;
    cerebro_waitlist_t             w;
    cerebro_store_error_t          e;
    const cerebro_restaurant_t    *model;
    ngx_cerebro_messaging_conf_t  *mscf;

    name = ngx_cerebro_arg(tool, "name");
    if (name == NULL) {
        name = ngx_cerebro_arg(tool, "client_name");
    }

    rc = ngx_cerebro_parse_when(tool, "date", "time", &tool->want, &missing,
                                &has_date, &has_time);

    if (rc == NGX_DECLINED || (rc == NGX_OK && name == NULL)) {
        return ngx_cerebro_tool_ask(tool, missing
                                          | (name ? 0 : CEREBRO_MISSING_NAME));
    }

    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    /* the end of a window ("entre las 20:30 y las 22:00"): same day */
    tool->move_to = tool->want;

    if (ngx_cerebro_arg(tool, "time_to")) {
        rc = ngx_cerebro_parse_when(tool, "date", "time_to", &tool->move_to,
                                    &missing, &has_date, &has_time);
        if (rc == NGX_DONE) {
            return NGX_OK;
        }

        if (rc == NGX_ERROR) {
            return rc;
        }
    }

    if (tool->move_to.minutes < tool->want.minutes) {
        tool->move_to.minutes = tool->want.minutes;
    }

    rc = ngx_cerebro_tool_phone(tool);
    if (rc != NGX_OK) {
        return rc == NGX_DONE ? NGX_OK : rc;
    }

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    answer = ngx_palloc(tool->request->pool, sizeof(cerebro_answer_t));
    if (answer == NULL) {
        return NGX_ERROR;
    }

    /* a time nobody could book (closed, too soon, too large) waits for
     * nothing: the guest hears why, as for a booking */
    cerebro_engine_query(model, NULL, 0, ngx_time(), &tool->want, answer);

    if (answer->reason != CEREBRO_AVAIL_OK) {
        tool->text.data = ngx_pnalloc(tool->request->pool,
                                      NGX_CEREBRO_TOOL_TEXT_LEN);
        if (tool->text.data == NULL) {
            return NGX_ERROR;
        }

        tool->text.len = cerebro_sentence_answer((char *) tool->text.data,
                                                 NGX_CEREBRO_TOOL_TEXT_LEN,
                                                 model, &tool->want, answer,
                                                 today.year);
        if (answer->reason == CEREBRO_AVAIL_TOO_LARGE) {
            tool->did |= NGX_CEREBRO_TOOL_HANDOVER;
        }

        ngx_cerebro_tool_finish(tool, 0);
        return NGX_OK;
    }

    ngx_memzero(&w, sizeof(cerebro_waitlist_t));
    ngx_cpystrn((u_char *) w.name, (u_char *) name, sizeof(w.name));
    ngx_cpystrn((u_char *) w.phone, (u_char *) tool->op.phone,
                sizeof(w.phone));
    w.date = tool->want.date;
    w.time_from = tool->want.minutes;
    w.time_to = tool->move_to.minutes;
    w.pax = tool->want.party;
    w.until = cerebro_tz_from_local(&model->tz, &w.date, w.time_to, NULL);

    db = ngx_cerebro_store_db(tool->request);

    if (db == NULL
        || cerebro_sqlite_waitlist_join(db, &w, ngx_time(), &existed, &e)
           != CEREBRO_STORE_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, tool->request->connection->log, 0,
                        "waitlist: %s not added: %s", tool->op.phone,
                        db ? e.message : "no SQLite handle");
        return ngx_cerebro_tool_reply(tool, "Lo siento, ahora mismo no "
                                      "puedo apuntarle en la lista de "
                                      "espera. Puedo pasarle con el "
                                      "restaurante.");
    }

    ngx_cerebro_log(NGX_LOG_INFO, tool->request->connection->log, 0,
                    "waitlist: %s %s entry %L", w.phone,
                    existed ? "already had" : "joined with", w.id);

    mscf = ngx_http_get_module_main_conf(tool->request,
                                         ngx_cerebro_messaging_module);

    tool->text.data = ngx_pnalloc(tool->request->pool,
                                  NGX_CEREBRO_TOOL_TEXT_LEN);
    if (tool->text.data == NULL) {
        return NGX_ERROR;
    }

    tool->text.len = cerebro_sentence_waitlist_joined(
                         (char *) tool->text.data, NGX_CEREBRO_TOOL_TEXT_LEN,
                         w.name, &w.date, w.time_from, w.time_to, w.pax,
                         (int) (mscf->waitlist_hold / 60000), today.year);

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


static void
ngx_cerebro_guest_recorded(ngx_cerebro_store_op_t *op)
{
    if (op->error.kind != CEREBRO_STORE_OK) {
        ngx_cerebro_log(NGX_LOG_WARN, op->request->connection->log, 0,
                        "guest %s not recorded (%s): %s", op->phone,
                        cerebro_store_err_name(op->error.kind),
                        op->error.message);
    }
}


ngx_int_t
ngx_cerebro_tools_warm(ngx_http_request_t *r, const char *caller)
{
    ngx_uint_t                   i, n;
    cerebro_date_t               today, first, last;
    ngx_cerebro_store_op_t      *ops;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(r);
    ngx_cerebro_tools_today(model, &today, NULL);

    ops = ngx_pcalloc(r->pool, 5 * sizeof(ngx_cerebro_store_op_t));
    if (ops == NULL) {
        return NGX_ERROR;
    }

    /* today and the next two days: most calls book within them */
    for (i = 0; i < 3; i++) {
        ops[i].kind = NGX_CEREBRO_STORE_DAY;
        ops[i].date = cerebro_date_add_days(&today, (int) i);
    }

    /* the fortnight after, one read: where a full evening's alternatives
     * are looked for */
    first = cerebro_date_add_days(&today, 3);
    last = cerebro_date_add_days(&today, CEREBRO_ENGINE_NEXT_DAY_SEARCH + 2);
    ngx_cerebro_range_of(&ops[3], model, &first, &last);

    n = 4;

    /* the caller's own bookings, for "¿a qué hora tenía la reserva?" */
    if (caller[0]) {
        ops[4].kind = NGX_CEREBRO_STORE_BY_PHONE;
        ngx_cpystrn((u_char *) ops[4].phone, (u_char *) caller,
                    sizeof(ops[4].phone));
        n = 5;
    }

    for (i = 0; i < n; i++) {
        ops[i].request = r;
        ops[i].done = ngx_cerebro_warmed;

        if (ngx_cerebro_store_start(&ops[i]) != NGX_OK) {
            return NGX_ERROR;
        }

        /* the request outlives its answer until the cache is filled */
        r->main->count++;
    }

    return NGX_OK;
}


static void
ngx_cerebro_warmed(ngx_cerebro_store_op_t *op)
{
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, op->request->connection->log, 0,
                   "cerebro: cache warmed: %s",
                   cerebro_store_err_name(op->error.kind));

    ngx_http_finalize_request(op->request, NGX_DONE);
}


/* the plumbing */

static ngx_int_t
ngx_cerebro_tool_store(ngx_cerebro_tool_t *tool,
    ngx_cerebro_store_kind_e kind)
{
    static const cerebro_change_kind_t  change[] = {
        CEREBRO_CHANGE_BOOKED, CEREBRO_CHANGE_CHANGED,
        CEREBRO_CHANGE_CANCELLED
    };

    tool->op.request = tool->request;
    tool->op.kind = kind;
    tool->op.done = ngx_cerebro_tool_store_done;
    tool->op.data = tool;
    tool->op.notice = NULL;

    if (kind == NGX_CEREBRO_STORE_CREATE || kind == NGX_CEREBRO_STORE_UPDATE
        || kind == NGX_CEREBRO_STORE_CANCEL)
    {
        /* the confirmation goes into the store with the write itself */
        tool->op.notice = ngx_cerebro_outbox_notice(tool->request,
                              change[kind - NGX_CEREBRO_STORE_CREATE],
                              tool->caller);
    }

    return ngx_cerebro_store_start(&tool->op);
}


static void
ngx_cerebro_tool_store_done(ngx_cerebro_store_op_t *op)
{
    ngx_int_t                rc;
    ngx_cerebro_tool_t      *tool;
    ngx_cerebro_tool_def_t  *def;

    tool = op->data;
    def = &ngx_cerebro_tools[tool->id];

    if (op->kind == NGX_CEREBRO_STORE_UPDATE
        || op->kind == NGX_CEREBRO_STORE_CANCEL)
    {
        rc = ngx_cerebro_changed_stored(tool);

    } else {
        rc = def->stored(tool);
    }

    if (rc != NGX_OK && !tool->finished) {
        ngx_str_set(&tool->text, "Ha ocurrido un error interno.");
        ngx_cerebro_tool_finish(tool, 1);
    }
}


static ngx_int_t
ngx_cerebro_tool_store_failed(ngx_cerebro_tool_t *tool)
{
    ngx_cerebro_log(NGX_LOG_WARN, tool->request->connection->log, 0,
                    "%V: store %s: %s", &tool->name,
                    cerebro_store_err_name(tool->op.error.kind),
                    tool->op.error.message);

    ngx_str_set(&tool->text, ngx_cerebro_unavailable);
    tool->text.len = sizeof(ngx_cerebro_unavailable) - 1;

    /* a sentence for the guest, not a failure of the tool: VAPI says it */
    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/* a change to a booking, handed to messaging once: here, as it finishes */
static void
ngx_cerebro_tool_confirm(ngx_cerebro_tool_t *tool)
{
    ngx_cerebro_change_t  change;

    if (tool->did & NGX_CEREBRO_TOOL_CANCELLED) {
        change.kind = CEREBRO_CHANGE_CANCELLED;

    } else if (tool->did & NGX_CEREBRO_TOOL_CHANGED) {
        change.kind = CEREBRO_CHANGE_CHANGED;

    } else if (tool->did & NGX_CEREBRO_TOOL_BOOKED) {
        change.kind = CEREBRO_CHANGE_BOOKED;

    } else {
        return;
    }

    change.reservation = &tool->reservation;
    change.phone = tool->reservation.client_phone[0]
                   ? tool->reservation.client_phone : tool->caller;
    change.notice = tool->op.notice;

    ngx_cerebro_outbox_confirm(tool->request, &change);
}


static void
ngx_cerebro_tool_finish(ngx_cerebro_tool_t *tool, ngx_uint_t failed)
{
    u_char      *p;
    const char  *outcome;

    if (tool->finished) {
        return;
    }

    tool->finished = 1;
    tool->failed = failed;

    outcome = failed ? "failed"
              : (tool->text.data == (u_char *) ngx_cerebro_unavailable
                 ? "unavailable" : "ok");

    ngx_cerebro_metric_inc(NGX_CEREBRO_M_TOOL_CALLS,
                           cerebro_tool_name(tool->id), outcome);
    ngx_cerebro_metric_observe(NGX_CEREBRO_M_TOOL_DURATION,
                               cerebro_tool_name(tool->id),
                               ngx_current_msec - tool->started);
    ngx_cerebro_logvar_append(tool->request, NGX_CEREBRO_LOG_TOOL,
                              cerebro_tool_name(tool->id));
    ngx_cerebro_logvar_append(tool->request, NGX_CEREBRO_LOG_OUTCOME,
                              outcome);

    /* the WhatsApp confirmation, queued durably before the guest hears */
    ngx_cerebro_tool_confirm(tool);

    if (tool->late && tool->id == CEREBRO_TOOL_CREATE
        && !(tool->did & NGX_CEREBRO_TOOL_BOOKED) && !tool->unconfirmed
        && tool->op.phone[0] == '+'
        && tool->text.len)
    {
        /* the guest was told the booking is being confirmed: it is not */
        ngx_cerebro_tool_late_outcome(tool);
    }

    /* VAPI's parser breaks on line breaks */
    for (p = tool->text.data; p < tool->text.data + tool->text.len; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }

    ngx_post_event(&tool->wakeup, &ngx_posted_events);
}


static void
ngx_cerebro_tool_late_outcome(ngx_cerebro_tool_t *tool)
{
    char  *text;

    text = ngx_pnalloc(tool->request->pool, tool->text.len + 1);
    if (text == NULL) {
        return;
    }

    ngx_memcpy(text, tool->text.data, tool->text.len);
    text[tool->text.len] = '\0';

    if (ngx_cerebro_outbox_send(tool->request, tool->op.phone, text,
                                CEREBRO_OUTBOX_KIND_REPLY, NULL, NULL)
        != NGX_OK)
    {
        ngx_cerebro_log(NGX_LOG_ERR, tool->request->connection->log, 0,
                        "%V: the outcome of a booking told late could not "
                        "be queued for %s", &tool->name, tool->op.phone);
    }
}


static void
ngx_cerebro_tool_wakeup(ngx_event_t *ev)
{
    ngx_cerebro_tool_t  *tool;

    tool = ev->data;
    tool->done(tool);
}


static void
ngx_cerebro_tool_cleanup(void *data)
{
    ngx_cerebro_tool_t *tool = data;

    if (tool->wakeup.posted) {
        ngx_delete_posted_event(&tool->wakeup);
    }
}


/* Finishes the tool with a sentence (ngx_slprintf's formats). */
static ngx_int_t
ngx_cerebro_tool_reply(ngx_cerebro_tool_t *tool, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    p = ngx_pnalloc(tool->request->pool, NGX_CEREBRO_TOOL_TEXT_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    va_start(args, fmt);
    tool->text.len = ngx_vslprintf(p, p + NGX_CEREBRO_TOOL_TEXT_LEN, fmt,
                                   args) - p;
    va_end(args);

    tool->text.data = p;

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/* Finishes the tool asking for everything that is missing at once. */
static ngx_int_t
ngx_cerebro_tool_ask(ngx_cerebro_tool_t *tool, unsigned missing)
{
    tool->text.data = ngx_pnalloc(tool->request->pool,
                                  NGX_CEREBRO_TOOL_TEXT_LEN);
    if (tool->text.data == NULL) {
        return NGX_ERROR;
    }

    tool->text.len = cerebro_sentence_missing((char *) tool->text.data,
                                              NGX_CEREBRO_TOOL_TEXT_LEN,
                                              missing);
    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/*
 * A string argument, whatever JSON type the assistant chose: numbers as
 * text, null and "" as absent.
 */
static const char *
ngx_cerebro_arg(ngx_cerebro_tool_t *tool, const char *name)
{
    u_char  *p;
    cJSON   *item;

    item = cJSON_GetObjectItemCaseSensitive(tool->args, name);

    if (cJSON_IsString(item)) {
        return item->valuestring[0] ? item->valuestring : NULL;
    }

    if (cJSON_IsNumber(item)) {
        p = ngx_pnalloc(tool->request->pool, NGX_INT64_LEN + 1);
        if (p == NULL) {
            return NULL;
        }

        *ngx_sprintf(p, "%L", (int64_t) item->valuedouble) = '\0';
        return (char *) p;
    }

    return NULL;
}


/* true, or "true" from an assistant that sends every value as text */
static ngx_uint_t
ngx_cerebro_arg_true(ngx_cerebro_tool_t *tool, const char *name)
{
    cJSON  *item;

    item = cJSON_GetObjectItemCaseSensitive(tool->args, name);

    if (cJSON_IsTrue(item)) {
        return 1;
    }

    return cJSON_IsString(item)
           && ngx_strcasecmp((u_char *) item->valuestring,
                             (u_char *) "true") == 0;
}


static ngx_int_t
ngx_cerebro_arg_int(ngx_cerebro_tool_t *tool, const char *name, int *value)
{
    cJSON       *item;
    ngx_int_t    n;
    const char  *s;

    item = cJSON_GetObjectItemCaseSensitive(tool->args, name);

    if (cJSON_IsNumber(item)) {
        if (item->valuedouble < 1 || item->valuedouble > 1000) {
            return NGX_ERROR;
        }

        *value = (int) item->valuedouble;
        return NGX_OK;
    }

    s = ngx_cerebro_arg(tool, name);
    if (s == NULL) {
        return NGX_DECLINED;
    }

    n = ngx_atoi((u_char *) s, ngx_strlen(s));
    if (n == NGX_ERROR || n < 1 || n > 1000) {
        return NGX_ERROR;
    }

    *value = (int) n;

    return NGX_OK;
}


/*
 * Date, time and party size in the guest's words.  NGX_OK: all there;
 * NGX_DECLINED: *missing says what to ask (no sentence yet); NGX_DONE: the
 * tool is finished with a sentence saying what was not understood;
 * NGX_ERROR: no memory.  Values already in req are kept when an argument
 * is absent (a modification changes only what was said).
 */
static ngx_int_t
ngx_cerebro_parse_when(ngx_cerebro_tool_t *tool, const char *date_key,
    const char *time_key, cerebro_request_t *req, unsigned *missing,
    unsigned *has_date, unsigned *has_time)
{
    int                          minutes;
    unsigned                     prefilled;
    ngx_int_t                    rc;
    const char                  *date, *time, *location;
    char                         refusal[256];
    cerebro_date_t               today;
    cerebro_es_rc_t              es;
    cerebro_es_date_t            d;
    cerebro_es_time_t            t;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    /* a modification starts from the booking: nothing is then missing */
    prefilled = (req->date.year != 0);

    *missing = 0;
    *has_date = 0;
    *has_time = 0;

    date = ngx_cerebro_arg(tool, date_key);
    time = ngx_cerebro_arg(tool, time_key);

    if (date) {
        es = cerebro_es_parse_date_window(date, ngx_strlen(date), &today,
                                          CEREBRO_ES_PAST_WINDOW, &d);

        switch (es) {

        case CEREBRO_ES_OK:
            break;

        case CEREBRO_ES_PAST:
        case CEREBRO_ES_OUT_OF_RANGE:
        case CEREBRO_ES_WEEKDAY_MISMATCH:
            /* understood, and refused: the guest hears the day we heard */
            (void) cerebro_es_refusal(es, &d, &today, refusal,
                                      sizeof(refusal));
            return ngx_cerebro_tool_reply(tool, "%s.", refusal) == NGX_OK
                   ? NGX_DONE : NGX_ERROR;

        default:
            return ngx_cerebro_tool_reply(tool, "No he entendido la "
                                          "fecha \"%s\": %s. ¿Para qué "
                                          "día sería?", date,
                                          cerebro_es_reason(es,
                                              CEREBRO_ES_KIND_DATE))
                   == NGX_OK ? NGX_DONE : NGX_ERROR;
        }

        req->date = d.date;
        *has_date = 1;

    } else if (!prefilled) {
        *missing |= CEREBRO_MISSING_DATE;
    }

    if (time) {
        es = cerebro_es_parse_time(time, ngx_strlen(time), &t);
        if (es != CEREBRO_ES_OK) {
            return ngx_cerebro_tool_reply(tool, "No he entendido la hora "
                                          "\"%s\": %s. ¿A qué hora sería?",
                                          time,
                                          cerebro_es_reason(es,
                                              CEREBRO_ES_KIND_TIME))
                   == NGX_OK ? NGX_DONE : NGX_ERROR;
        }

        minutes = t.minutes;

        if ((t.flags & CEREBRO_ES_TIME_AMBIGUOUS) && req->date.year) {
            /* "a las nueve": the reading that falls in a service */
            minutes = cerebro_engine_resolve_hour(model, &req->date,
                                                  t.minutes);
            if (minutes < 0) {
                minutes = t.minutes;
            }
        }

        req->minutes = minutes;
        *has_time = 1;

    } else if (!prefilled) {
        *missing |= CEREBRO_MISSING_TIME;
    }

    rc = ngx_cerebro_arg_int(tool, prefilled ? "new_party_size"
                                             : "party_size", &req->party);
    if (rc == NGX_ERROR) {
        return ngx_cerebro_tool_reply(tool, "El número de personas no es "
                                      "válido. ¿Para cuántas personas "
                                      "sería?")
               == NGX_OK ? NGX_DONE : NGX_ERROR;
    }

    if (rc == NGX_DECLINED && !prefilled) {
        *missing |= CEREBRO_MISSING_PARTY;
    }

    location = ngx_cerebro_arg(tool, "location");
    if (location) {
        ngx_cpystrn((u_char *) tool->location, (u_char *) location,
                    sizeof(tool->location));
        req->location = tool->location;
    }

    return *missing ? NGX_DECLINED : NGX_OK;
}


/* The phone said, or the caller's own number. */
static ngx_int_t
ngx_cerebro_tool_phone(ngx_cerebro_tool_t *tool)
{
    const char          *phone;
    cerebro_phone_rc_t   rc;

    phone = ngx_cerebro_arg(tool, "phone");
    if (phone == NULL) {
        phone = tool->caller[0] ? tool->caller : NULL;
    }

    if (phone == NULL) {
        return ngx_cerebro_tool_ask(tool, CEREBRO_MISSING_PHONE) == NGX_OK
               ? NGX_DONE : NGX_ERROR;
    }

    rc = cerebro_phone_normalize(phone, ngx_strlen(phone),
                                 ngx_cerebro_store_model(tool->request)
                                     ->country_code,
                                 tool->op.phone, sizeof(tool->op.phone),
                                 NULL);
    if (rc != CEREBRO_PHONE_OK) {
        return ngx_cerebro_tool_reply(tool, "El teléfono \"%s\" no parece "
                                 "válido: %s. ¿Me lo repite?", phone,
                                 cerebro_phone_reason_es(rc)) == NGX_OK
               ? NGX_DONE : NGX_ERROR;
    }

    return NGX_OK;
}


/* op reads the whole local days from first to last as one range. */
static void
ngx_cerebro_range_of(ngx_cerebro_store_op_t *op,
    const cerebro_restaurant_t *model, const cerebro_date_t *first,
    const cerebro_date_t *last)
{
    cerebro_date_t  end;

    end = cerebro_date_add_days(last, 1);

    op->kind = NGX_CEREBRO_STORE_RANGE;
    op->from = cerebro_tz_from_local(&model->tz, first, 0, NULL);
    op->to = cerebro_tz_from_local(&model->tz, &end, 0, NULL);
}


static int ngx_libc_cdecl
ngx_cerebro_booking_cmp(const void *one, const void *two)
{
    const cerebro_booking_t  *a = one, *b = two;

    return (a->start > b->start) - (a->start < b->start);
}


/*
 * The bookings read so far in the engine's form, sorted by start: the
 * three days once, and the following days appended when they come.
 */
static ngx_int_t
ngx_cerebro_engine_bookings(ngx_cerebro_tool_t *tool,
    cerebro_booking_t **out, int *n)
{
    int                          i, k, total, sorted, first, last, from;
    cerebro_booking_t           *b;
    ngx_cerebro_store_op_t      *op, *ops[4];
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(tool->request);

    ops[0] = &tool->days[0];
    ops[1] = &tool->days[1];
    ops[2] = &tool->days[2];
    ops[3] = &tool->op;

    first = tool->engine ? 3 : 0;
    last = tool->extended ? 4 : 3;

    total = tool->nengine;

    for (k = first; k < last; k++) {
        total += ops[k]->nbookings;
    }

    b = ngx_palloc(tool->request->pool,
                   (total + 1) * sizeof(cerebro_booking_t));
    if (b == NULL) {
        return NGX_ERROR;
    }

    if (tool->nengine) {
        ngx_memcpy(b, tool->engine,
                   tool->nengine * sizeof(cerebro_booking_t));
    }

    *n = tool->nengine;
    sorted = 1;

    for (k = first; k < last; k++) {
        op = ops[k];
        from = *n;

        if (op->engine) {
            /* converted by the cache once, for every call reading it */
            ngx_memcpy(&b[*n], op->engine,
                       op->nengine * sizeof(cerebro_booking_t));
            *n += op->nengine;

        } else {
            *n += cerebro_rec_to_engine(model, op->bookings, op->nbookings,
                                        NULL, &b[*n]);
        }

        for (i = from > 0 ? from : 1; i < *n; i++) {
            if (b[i].start < b[i - 1].start) {
                sorted = 0;
                break;
            }
        }
    }

    /*
     * The days come in date order, each sorted by the store; the engine
     * searches sorted bookings by time instead of reading them all.
     */
    if (!sorted) {
        ngx_qsort(b, *n, sizeof(cerebro_booking_t),
                  ngx_cerebro_booking_cmp);
    }

    tool->engine = b;
    tool->nengine = *n;

    *out = b;

    return NGX_OK;
}


/*
 * Which of the guest's bookings: the only one, or the one on the date
 * said.  Returns its index; -1 when the tool finished asking (or saying
 * there is none); -2 on no memory.
 */
static int
ngx_cerebro_pick_booking(ngx_cerebro_tool_t *tool)
{
    int                          i, found, active;
    u_char                      *p, *last;
    const char                  *date, *id;
    cerebro_date_t               today;
    cerebro_local_t              local;
    cerebro_es_date_t            d;
    const cerebro_restaurant_t  *model;

    model = ngx_cerebro_store_model(tool->request);
    ngx_cerebro_tools_today(model, &today, NULL);

    date = ngx_cerebro_arg(tool, "date");
    if (date
        && cerebro_es_parse_date(date, ngx_strlen(date), &today, &d)
           != CEREBRO_ES_OK)
    {
        date = NULL;
    }

    /* a reminder's "CANCELAR" names its booking */
    id = ngx_cerebro_arg(tool, "reservation_id");

    found = -1;
    active = 0;

    for (i = 0; i < tool->op.nbookings; i++) {
        if (cerebro_booking_status_from_string(tool->op.bookings[i].status)
            == CEREBRO_BOOKING_CANCELLED)
        {
            continue;
        }

        if (id && ngx_strcmp(tool->op.bookings[i].id, id) == 0) {
            return i;
        }

        if (date) {
            cerebro_tz_to_local(&model->tz, tool->op.bookings[i].start,
                                &local);
            if (cerebro_date_cmp(&local.date, &d.date) != 0) {
                continue;
            }
        }

        active++;
        found = i;
    }

    if (active == 1) {
        return found;
    }

    p = ngx_pnalloc(tool->request->pool, NGX_CEREBRO_TOOL_TEXT_LEN);
    if (p == NULL) {
        return -2;
    }

    tool->text.data = p;
    last = p + NGX_CEREBRO_TOOL_TEXT_LEN;

    if (active == 0) {
        tool->text.len = cerebro_sentence_not_found((char *) p,
                                                    NGX_CEREBRO_TOOL_TEXT_LEN,
                                                    NULL);
        ngx_cerebro_tool_finish(tool, 0);
        return -1;
    }

    p = ngx_slprintf(p, last, "Tiene %d reservas: ", active);

    for (i = 0; i < tool->op.nbookings; i++) {
        if (cerebro_booking_status_from_string(tool->op.bookings[i].status)
            == CEREBRO_BOOKING_CANCELLED)
        {
            continue;
        }

        p += ngx_cerebro_describe(p, last - p, model, &tool->op.bookings[i],
                                  today.year);
        p = ngx_slprintf(p, last, "; ");
    }

    p = ngx_slprintf(p, last, "¿de qué día es la reserva?");
    tool->text.len = p - tool->text.data;

    ngx_cerebro_tool_finish(tool, 0);

    return -1;
}


/* The opening hours, from the rules the engine books by. */
static ngx_int_t
ngx_cerebro_hours(ngx_cerebro_tool_t *tool, const cerebro_restaurant_t *model)
{
    int                       d, wday, k, start, end;
    u_char                   *p, *last;
    const cerebro_day_hours_t  *h;

    p = ngx_pnalloc(tool->request->pool, NGX_CEREBRO_TOOL_TEXT_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    tool->text.data = p;
    last = p + NGX_CEREBRO_TOOL_TEXT_LEN;

    p = ngx_slprintf(p, last, "Nuestro horario: ");

    /* from Monday, as a Spanish week is read */
    for (d = 1; d <= 7; d++) {
        wday = d % 7;
        h = &model->week[wday];

        p = ngx_slprintf(p, last, "%s%s ", d > 1 ? "; " : "",
                         cerebro_weekday_name_es(wday));

        if (h->nservices == 0) {
            p = ngx_slprintf(p, last, "cerrado");
            continue;
        }

        for (k = 0; k < h->nservices; k++) {
            start = h->services[k].start;
            end = h->services[k].end % 1440;
            p = ngx_slprintf(p, last, "%sde %02d:%02d a %02d:%02d",
                             k ? " y " : "", start / 60, start % 60,
                             end / 60, end % 60);
        }
    }

    p = ngx_slprintf(p, last, ".");
    tool->text.len = p - tool->text.data;

    ngx_cerebro_tool_finish(tool, 0);

    return NGX_OK;
}


/* "el viernes 28 de noviembre a las 21:00 para 4 personas, a nombre de Ana" */
static size_t
ngx_cerebro_describe(u_char *p, size_t size,
    const cerebro_restaurant_t *model, const cerebro_reservation_t *rec,
    int ref_year)
{
    char             date[64];
    u_char          *last, *start;
    cerebro_local_t  local;

    if (size == 0) {
        return 0;
    }

    cerebro_tz_to_local(&model->tz, rec->start, &local);
    cerebro_date_format_es(date, sizeof(date), &local.date, ref_year);

    start = p;
    last = p + size;

    p = ngx_slprintf(p, last, "el %s a las %02d:%02d para %d %s, a nombre "
                     "de %s", date, local.minutes / 60, local.minutes % 60,
                     rec->pax, rec->pax == 1 ? "persona" : "personas",
                     rec->client_name);

    return p - start;
}
