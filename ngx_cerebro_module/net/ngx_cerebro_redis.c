
/*
 * The adapter: hiredis writes and reads the socket itself, nginx tells it
 * when.  The socket becomes an ngx_connection_t of nginx's (so that epoll
 * and the connection accounting know it), but hiredis owns the descriptor
 * and closes it: our cleanup hook gives the connection back to nginx
 * without closing anything.
 *
 * With epoll the socket is registered once, edge-triggered, for reading
 * and writing.  An edge reports new data once, and hiredis reads at most
 * 16 KB per call: the read handler goes on until the socket says EAGAIN.
 * A command queued while the socket is already writable gets no new edge:
 * the write handler is posted instead.
 */

#include "ngx_cerebro_redis.h"


typedef enum {
    NGX_CEREBRO_REDIS_DOWN = 0,       /* waiting for the backoff timer */
    NGX_CEREBRO_REDIS_CONNECTING,     /* TCP connect, AUTH, SELECT, PING */
    NGX_CEREBRO_REDIS_READY,
    NGX_CEREBRO_REDIS_EXITING
} ngx_cerebro_redis_state_e;


struct ngx_cerebro_redis_s {
    /* configuration */
    ngx_str_t                    name;
    char                        *host;         /* an address: resolved */
    int                          port;
    char                        *path;         /* unix socket */
    char                        *user;
    char                        *password;
    ngx_int_t                    db;
    ngx_array_t                 *scripts;      /* of const char * */

    ngx_cerebro_redis_event_pt   on_down;
    ngx_cerebro_redis_event_pt   on_up;
    void                        *event_data;

    const char                  *channel;      /* a subscriber's */
    ngx_cerebro_redis_handler_pt on_message;
    void                        *message_data;

    /* this worker's */
    ngx_log_t                   *log;
    redisAsyncContext           *ac;
    ngx_connection_t            *conn;
    ngx_cerebro_redis_state_e    state;
    ngx_event_t                  reconnect;
    ngx_event_t                  connect_timer;
    ngx_event_t                  stall;
    ngx_msec_t                   backoff;
    ngx_uint_t                   pending;
    char                         reason[256];
    long long                    client_id;    /* a subscriber's */
    unsigned                     outage:1;     /* told on_down already */
    unsigned                     slow:1;       /* a command timed out */
    unsigned                     want_write:1;
    unsigned                     in_write:1;
    unsigned                     edge:1;       /* epoll, registered once */
};


struct ngx_cerebro_redis_cmd_s {
    ngx_cerebro_redis_t           *rd;
    ngx_cerebro_redis_handler_pt   handler;    /* NULL: detached */
    void                          *data;
    ngx_event_t                    timer;
};


static void ngx_cerebro_redis_connect(ngx_cerebro_redis_t *rd);
static void ngx_cerebro_redis_failed(ngx_cerebro_redis_t *rd,
    ngx_uint_t drop, const char *fmt, ...);
static void ngx_cerebro_redis_reconnect_handler(ngx_event_t *ev);
static void ngx_cerebro_redis_connect_timeout(ngx_event_t *ev);
static void ngx_cerebro_redis_stall_handler(ngx_event_t *ev);
static void ngx_cerebro_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void ngx_cerebro_redis_on_disconnect(const redisAsyncContext *ac,
    int status);
static void ngx_cerebro_redis_handshake(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_cerebro_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void ngx_cerebro_redis_cmd_timeout(ngx_event_t *ev);
static void ngx_cerebro_redis_read_handler(ngx_event_t *rev);
static void ngx_cerebro_redis_write_handler(ngx_event_t *wev);
static void ngx_cerebro_redis_add_read(void *privdata);
static void ngx_cerebro_redis_del_read(void *privdata);
static void ngx_cerebro_redis_add_write(void *privdata);
static void ngx_cerebro_redis_del_write(void *privdata);
static void ngx_cerebro_redis_cleanup(void *privdata);
static void ngx_cerebro_redis_ready(ngx_cerebro_redis_t *rd);
static void ngx_cerebro_redis_client_id_reply(redisAsyncContext *ac,
    void *r, void *privdata);
static void ngx_cerebro_redis_message(redisAsyncContext *ac, void *r,
    void *privdata);


ngx_cerebro_redis_t *
ngx_cerebro_redis_create(ngx_conf_t *cf, ngx_str_t *url, ngx_str_t *password)
{
    u_char               *p, *last, *at, *colon, *slash;
    u_char                text[NGX_SOCKADDR_STRLEN];
    size_t                len;
    ngx_str_t             s;
    ngx_url_t             u;
    ngx_cerebro_redis_t  *rd;

    rd = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_redis_t));
    if (rd == NULL) {
        return NULL;
    }

    p = url->data;
    last = p + url->len;

    if (url->len > 5 && ngx_strncmp(p, "unix:", 5) == 0) {
        s.data = p + 5;
        s.len = last - s.data;
        rd->path = ngx_cerebro_pstrdup0(cf->pool, &s);
        rd->name = *url;
        goto password;
    }

    if (url->len <= 8 || ngx_strncmp(p, "redis://", 8) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid REDIS_URL (\"cerebro_redis_url\")"
                           ": expected \"redis://[:password@]host[:port]"
                           "[/db]\" or \"unix:/path\"");
        return NULL;
    }

    p += 8;

    slash = ngx_strlchr(p, last, '/');
    if (slash == NULL) {
        slash = last;
    }

    at = NULL;
    for (colon = p; colon < slash; colon++) {
        if (*colon == '@') {
            at = colon;
        }
    }

    if (at) {
        /* userinfo: "user:password", ":password" or "password" */
        colon = ngx_strlchr(p, at, ':');

        if (colon) {
            if (colon > p) {
                s.data = p;
                s.len = colon - p;
                rd->user = ngx_cerebro_pstrdup0(cf->pool, &s);
            }

            s.data = colon + 1;
            s.len = at - s.data;

        } else {
            s.data = p;
            s.len = at - p;
        }

        if (s.len) {
            rd->password = ngx_cerebro_pstrdup0(cf->pool, &s);
        }

        p = at + 1;
    }

    if (slash < last && last - slash > 1) {
        rd->db = ngx_atoi(slash + 1, last - slash - 1);
        if (rd->db == NGX_ERROR) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cerebro: invalid database number in "
                               "REDIS_URL (\"cerebro_redis_url\")");
            return NULL;
        }
    }

    ngx_memzero(&u, sizeof(ngx_url_t));
    u.url.data = p;
    u.url.len = slash - p;
    u.default_port = 6379;

    /* the one place the host is resolved: never in a worker */
    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: the host of REDIS_URL "
                           "(\"cerebro_redis_url\") \"%V\": %s",
                           &u.url, u.err ? u.err : "not found");
        return NULL;
    }

    rd->port = u.port ? u.port : 6379;

    len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen, text,
                        sizeof(text), 0);
    s.data = text;
    s.len = len;

    /* "[::1]" is how nginx writes IPv6; hiredis wants the bare address */
    if (len > 2 && text[0] == '[') {
        s.data = text + 1;
        s.len = len - 2;
    }

    rd->host = ngx_cerebro_pstrdup0(cf->pool, &s);

    rd->name.data = ngx_pnalloc(cf->pool, u.url.len + NGX_INT_T_LEN + 2);
    if (rd->host == NULL || rd->name.data == NULL) {
        return NULL;
    }

    rd->name.len = ngx_sprintf(rd->name.data, "%V/%i", &u.url, rd->db)
                   - rd->name.data;

password:

    if (rd->password == NULL && password->len) {
        rd->password = ngx_cerebro_pstrdup0(cf->pool, password);
        if (rd->password == NULL) {
            return NULL;
        }
    }

    if (rd->path == NULL && rd->host == NULL) {
        return NULL;
    }

    return rd;
}


ngx_int_t
ngx_cerebro_redis_add_script(ngx_conf_t *cf, ngx_cerebro_redis_t *rd,
    const char *script)
{
    const char  **s;

    if (rd->scripts == NULL) {
        rd->scripts = ngx_array_create(cf->pool, 4, sizeof(const char *));
        if (rd->scripts == NULL) {
            return NGX_ERROR;
        }
    }

    s = ngx_array_push(rd->scripts);
    if (s == NULL) {
        return NGX_ERROR;
    }

    *s = script;

    return NGX_OK;
}


void
ngx_cerebro_redis_set_events(ngx_cerebro_redis_t *rd,
    ngx_cerebro_redis_event_pt down, ngx_cerebro_redis_event_pt up,
    void *data)
{
    rd->on_down = down;
    rd->on_up = up;
    rd->event_data = data;
}


ngx_int_t
ngx_cerebro_redis_init_process(ngx_cerebro_redis_t *rd, ngx_cycle_t *cycle)
{
    rd->log = cycle->log;
    rd->ac = NULL;
    rd->conn = NULL;
    rd->state = NGX_CEREBRO_REDIS_DOWN;
    rd->backoff = NGX_CEREBRO_REDIS_BACKOFF_MIN;
    rd->pending = 0;
    rd->outage = 0;
    rd->slow = 0;
    rd->reason[0] = '\0';

    /* none of our timers may hold a graceful shutdown or reload up */

    rd->reconnect.handler = ngx_cerebro_redis_reconnect_handler;
    rd->reconnect.data = rd;
    rd->reconnect.log = cycle->log;
    rd->reconnect.cancelable = 1;

    rd->connect_timer.handler = ngx_cerebro_redis_connect_timeout;
    rd->connect_timer.data = rd;
    rd->connect_timer.log = cycle->log;
    rd->connect_timer.cancelable = 1;

    rd->stall.handler = ngx_cerebro_redis_stall_handler;
    rd->stall.data = rd;
    rd->stall.log = cycle->log;
    rd->stall.cancelable = 1;

    ngx_cerebro_redis_connect(rd);

    return NGX_OK;
}


void
ngx_cerebro_redis_exit_process(ngx_cerebro_redis_t *rd)
{
    rd->state = NGX_CEREBRO_REDIS_EXITING;

    if (rd->reconnect.timer_set) {
        ngx_del_timer(&rd->reconnect);
    }

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->stall.timer_set) {
        ngx_del_timer(&rd->stall);
    }

    /*
     * Pending commands get their NULL reply now, and the socket is closed:
     * nginx must find no socket of ours left open when the worker exits.
     */
    if (rd->ac) {
        redisAsyncFree(rd->ac);
        rd->ac = NULL;
    }
}


static void
ngx_cerebro_redis_connect(ngx_cerebro_redis_t *rd)
{
    int                 argc;
    ngx_uint_t          i;
    const char         *argv[3], **scripts;
    u_char              db[NGX_INT_T_LEN + 1];
    ngx_connection_t   *c;
    redisAsyncContext  *ac;

    /* from here on a failure is one of this attempt, and retried */
    rd->state = NGX_CEREBRO_REDIS_CONNECTING;

    if (rd->path) {
        ac = redisAsyncConnectUnix(rd->path);

    } else {
        /* an address, so hiredis' getaddrinfo() does not block */
        ac = redisAsyncConnect(rd->host, rd->port);
    }

    if (ac == NULL) {
        ngx_cerebro_redis_failed(rd, 0, "no memory for a connection");
        return;
    }

    if (ac->err) {
        ngx_cerebro_redis_failed(rd, 0, "%s", ac->errstr);
        redisAsyncFree(ac);
        return;
    }

    c = ngx_get_connection(ac->c.fd, rd->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        ngx_cerebro_redis_failed(rd, 0, "no free connection in the worker");
        return;
    }

    c->data = rd;
    c->log = rd->log;
    c->read->handler = ngx_cerebro_redis_read_handler;
    c->write->handler = ngx_cerebro_redis_write_handler;
    c->read->log = rd->log;
    c->write->log = rd->log;

    rd->want_write = 0;
    rd->in_write = 0;
    rd->edge = 0;

    /* before the hooks: setting the connect callback already adds write */
    if (ngx_add_conn && (ngx_event_flags & NGX_USE_CLEAR_EVENT)) {
        if (ngx_add_conn(c) != NGX_OK) {
            ngx_free_connection(c);
            c->fd = (ngx_socket_t) -1;
            redisAsyncFree(ac);
            ngx_cerebro_redis_failed(rd, 0, "cannot watch the socket");
            return;
        }

        rd->edge = 1;
    }

    rd->ac = ac;
    rd->conn = c;
    rd->state = NGX_CEREBRO_REDIS_CONNECTING;
    rd->pending = 0;
    rd->slow = 0;

    ac->data = rd;
    ac->ev.data = rd;
    ac->ev.addRead = ngx_cerebro_redis_add_read;
    ac->ev.delRead = ngx_cerebro_redis_del_read;
    ac->ev.addWrite = ngx_cerebro_redis_add_write;
    ac->ev.delWrite = ngx_cerebro_redis_del_write;
    ac->ev.cleanup = ngx_cerebro_redis_cleanup;

    redisAsyncSetConnectCallback(ac, ngx_cerebro_redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, ngx_cerebro_redis_on_disconnect);

    /* the handshake goes first on the pipe; its PING says we are ready */

    if (rd->password) {
        argc = 0;
        argv[argc++] = "AUTH";
        if (rd->user) {
            argv[argc++] = rd->user;
        }
        argv[argc++] = rd->password;

        (void) redisAsyncCommandArgv(ac, ngx_cerebro_redis_handshake,
                                     "AUTH", argc, argv, NULL);
    }

    if (rd->db) {
        *ngx_sprintf(db, "%i", rd->db) = '\0';
        argv[0] = "SELECT";
        argv[1] = (char *) db;

        (void) redisAsyncCommandArgv(ac, ngx_cerebro_redis_handshake,
                                     "SELECT", 2, argv, NULL);
    }

    if (rd->scripts) {
        scripts = rd->scripts->elts;

        for (i = 0; i < rd->scripts->nelts; i++) {
            argv[0] = "SCRIPT";
            argv[1] = "LOAD";
            argv[2] = scripts[i];

            (void) redisAsyncCommandArgv(ac, ngx_cerebro_redis_handshake,
                                         "SCRIPT LOAD", 3, argv, NULL);
        }
    }

    if (rd->channel) {
        /* before SUBSCRIBE: a subscribed connection takes no other command */
        argv[0] = "CLIENT";
        argv[1] = "ID";
        (void) redisAsyncCommandArgv(ac, ngx_cerebro_redis_client_id_reply,
                                     rd, 2, argv, NULL);
    }

    argv[0] = "PING";
    (void) redisAsyncCommandArgv(ac, ngx_cerebro_redis_handshake, "PING",
                                 1, argv, NULL);

    ngx_add_timer(&rd->connect_timer, NGX_CEREBRO_REDIS_CONNECT_TIMEOUT);
}


/*
 * Every failure ends here: connect refused or timed out, AUTH refused,
 * connection lost, no reply for too long.  drop: the context is still
 * alive and ours to free (not one hiredis is already tearing down).
 */
static void
ngx_cerebro_redis_failed(ngx_cerebro_redis_t *rd, ngx_uint_t drop,
    const char *fmt, ...)
{
    va_list             args;
    redisAsyncContext  *ac;

    if (rd->state == NGX_CEREBRO_REDIS_EXITING
        || rd->state == NGX_CEREBRO_REDIS_DOWN)
    {
        return;
    }

    rd->state = NGX_CEREBRO_REDIS_DOWN;
    rd->slow = 0;
    rd->client_id = 0;

    va_start(args, fmt);
    (void) vsnprintf(rd->reason, sizeof(rd->reason), fmt, args);
    va_end(args);

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    if (rd->stall.timer_set) {
        ngx_del_timer(&rd->stall);
    }

    if (!rd->reconnect.timer_set) {
        ngx_add_timer(&rd->reconnect, rd->backoff);
        rd->backoff = ngx_min(rd->backoff * 2, NGX_CEREBRO_REDIS_BACKOFF_MAX);
    }

    if (!rd->outage) {
        rd->outage = 1;

        if (rd->on_down) {
            rd->on_down(rd, rd->event_data, rd->reason);
        }
    }

    if (drop && rd->ac) {
        ac = rd->ac;
        /* pending commands get NULL replies; freed later in a callback */
        redisAsyncFree(ac);
    }
}


static void
ngx_cerebro_redis_reconnect_handler(ngx_event_t *ev)
{
    ngx_cerebro_redis_t *rd = ev->data;

    if (rd->state != NGX_CEREBRO_REDIS_DOWN || ngx_exiting || ngx_quit) {
        return;
    }

    if (rd->ac) {
        /* still being torn down: try again a little later */
        ngx_add_timer(&rd->reconnect, NGX_CEREBRO_REDIS_BACKOFF_MIN);
        return;
    }

    ngx_log_debug0(NGX_LOG_DEBUG_EVENT, ev->log, 0,
                   "cerebro: redis reconnect");

    ngx_cerebro_redis_connect(rd);
}


static void
ngx_cerebro_redis_connect_timeout(ngx_event_t *ev)
{
    ngx_cerebro_redis_t *rd = ev->data;

    if (rd->state == NGX_CEREBRO_REDIS_CONNECTING) {
        ngx_cerebro_redis_failed(rd, 1, "no answer within %M ms of "
                                 "connecting", (ngx_msec_t)
                                 NGX_CEREBRO_REDIS_CONNECT_TIMEOUT);
    }
}


static void
ngx_cerebro_redis_stall_handler(ngx_event_t *ev)
{
    ngx_cerebro_redis_t *rd = ev->data;

    if (rd->slow) {
        ngx_cerebro_redis_failed(rd, 1, "no reply for %M ms",
                                 (ngx_msec_t) NGX_CEREBRO_REDIS_STALL);
    }
}


static void
ngx_cerebro_redis_on_connect(const redisAsyncContext *ac, int status)
{
    ngx_cerebro_redis_t *rd = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context right after this */
        ngx_cerebro_redis_failed(rd, 0, "%s", ac->errstr ? ac->errstr
                                                         : "connect failed");
    }
}


static void
ngx_cerebro_redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    ngx_cerebro_redis_t *rd = ac->data;

    if (status != REDIS_OK) {
        ngx_cerebro_redis_failed(rd, 0, "%s", ac->errstr ? ac->errstr
                                                         : "connection lost");
    }
}


static void
ngx_cerebro_redis_handshake(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply           *reply = r;
    ngx_cerebro_redis_t  *rd = ac->data;
    const char           *what = privdata;

    if (reply == NULL) {
        /* the connection is going away; its own callback says why */
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        /* a wrong password is an outage too, with its reason */
        ngx_cerebro_redis_failed(rd, 1, "%s refused: %*s", what,
                                 (int) ngx_min(reply->len, 200), reply->str);
        return;
    }

    if (ngx_strcmp(what, "PING") != 0
        || rd->state != NGX_CEREBRO_REDIS_CONNECTING)
    {
        return;
    }

    if (rd->channel) {
        /*
         * hiredis calls a subscription back for its confirmation and every
         * message: the connection is ready at the confirmation
         */
        if (redisAsyncCommand(ac, ngx_cerebro_redis_message, rd,
                              "SUBSCRIBE %s", rd->channel)
            != REDIS_OK)
        {
            ngx_cerebro_redis_failed(rd, 1, "SUBSCRIBE not sent");
        }

        return;
    }

    ngx_cerebro_redis_ready(rd);
}


static void
ngx_cerebro_redis_ready(ngx_cerebro_redis_t *rd)
{
    rd->state = NGX_CEREBRO_REDIS_READY;
    rd->backoff = NGX_CEREBRO_REDIS_BACKOFF_MIN;

    if (rd->connect_timer.timer_set) {
        ngx_del_timer(&rd->connect_timer);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_EVENT, rd->log, 0,
                   "cerebro: redis %V ready", &rd->name);

    if (rd->outage) {
        rd->outage = 0;
        rd->reason[0] = '\0';
    }

    if (rd->on_up) {
        rd->on_up(rd, rd->event_data, NULL);
    }
}


static void
ngx_cerebro_redis_client_id_reply(redisAsyncContext *ac, void *r,
    void *privdata)
{
    redisReply           *reply = r;
    ngx_cerebro_redis_t  *rd = privdata;

    if (reply == NULL) {
        return;
    }

    if (reply->type != REDIS_REPLY_INTEGER) {
        ngx_cerebro_redis_failed(rd, 1, "CLIENT ID refused");
        return;
    }

    rd->client_id = reply->integer;
}


/* A subscription's confirmation, then its messages, then NULL at the end. */
static void
ngx_cerebro_redis_message(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply           *reply = r;
    ngx_cerebro_redis_t  *rd = privdata;

    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    if (ngx_strcmp(reply->element[0]->str, "subscribe") == 0) {
        if (rd->state == NGX_CEREBRO_REDIS_CONNECTING && rd->client_id) {
            ngx_cerebro_redis_ready(rd);
        }

        return;
    }

    if (ngx_strcmp(reply->element[0]->str, "message") == 0
        && rd->state == NGX_CEREBRO_REDIS_READY && rd->on_message)
    {
        rd->on_message(rd->message_data, reply->element[2], NULL);
    }
}


void
ngx_cerebro_redis_set_subscriber(ngx_cerebro_redis_t *rd,
    const char *channel, ngx_cerebro_redis_handler_pt handler, void *data)
{
    rd->channel = channel;
    rd->on_message = handler;
    rd->message_data = data;
}


long long
ngx_cerebro_redis_client_id(ngx_cerebro_redis_t *rd)
{
    /* a subscriber is ready once subscribed */
    if (rd == NULL || rd->channel == NULL
        || rd->state != NGX_CEREBRO_REDIS_READY)
    {
        return 0;
    }

    return rd->client_id;
}


void
ngx_cerebro_redis_drain(ngx_cerebro_redis_t *rd)
{
    char  b;

    if (rd == NULL || rd->ac == NULL || rd->conn == NULL
        || rd->state != NGX_CEREBRO_REDIS_READY)
    {
        return;
    }

    /* one syscall when there is nothing, which is nearly always */
    if (recv(rd->conn->fd, &b, 1, MSG_PEEK|MSG_DONTWAIT) == -1
        && ngx_socket_errno == NGX_EAGAIN)
    {
        return;
    }

    ngx_cerebro_redis_read_handler(rd->conn->read);
}


ngx_cerebro_redis_cmd_t *
ngx_cerebro_redis_send(ngx_cerebro_redis_t *rd, ngx_msec_t timeout,
    ngx_cerebro_redis_handler_pt handler, void *data, int argc,
    const char **argv, const size_t *argvlen)
{
    ngx_cerebro_redis_cmd_t  *cmd;

    if (!ngx_cerebro_redis_usable(rd)) {
        return NULL;
    }

    cmd = ngx_alloc(sizeof(ngx_cerebro_redis_cmd_t), rd->log);
    if (cmd == NULL) {
        return NULL;
    }

    ngx_memzero(cmd, sizeof(ngx_cerebro_redis_cmd_t));

    cmd->rd = rd;
    cmd->handler = handler;
    cmd->data = data;
    cmd->timer.handler = ngx_cerebro_redis_cmd_timeout;
    cmd->timer.data = cmd;
    cmd->timer.log = rd->log;

    /*
     * A command somebody waits for (a request, most often) holds a graceful
     * shutdown until it is answered or times out; one sent and forgotten
     * does not.
     */
    cmd->timer.cancelable = (handler == NULL);

    if (redisAsyncCommandArgv(rd->ac, ngx_cerebro_redis_reply, cmd, argc,
                              argv, argvlen)
        != REDIS_OK)
    {
        ngx_free(cmd);
        return NULL;
    }

    rd->pending++;

    if (timeout) {
        ngx_add_timer(&cmd->timer, timeout);
    }

    return cmd;
}


void
ngx_cerebro_redis_detach(ngx_cerebro_redis_cmd_t *cmd)
{
    cmd->handler = NULL;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }
}


/* hiredis calls every command back once: a reply, or NULL when it dies */
static void
ngx_cerebro_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    redisReply               *reply = r;
    ngx_cerebro_redis_cmd_t  *cmd = privdata;

    ngx_cerebro_redis_t           *rd;
    ngx_cerebro_redis_handler_pt   handler;

    rd = cmd->rd;

    if (rd->pending) {
        rd->pending--;
    }

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    if (reply && rd->slow) {
        /* it answers again: the slowness is over */
        rd->slow = 0;

        if (rd->stall.timer_set) {
            ngx_del_timer(&rd->stall);
        }

        if (rd->outage && rd->state == NGX_CEREBRO_REDIS_READY) {
            rd->outage = 0;
            rd->reason[0] = '\0';

            if (rd->on_up) {
                rd->on_up(rd, rd->event_data, NULL);
            }
        }
    }

    handler = cmd->handler;

    if (handler) {
        handler(cmd->data, reply,
                reply ? NULL : (rd->reason[0] ? rd->reason
                                              : "connection closed"));
    }

    ngx_free(cmd);
}


/*
 * The caller gives up on this command and serves itself elsewhere.  One
 * late command means a slow or stuck Redis: until it answers again, new
 * commands go elsewhere at once instead of each waiting its deadline; and
 * if it never answers, the connection is dropped and made again.
 */
static void
ngx_cerebro_redis_cmd_timeout(ngx_event_t *ev)
{
    ngx_cerebro_redis_cmd_t  *cmd = ev->data;

    ngx_cerebro_redis_t           *rd;
    ngx_cerebro_redis_handler_pt   handler;

    rd = cmd->rd;
    handler = cmd->handler;
    cmd->handler = NULL;

    if (!rd->slow && rd->state == NGX_CEREBRO_REDIS_READY) {
        rd->slow = 1;
        ngx_add_timer(&rd->stall, NGX_CEREBRO_REDIS_STALL);

        (void) ngx_cpystrn((u_char *) rd->reason,
                           (u_char *) "a command got no reply within its "
                           "deadline (Redis slow or stuck)",
                           sizeof(rd->reason));

        if (!rd->outage) {
            rd->outage = 1;

            if (rd->on_down) {
                rd->on_down(rd, rd->event_data, rd->reason);
            }
        }
    }

    if (handler) {
        handler(cmd->data, NULL, "timed out");
    }
}


ngx_uint_t
ngx_cerebro_redis_usable(ngx_cerebro_redis_t *rd)
{
    if (rd == NULL || rd->ac == NULL || rd->slow) {
        return 0;
    }

    switch (rd->state) {

    case NGX_CEREBRO_REDIS_READY:
        return 1;

    case NGX_CEREBRO_REDIS_CONNECTING:
        /*
         * At start, commands queue behind the handshake; during an outage
         * they wait for it to succeed instead of each failing on its own.
         */
        return !rd->outage;

    default:
        return 0;
    }
}


const char *
ngx_cerebro_redis_status(ngx_cerebro_redis_t *rd, const char **reason)
{
    *reason = (rd->outage && rd->reason[0]) ? rd->reason : NULL;

    if (rd->outage || rd->slow) {
        return "down";
    }

    switch (rd->state) {

    case NGX_CEREBRO_REDIS_READY:
        return "ready";

    case NGX_CEREBRO_REDIS_CONNECTING:
        return "connecting";

    default:
        return "down";
    }
}


ngx_str_t *
ngx_cerebro_redis_name(ngx_cerebro_redis_t *rd)
{
    return &rd->name;
}


static void
ngx_cerebro_redis_read_handler(ngx_event_t *rev)
{
    char                  b;
    ssize_t               n;
    ngx_uint_t            i;
    ngx_err_t             err;
    ngx_connection_t     *c;
    redisAsyncContext    *ac;
    ngx_cerebro_redis_t  *rd;

    c = rev->data;
    rd = c->data;

    for (i = 0; i < 64; i++) {

        ac = rd->ac;
        if (ac == NULL) {
            return;
        }

        redisAsyncHandleRead(ac);

        if (rd->ac != ac) {
            /* the context and our connection are gone */
            return;
        }

        /* edge-triggered: only EAGAIN says that the socket is drained */
        n = recv(c->fd, &b, 1, MSG_PEEK|MSG_DONTWAIT);

        if (n == -1) {
            err = ngx_socket_errno;

            if (err == NGX_EAGAIN) {
                return;
            }

            if (err == NGX_EINTR) {
                continue;
            }
        }

        /* data, end of file or an error: hiredis reads it next */
    }

    /* a huge reply: let other events run, then go on */
    ngx_post_event(rev, &ngx_posted_events);
}


static void
ngx_cerebro_redis_write_handler(ngx_event_t *wev)
{
    ngx_connection_t     *c;
    redisAsyncContext    *ac;
    ngx_cerebro_redis_t  *rd;

    c = wev->data;
    rd = c->data;
    ac = rd->ac;

    if (ac == NULL || !rd->want_write) {
        return;
    }

    rd->in_write = 1;

    redisAsyncHandleWrite(ac);

    if (rd->ac == ac) {
        rd->in_write = 0;
    }
}


static void
ngx_cerebro_redis_add_read(void *privdata)
{
    ngx_cerebro_redis_t *rd = privdata;

    ngx_event_t  *rev;

    if (rd->conn == NULL || rd->edge) {
        return;
    }

    rev = rd->conn->read;

    if (!rev->active) {
        (void) ngx_add_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT);
    }
}


static void
ngx_cerebro_redis_del_read(void *privdata)
{
    ngx_cerebro_redis_t *rd = privdata;

    ngx_event_t  *rev;

    if (rd->conn == NULL || rd->edge) {
        return;
    }

    rev = rd->conn->read;

    if (rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }
}


static void
ngx_cerebro_redis_add_write(void *privdata)
{
    ngx_cerebro_redis_t *rd = privdata;

    ngx_event_t  *wev;

    if (rd->conn == NULL) {
        return;
    }

    rd->want_write = 1;
    wev = rd->conn->write;

    if (!rd->edge) {
        if (!wev->active) {
            (void) ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT);
        }

        return;
    }

    /*
     * Called from our write handler, the socket just said EAGAIN and an
     * edge will come.  Otherwise it may have been writable for long, with
     * no edge to come: write from the event loop's next turn.
     */
    if (!rd->in_write && rd->ac && (rd->ac->c.flags & REDIS_CONNECTED)) {
        ngx_post_event(wev, &ngx_posted_events);
    }
}


static void
ngx_cerebro_redis_del_write(void *privdata)
{
    ngx_cerebro_redis_t *rd = privdata;

    ngx_event_t  *wev;

    rd->want_write = 0;

    if (rd->conn == NULL || rd->edge) {
        return;
    }

    wev = rd->conn->write;

    if (wev->active) {
        (void) ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


/* hiredis is about to close the socket: give the connection back */
static void
ngx_cerebro_redis_cleanup(void *privdata)
{
    ngx_cerebro_redis_t *rd = privdata;

    ngx_connection_t  *c;

    c = rd->conn;

    rd->ac = NULL;
    rd->conn = NULL;
    rd->want_write = 0;
    rd->in_write = 0;
    rd->pending = 0;

    if (c == NULL) {
        return;
    }

    if (c->read->posted) {
        ngx_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        ngx_delete_posted_event(c->write);
    }

    if (c->read->timer_set) {
        ngx_del_timer(c->read);
    }

    if (c->write->timer_set) {
        ngx_del_timer(c->write);
    }

    /* the descriptor is closed right after: epoll forgets it then */
    if (ngx_del_conn) {
        (void) ngx_del_conn(c, NGX_CLOSE_EVENT);

    } else {
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, NGX_CLOSE_EVENT);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, NGX_CLOSE_EVENT);
        }
    }

    c->read->closed = 1;
    c->write->closed = 1;

    ngx_free_connection(c);

    c->fd = (ngx_socket_t) -1;
}
