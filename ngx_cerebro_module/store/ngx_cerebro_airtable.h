
/*
 * The Airtable backend of the store: tables and fields exactly as the
 * original deployment (Reservas, Mesas, Clientes, FAQ), our extra fields
 * (notes, source, call_id) written only where the base has them, and an
 * optional call log table.  Every request goes through the subrequest
 * client, the host-wide limiter (5 requests/s per base) and a day lock for
 * bookings (Airtable has no transactions).
 *
 * The JSON mapping of records (ngx_cerebro_airtable_json.c) is shared
 * here so that the steps (ngx_cerebro_airtable.c) stay about what to ask
 * and what an answer changes; the exchanges themselves are
 * ngx_cerebro_airtable_http.h's.
 */

#ifndef _NGX_CEREBRO_AIRTABLE_H_INCLUDED_
#define _NGX_CEREBRO_AIRTABLE_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro_store.h"


/*
 * The tables of the base, by role; their names and their fields' names are
 * configuration (cerebro_airtable_table, cerebro_airtable_field), the
 * original deployment's by default.
 */
typedef enum {
    NGX_CEREBRO_AT_RESERVAS = 0,       /* "Reservas" */
    NGX_CEREBRO_AT_MESAS,              /* "Mesas" */
    NGX_CEREBRO_AT_CLIENTES,           /* "Clientes" */
    NGX_CEREBRO_AT_FAQ,                /* "FAQ" */
    NGX_CEREBRO_AT_CALLS,              /* "Llamadas": optional */
    NGX_CEREBRO_AT_WAITLIST,           /* "ListaEspera": optional */
    NGX_CEREBRO_AT_NTABLES
} ngx_cerebro_at_table_e;


/* Our fields, in the order of their tables. */
typedef enum {
    NGX_CEREBRO_AT_F_CLIENT_NAME = 0,
    NGX_CEREBRO_AT_F_CLIENT_PHONE,
    NGX_CEREBRO_AT_F_DATE_TIME,
    NGX_CEREBRO_AT_F_PAX,
    NGX_CEREBRO_AT_F_TABLE,
    NGX_CEREBRO_AT_F_STATUS,
    NGX_CEREBRO_AT_F_NOTES,            /* ours: written where they exist */
    NGX_CEREBRO_AT_F_SOURCE,
    NGX_CEREBRO_AT_F_RES_CALL_ID,

    NGX_CEREBRO_AT_F_MESA_NAME,
    NGX_CEREBRO_AT_F_CAPACITY_MIN,
    NGX_CEREBRO_AT_F_CAPACITY_MAX,
    NGX_CEREBRO_AT_F_LOCATION,

    NGX_CEREBRO_AT_F_GUEST_NAME,
    NGX_CEREBRO_AT_F_GUEST_PHONE,
    NGX_CEREBRO_AT_F_EMAIL,
    NGX_CEREBRO_AT_F_PREFERENCES,

    NGX_CEREBRO_AT_F_QUESTION,
    NGX_CEREBRO_AT_F_ANSWER,

    NGX_CEREBRO_AT_F_CALL_ID,
    NGX_CEREBRO_AT_F_CALLER,
    NGX_CEREBRO_AT_F_STARTED,
    NGX_CEREBRO_AT_F_ENDED,
    NGX_CEREBRO_AT_F_DURATION,
    NGX_CEREBRO_AT_F_ENDED_REASON,
    NGX_CEREBRO_AT_F_SUMMARY,
    NGX_CEREBRO_AT_F_COST,
    NGX_CEREBRO_AT_F_BOOKED,
    NGX_CEREBRO_AT_F_CHANGED,
    NGX_CEREBRO_AT_F_CANCELLED,

    NGX_CEREBRO_AT_F_WL_ENTRY,
    NGX_CEREBRO_AT_F_WL_NAME,
    NGX_CEREBRO_AT_F_WL_PHONE,
    NGX_CEREBRO_AT_F_WL_DATE,
    NGX_CEREBRO_AT_F_WL_TIME,
    NGX_CEREBRO_AT_F_WL_TIME_TO,
    NGX_CEREBRO_AT_F_WL_PAX,
    NGX_CEREBRO_AT_F_WL_STATUS,
    NGX_CEREBRO_AT_F_WL_OFFER_TABLE,
    NGX_CEREBRO_AT_F_WL_RESERVATION,

    NGX_CEREBRO_AT_NFIELDS
} ngx_cerebro_at_field_e;


/* NUL-terminated; table[NGX_CEREBRO_AT_CALLS] (or _WAITLIST) NULL: off */
typedef struct {
    const char    *table[NGX_CEREBRO_AT_NTABLES];
    const char    *field[NGX_CEREBRO_AT_NFIELDS];
} ngx_cerebro_at_names_t;


/* the store's conf's airtable: its cerebro_airtable_* directives */
struct ngx_cerebro_at_conf_s {
    ngx_cerebro_at_names_t   names;
    ngx_msec_t               pause;            /* after a 429; 0: default */
    ngx_uint_t               rate;             /* requests a second per
                                                  base; 0: default (5) */
};


/* The configured names, or the original's when nothing was configured. */
const ngx_cerebro_at_names_t *ngx_cerebro_at_names(
    ngx_cerebro_store_conf_t *scf);

/*
 * cerebro_airtable_table reservations|tables|guests|faq|calls <Name>|off;
 * cerebro_airtable_field <table role> <our field> <Airtable field>;
 * cerebro_airtable_pause <time>;
 * cerebro_airtable_rate <requests a second>;
 */
char *ngx_cerebro_at_set_table(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_cerebro_at_set_field(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_cerebro_at_set_pause(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_cerebro_at_set_rate(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* "2026-11-28T20:00:00.000Z" (or with an offset) -> UTC seconds */
ngx_int_t ngx_cerebro_at_parse_iso(const char *s, int64_t *out);
void ngx_cerebro_at_format_iso(int64_t t, char *buf, size_t size);

/*
 * Records of a list answer -> ours.  NGX_DECLINED for a record that is
 * not one (no id, no date_time): callers skip it.
 */
ngx_int_t ngx_cerebro_at_reservation(const ngx_cerebro_at_names_t *n,
    cJSON *rec, cerebro_reservation_t *out);
ngx_int_t ngx_cerebro_at_table(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_table_rec_t *out);
ngx_int_t ngx_cerebro_at_faq(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_faq_t *out);
ngx_int_t ngx_cerebro_at_guest(const ngx_cerebro_at_names_t *n, cJSON *rec,
    cerebro_guest_t *out);

/*
 * The fields of a new booking; extras: also notes, source and call_id
 * (when not empty).  NULL on no memory.
 */
cJSON *ngx_cerebro_at_booking_fields(const ngx_cerebro_at_names_t *n,
    const cerebro_booking_req_t *req, int64_t start, const char *table,
    int extras);

/*
 * {"records":[{"id"?: id, "fields": fields}],"typecast":true}, in pool;
 * with merge_on (and no id), a PATCH body that creates the record or
 * updates the one whose merge_on field is equal, in one atomic step:
 * "performUpsert":{"fieldsToMergeOn":[merge_on]}.
 */
ngx_int_t ngx_cerebro_at_records_body(ngx_pool_t *pool, const char *id,
    const char *merge_on, cJSON *fields, ngx_str_t *out);

cJSON *ngx_cerebro_at_call_log_fields(const ngx_cerebro_at_names_t *n,
    const cerebro_call_log_t *c);

/* An entry of the waiting list; its key ("entry") phone, day and time. */
cJSON *ngx_cerebro_at_waitlist_fields(const ngx_cerebro_at_names_t *n,
    const cerebro_waitlist_t *w, char *entry, size_t size);


#endif /* _NGX_CEREBRO_AIRTABLE_H_INCLUDED_ */
