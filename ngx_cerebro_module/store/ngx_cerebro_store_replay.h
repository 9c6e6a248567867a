
/*
 * Replay keys: the answer given to a tool call that wrote, kept by the
 * call's key for a day, so that a retry of the call (VAPI's toolCallId
 * again) gets that answer and books nothing.
 *
 * Kept in two places.  The SQLite file beside the store (the outbox's in
 * Airtable mode): a row no other write can evict, kept across restarts,
 * on this host.  And Redis, when it is configured, with SET NX and the
 * same TTL: what another host wrote.  A find asks the file first, then
 * Redis; a keep writes the file, then Redis.  With Redis down the file
 * still holds every answer this host gave; with the file unusable, the
 * kv layer (Redis, or the host's shared memory) is what is left.
 */

#ifndef _NGX_CEREBRO_STORE_REPLAY_H_INCLUDED_
#define _NGX_CEREBRO_STORE_REPLAY_H_INCLUDED_


#include "ngx_cerebro_store.h"
#include "ngx_cerebro_kv.h"


/* a retried tool call gets the first answer for this long */
#define NGX_CEREBRO_REPLAY_TTL  (24 * 60 * 60 * 1000)


typedef struct ngx_cerebro_replay_s  ngx_cerebro_replay_t;

typedef void (*ngx_cerebro_replay_done_pt)(ngx_cerebro_replay_t *rp);


struct ngx_cerebro_replay_s {
    /* the caller's */
    ngx_http_request_t          *request;
    ngx_str_t                    key;       /* NUL-terminated after len */
    ngx_str_t                    text;      /* keep: the answer */
    ngx_uint_t                   failed;    /* keep: it was an error */
    ngx_cerebro_replay_done_pt   done;
    void                        *data;

    /* the outcome */
    ngx_uint_t                   found;     /* find: text, failed set */
    const char                  *error;     /* keep: kept nowhere, why */

    /* private */
    ngx_cerebro_store_op_t       op;
    ngx_cerebro_kv_op_t          kv;
    ngx_uint_t                   kept;
};


/*
 * Either starts, and done() follows from the event loop exactly once,
 * or returns NGX_ERROR (no memory) and done() never runs.
 */
ngx_int_t ngx_cerebro_replay_find(ngx_cerebro_replay_t *rp);
ngx_int_t ngx_cerebro_replay_keep(ngx_cerebro_replay_t *rp);


#endif /* _NGX_CEREBRO_STORE_REPLAY_H_INCLUDED_ */
