
/*
 * The Airtable backend of the store: tables and fields exactly as the
 * original deployment (Reservas, Mesas, Clientes, FAQ), our extra fields
 * (notes, source, call_id) written only where the base has them, and an
 * optional call log table.  Every request goes through the subrequest
 * client, the host-wide limiter (5 requests/s per base) and a day lock for
 * bookings (Airtable has no transactions).
 *
 * The JSON mapping (ngx_cerebro_airtable_json.c) is shared here so that
 * the state machine (ngx_cerebro_airtable.c) stays about requests.
 */

#ifndef _NGX_CEREBRO_AIRTABLE_H_INCLUDED_
#define _NGX_CEREBRO_AIRTABLE_H_INCLUDED_


#include <cjson/cJSON.h>

#include "ngx_cerebro_store.h"


#define NGX_CEREBRO_AT_RESERVAS        "Reservas"
#define NGX_CEREBRO_AT_MESAS           "Mesas"
#define NGX_CEREBRO_AT_CLIENTES        "Clientes"
#define NGX_CEREBRO_AT_FAQ             "FAQ"
#define NGX_CEREBRO_AT_CALL_LOG        "Llamadas"

#define NGX_CEREBRO_AT_TYPE_LEN        64
#define NGX_CEREBRO_AT_MSG_LEN         160


/* Airtable's error body, whichever of its shapes it came in. */
typedef struct {
    char   type[NGX_CEREBRO_AT_TYPE_LEN];      /* "NOT_FOUND", ... */
    char   message[NGX_CEREBRO_AT_MSG_LEN];
} ngx_cerebro_at_error_t;


/* {"error":"X"}, {"error":{"type","message"}}, {"errors":[{"error",...}]} */
void ngx_cerebro_at_parse_error(cJSON *json, ngx_cerebro_at_error_t *err);

/* "2026-11-28T20:00:00.000Z" (or with an offset) -> UTC seconds */
ngx_int_t ngx_cerebro_at_parse_iso(const char *s, int64_t *out);
void ngx_cerebro_at_format_iso(int64_t t, char *buf, size_t size);

/*
 * Records of a list answer -> ours.  NGX_DECLINED for a record that is
 * not one (no id, no date_time): callers skip it.
 */
ngx_int_t ngx_cerebro_at_reservation(cJSON *rec, cerebro_reservation_t *out);
ngx_int_t ngx_cerebro_at_table(cJSON *rec, cerebro_table_rec_t *out);
ngx_int_t ngx_cerebro_at_faq(cJSON *rec, cerebro_faq_t *out);
ngx_int_t ngx_cerebro_at_guest(cJSON *rec, cerebro_guest_t *out);

/*
 * The fields of a new booking; extras: also notes, source and call_id
 * (when not empty).  NULL on no memory.
 */
cJSON *ngx_cerebro_at_booking_fields(const cerebro_booking_req_t *req,
    int64_t start, const char *table, int extras);

/* {"records":[{"id"?: id, "fields": fields}],"typecast":true}, in pool */
ngx_int_t ngx_cerebro_at_records_body(ngx_pool_t *pool, const char *id,
    cJSON *fields, ngx_str_t *out);

cJSON *ngx_cerebro_at_call_log_fields(const cerebro_call_log_t *c);


#endif /* _NGX_CEREBRO_AIRTABLE_H_INCLUDED_ */
