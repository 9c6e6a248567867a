
/*
 * hiredis' asynchronous API on nginx's event loop: one connection per
 * worker, opened in init_process without blocking (the host name was
 * resolved with the configuration), AUTH and SELECT first, then commands
 * pipelined on it.
 *
 * hiredis 0.14 has no timers: the connect deadline, every command's
 * deadline and the reconnect backoff are nginx timers of ours.  A command
 * belongs to this adapter, not to its caller: a caller that goes away
 * detaches from it, and the reply, whenever it comes, finds no one to call.
 */

#ifndef _NGX_CEREBRO_REDIS_H_INCLUDED_
#define _NGX_CEREBRO_REDIS_H_INCLUDED_


#include "ngx_cerebro.h"

#include <hiredis/hiredis.h>
#include <hiredis/async.h>


#define NGX_CEREBRO_REDIS_CONNECT_TIMEOUT  1000
#define NGX_CEREBRO_REDIS_BACKOFF_MIN      100
#define NGX_CEREBRO_REDIS_BACKOFF_MAX      5000
/* no reply at all this long after a command timed out: reconnect */
#define NGX_CEREBRO_REDIS_STALL            3000


typedef struct ngx_cerebro_redis_s      ngx_cerebro_redis_t;
typedef struct ngx_cerebro_redis_cmd_s  ngx_cerebro_redis_cmd_t;

/*
 * A command's outcome: reply (hiredis', valid during the call only), or
 * reply NULL and err saying why (timed out, connection lost).  Runs from
 * the event loop, never from inside ngx_cerebro_redis_send().
 */
typedef void (*ngx_cerebro_redis_handler_pt)(void *data, redisReply *reply,
    const char *err);

/* The connection went down (once per outage) or is ready again. */
typedef void (*ngx_cerebro_redis_event_pt)(ngx_cerebro_redis_t *rd,
    void *data, const char *reason);


/*
 * Parses "redis://[[user]:password@]host[:port][/db]" or "unix:/path",
 * resolves the host now, and keeps the password (the URL's, or else
 * password, i.e. REDIS_PASSWORD).  NULL after an [emerg] message.
 */
ngx_cerebro_redis_t *ngx_cerebro_redis_create(ngx_conf_t *cf,
    ngx_str_t *url, ngx_str_t *password);

/*
 * A Lua script loaded (SCRIPT LOAD) at every connect, before any command,
 * so that EVALSHA finds it even for a caller gone before a NOSCRIPT retry.
 */
ngx_int_t ngx_cerebro_redis_add_script(ngx_conf_t *cf,
    ngx_cerebro_redis_t *rd, const char *script);

void ngx_cerebro_redis_set_events(ngx_cerebro_redis_t *rd,
    ngx_cerebro_redis_event_pt down, ngx_cerebro_redis_event_pt up,
    void *data);

ngx_int_t ngx_cerebro_redis_init_process(ngx_cerebro_redis_t *rd,
    ngx_cycle_t *cycle);
void ngx_cerebro_redis_exit_process(ngx_cerebro_redis_t *rd);

/*
 * Sends a command; NULL when it cannot be sent now (down, reconnecting,
 * too slow): the caller serves itself another way.  timeout 0: none.
 */
ngx_cerebro_redis_cmd_t *ngx_cerebro_redis_send(ngx_cerebro_redis_t *rd,
    ngx_msec_t timeout, ngx_cerebro_redis_handler_pt handler, void *data,
    int argc, const char **argv, const size_t *argvlen);

/* The caller goes away: its handler will not run. */
void ngx_cerebro_redis_detach(ngx_cerebro_redis_cmd_t *cmd);

/*
 * Makes rd a subscriber (configuration time): at every connect it learns
 * its CLIENT ID, then subscribes to channel; handler gets every message's
 * payload (element 2 of the "message" reply).
 */
void ngx_cerebro_redis_set_subscriber(ngx_cerebro_redis_t *rd,
    const char *channel, ngx_cerebro_redis_handler_pt handler, void *data);

/* A subscriber's CLIENT ID while it is subscribed; 0 otherwise. */
long long ngx_cerebro_redis_client_id(ngx_cerebro_redis_t *rd);

/*
 * Reads now what the socket holds (messages already sent), without
 * waiting for the event loop; nothing when there is nothing.
 */
void ngx_cerebro_redis_drain(ngx_cerebro_redis_t *rd);

/* Whether send() would try Redis now. */
ngx_uint_t ngx_cerebro_redis_usable(ngx_cerebro_redis_t *rd);

/* "ready", "connecting" or "down"; *reason the last failure, or NULL. */
const char *ngx_cerebro_redis_status(ngx_cerebro_redis_t *rd,
    const char **reason);

/* "127.0.0.1:6379/0" or "unix:/path": for log lines, never a password. */
ngx_str_t *ngx_cerebro_redis_name(ngx_cerebro_redis_t *rd);


#endif /* _NGX_CEREBRO_REDIS_H_INCLUDED_ */
