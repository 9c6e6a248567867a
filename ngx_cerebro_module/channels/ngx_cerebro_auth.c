
/*
 * The staff's login.  A location under "cerebro_staff_auth on" answers only
 * a request that carries
 *
 *   - the session cookie of a login (HMAC-signed, with its expiry), and for
 *     a change also the session's CSRF token (X-CSRF-Token), an Origin or
 *     Sec-Fetch-Site of this very site and a JSON body; or
 *   - the staff API token (Authorization: Bearer, CEREBRO_STAFF_TOKEN), for
 *     scripts, which no browser sends by itself;
 *
 * whatever address it comes from: behind a proxy on the same host every
 * request comes from loopback.  Accounts are "cerebro_staff_user NAME
 * HASH" (scrypt, printed by "cerebro staff-hash") or CEREBRO_STAFF_PASSWORD
 * for one account named CEREBRO_STAFF_USER (default "staff").
 *
 * A login costs one scrypt (about 16 MB and some tens of milliseconds of
 * the worker's CPU, no I/O): failures are limited per client address in a
 * shared zone, so that guessing costs the guesser, not the restaurant.
 *
 *   POST   /cerebro/login     {"user": ..., "password": ...}: the cookie
 *   GET    /cerebro/session   who is logged in, and the CSRF token
 *   DELETE /cerebro/session   log out
 */

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ngx_cerebro_http.h"
#include "ngx_cerebro_auth.h"
#include "ngx_cerebro_staff.h"
#include "ngx_cerebro_redact.h"
#include "ngx_cerebro_alerts.h"
#include "ngx_cerebro_net.h"
#include "ngx_cerebro_channels.h"
#include "ngx_cerebro_links.h"
#include "ngx_cerebro_messaging.h"


#define NGX_CEREBRO_SESSION_COOKIE    "cerebro_session"
#define NGX_CEREBRO_KEY_LEN           32
#define NGX_CEREBRO_NONCE_LEN         16
#define NGX_CEREBRO_CSRF_LEN          32          /* hex characters */
#define NGX_CEREBRO_USER_LEN          64
#define NGX_CEREBRO_DK_MAX            64
#define NGX_CEREBRO_SALT_MAX          64
#define NGX_CEREBRO_SCRYPT_LN         14          /* N = 16384, r = 8: 16 MB */
#define NGX_CEREBRO_SCRYPT_MAX_MEM    (256 * 1024 * 1024)
#define NGX_CEREBRO_LOGIN_SLOTS       1024
#define NGX_CEREBRO_LOGIN_FAILURES    10
#define NGX_CEREBRO_LOGIN_WINDOW      300         /* seconds */
#define NGX_CEREBRO_JOBS_TOKEN_LEN    16


typedef struct {
    ngx_str_t                  name;
    uint64_t                   n;
    uint32_t                   r;
    uint32_t                   p;
    size_t                     salt_len;
    size_t                     dk_len;
    u_char                     salt[NGX_CEREBRO_SALT_MAX];
    u_char                     dk[NGX_CEREBRO_DK_MAX];
} ngx_cerebro_staff_user_t;


typedef struct {
    uint32_t                   key;
    uint32_t                   failures;
    time_t                     start;
} ngx_cerebro_login_slot_t;


typedef struct {
    ngx_cerebro_login_slot_t   slots[NGX_CEREBRO_LOGIN_SLOTS];
} ngx_cerebro_login_shm_t;


typedef struct {
    ngx_array_t                users;        /* ngx_cerebro_staff_user_t */
    ngx_flag_t                 has_token;
    u_char                     token_digest[SHA256_DIGEST_LENGTH];
    ngx_str_t                  token;        /* only for the redaction */
    ngx_str_t                  env_password; /* likewise */
    u_char                     key[NGX_CEREBRO_KEY_LEN];
    time_t                     session_timeout;
    ngx_flag_t                 secure;
    ngx_str_t                  jobs_line;
    ngx_str_t                  jobs_token;
    ngx_shm_zone_t            *zone;
    ngx_cerebro_staff_user_t  *dummy;        /* for unknown names */
} ngx_cerebro_auth_main_conf_t;


typedef struct {
    ngx_flag_t                 staff;
} ngx_cerebro_auth_loc_conf_t;


typedef struct {
    char                       user[NGX_CEREBRO_USER_LEN];
    time_t                     expires;
    u_char                     nonce[NGX_CEREBRO_NONCE_LEN * 2];
} ngx_cerebro_session_t;


static ngx_int_t ngx_cerebro_auth_postconfiguration(ngx_conf_t *cf);
static void *ngx_cerebro_auth_create_main_conf(ngx_conf_t *cf);
static char *ngx_cerebro_auth_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_cerebro_auth_create_loc_conf(ngx_conf_t *cf);
static char *ngx_cerebro_auth_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_cerebro_auth_init_module(ngx_cycle_t *cycle);
static char *ngx_cerebro_staff_user(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_cerebro_staff_login(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_cerebro_staff_session(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_cerebro_auth_parse_hash(ngx_str_t *hash,
    ngx_cerebro_staff_user_t *u);
static ngx_int_t ngx_cerebro_auth_hash_password(ngx_conf_t *cf,
    ngx_str_t *password, ngx_cerebro_staff_user_t *u);
static ngx_int_t ngx_cerebro_auth_key(ngx_cycle_t *cycle,
    ngx_cerebro_auth_main_conf_t *amcf, ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_auth_redaction(ngx_cycle_t *cycle,
    ngx_cerebro_auth_main_conf_t *amcf, ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_auth_login_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t ngx_cerebro_auth_access(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_auth_token(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_auth_session(ngx_http_request_t *r,
    ngx_cerebro_session_t *s);
static ngx_int_t ngx_cerebro_auth_csrf_check(ngx_http_request_t *r,
    ngx_cerebro_session_t *s);
static void ngx_cerebro_auth_csrf(ngx_http_request_t *r,
    ngx_cerebro_session_t *s, u_char *out);
static void ngx_cerebro_auth_mac(ngx_http_request_t *r, u_char *data,
    size_t len, u_char *hex);
static ngx_int_t ngx_cerebro_auth_cookie_mac(ngx_http_request_t *r,
    u_char *data, size_t len, size_t user_len, u_char *hex);
static ngx_int_t ngx_cerebro_login_handler(ngx_http_request_t *r);
static void ngx_cerebro_login_body(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_login_verify(ngx_http_request_t *r,
    const char *user, const char *password);
static ngx_cerebro_login_slot_t *ngx_cerebro_login_slot(
    ngx_http_request_t *r, ngx_cerebro_login_shm_t **shm);
static ngx_int_t ngx_cerebro_login_allowed(ngx_http_request_t *r);
static void ngx_cerebro_login_count(ngx_http_request_t *r, ngx_flag_t ok);
static ngx_int_t ngx_cerebro_session_handler(ngx_http_request_t *r);
static ngx_int_t ngx_cerebro_session_answer(ngx_http_request_t *r,
    ngx_cerebro_session_t *s, ngx_flag_t set_cookie);
static ngx_int_t ngx_cerebro_auth_set_cookie(ngx_http_request_t *r,
    ngx_cerebro_session_t *s);
static ngx_int_t ngx_cerebro_auth_is_json(ngx_http_request_t *r);


static ngx_command_t  ngx_cerebro_auth_commands[] = {

    { ngx_string("cerebro_staff_user"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE2,
      ngx_cerebro_staff_user,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("cerebro_staff_session_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_auth_main_conf_t, session_timeout),
      NULL },

    { ngx_string("cerebro_staff_auth"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_cerebro_auth_loc_conf_t, staff),
      NULL },

    { ngx_string("cerebro_staff_login"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_staff_login,
      0,
      0,
      NULL },

    { ngx_string("cerebro_staff_restaurant"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_staff_restaurant,
      0,
      0,
      NULL },

    { ngx_string("cerebro_staff_calls"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_staff_calls,
      0,
      0,
      NULL },

    { ngx_string("cerebro_staff_waitlist"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_staff_waitlist,
      0,
      0,
      NULL },

    { ngx_string("cerebro_staff_session"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_staff_session,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_auth_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_cerebro_auth_postconfiguration,    /* postconfiguration */

    ngx_cerebro_auth_create_main_conf,     /* create main configuration */
    ngx_cerebro_auth_init_main_conf,       /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_cerebro_auth_create_loc_conf,      /* create location configuration */
    ngx_cerebro_auth_merge_loc_conf        /* merge location configuration */
};


ngx_module_t  ngx_cerebro_auth_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_auth_module_ctx,          /* module context */
    ngx_cerebro_auth_commands,             /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_cerebro_auth_init_module,          /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_cerebro_login_zone_name = ngx_string("cerebro_login");


/* ---- configuration ----------------------------------------------------- */


static void *
ngx_cerebro_auth_create_main_conf(ngx_conf_t *cf)
{
    ngx_cerebro_auth_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_auth_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&amcf->users, cf->pool, 2,
                       sizeof(ngx_cerebro_staff_user_t))
        != NGX_OK)
    {
        return NULL;
    }

    amcf->session_timeout = NGX_CONF_UNSET;

    return amcf;
}


static char *
ngx_cerebro_auth_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cerebro_auth_main_conf_t *amcf = conf;

    u_char                     *p;
    char                       *env;
    ngx_str_t                   password, name;
    ngx_cerebro_staff_user_t   *u;
    ngx_cerebro_main_conf_t    *mcf;

    static ngx_str_t  dummy = ngx_string("no such account");

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_cerebro_module);

    ngx_conf_init_value(amcf->session_timeout, 12 * 60 * 60);

    amcf->secure = mcf->public_url.len > sizeof("https://") - 1
                   && ngx_strncasecmp(mcf->public_url.data,
                                      (u_char *) "https://",
                                      sizeof("https://") - 1) == 0;

    env = getenv("CEREBRO_STAFF_PASSWORD");

    if (env && *env) {
        password.data = (u_char *) env;
        password.len = ngx_strlen(env);

        amcf->env_password.data = ngx_pstrdup(cf->pool, &password);
        amcf->env_password.len = password.len;

        env = getenv("CEREBRO_STAFF_USER");
        name.data = (u_char *) ((env && *env) ? env : "staff");
        name.len = ngx_strlen(name.data);

        for (p = name.data; p < name.data + name.len; p++) {
            if (*p == '.' || *p == ';' || *p <= ' ' || *p >= 0x7f) {
                return "CEREBRO_STAFF_USER takes letters, digits, "
                       "\"_\" and \"-\"";
            }
        }

        if (name.len >= NGX_CEREBRO_USER_LEN) {
            return "CEREBRO_STAFF_USER is too long";
        }

        u = ngx_array_push(&amcf->users);
        if (u == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(u, sizeof(ngx_cerebro_staff_user_t));

        u->name.data = ngx_pstrdup(cf->pool, &name);
        u->name.len = name.len;

        if (u->name.data == NULL || amcf->env_password.data == NULL
            || ngx_cerebro_auth_hash_password(cf, &password, u) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    amcf->dummy = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_staff_user_t));
    if (amcf->dummy == NULL
        || ngx_cerebro_auth_hash_password(cf, &dummy, amcf->dummy) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    env = getenv("CEREBRO_STAFF_TOKEN");

    if (env && *env) {
        if (ngx_strlen(env) < 16) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cerebro: CEREBRO_STAFF_TOKEN is too short: "
                               "give at least 16 characters");
            return NGX_CONF_ERROR;
        }

        SHA256((u_char *) env, ngx_strlen(env), amcf->token_digest);
        amcf->has_token = 1;
        amcf->token.len = ngx_strlen(env);
        amcf->token.data = ngx_pnalloc(cf->pool, amcf->token.len);
        if (amcf->token.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(amcf->token.data, env, amcf->token.len);
    }

    /* filled once the session key is known (init_module) */
    amcf->jobs_token.len = 2 * NGX_CEREBRO_JOBS_TOKEN_LEN;
    amcf->jobs_line.len = sizeof(NGX_CEREBRO_JOBS_HEADER ": ") - 1
                          + amcf->jobs_token.len + 2;
    amcf->jobs_line.data = ngx_pnalloc(cf->pool, amcf->jobs_line.len);
    if (amcf->jobs_line.data == NULL) {
        return NGX_CONF_ERROR;
    }

    p = ngx_cpymem(amcf->jobs_line.data, NGX_CEREBRO_JOBS_HEADER ": ",
                   sizeof(NGX_CEREBRO_JOBS_HEADER ": ") - 1);
    amcf->jobs_token.data = p;
    p += amcf->jobs_token.len;
    *p++ = CR;
    *p = LF;

    amcf->zone = ngx_shared_memory_add(cf, &ngx_cerebro_login_zone_name,
                                       sizeof(ngx_cerebro_login_shm_t)
                                       + 8 * ngx_pagesize,
                                       &ngx_cerebro_auth_module);
    if (amcf->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    amcf->zone->init = ngx_cerebro_auth_login_zone;

    return NGX_CONF_OK;
}


static void *
ngx_cerebro_auth_create_loc_conf(ngx_conf_t *cf)
{
    ngx_cerebro_auth_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_auth_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->staff = NGX_CONF_UNSET;

    return alcf;
}


static char *
ngx_cerebro_auth_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_cerebro_auth_loc_conf_t *prev = parent;
    ngx_cerebro_auth_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->staff, prev->staff, 0);

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_cerebro_auth_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_cerebro_auth_access;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_auth_init_module(ngx_cycle_t *cycle)
{
    unsigned int                   n;
    u_char                         md[EVP_MAX_MD_SIZE];
    ngx_cerebro_main_conf_t       *mcf;
    ngx_cerebro_auth_main_conf_t  *amcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_module);
    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_cerebro_auth_module);

    if (mcf == NULL || amcf == NULL) {
        return NGX_OK;
    }

    if (ngx_cerebro_auth_key(cycle, amcf, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    /*
     * The jobs token follows from the key: the same for every worker, old
     * or new, whichever of them a poke reaches during a reload, and known
     * to no one who has not the key.
     */
    if (HMAC(EVP_sha256(), amcf->key, NGX_CEREBRO_KEY_LEN,
             (u_char *) "jobs", 4, md, &n)
        == NULL)
    {
        return NGX_ERROR;
    }

    ngx_hex_dump(amcf->jobs_token.data, md, NGX_CEREBRO_JOBS_TOKEN_LEN);

    if (ngx_cerebro_auth_redaction(cycle, amcf, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    if (amcf->users.nelts == 0 && !amcf->has_token) {
        ngx_cerebro_log(NGX_LOG_NOTICE, cycle->log, 0,
                        "no staff account: /cerebro/ answers 401 to "
                        "everyone until CEREBRO_STAFF_PASSWORD, "
                        "cerebro_staff_user or CEREBRO_STAFF_TOKEN is set");
    }

    return NGX_OK;
}


static char *
ngx_cerebro_staff_user(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_auth_main_conf_t *amcf = conf;

    u_char                    *p;
    ngx_str_t                 *value;
    ngx_uint_t                 i;
    ngx_cerebro_staff_user_t  *u;

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len >= NGX_CEREBRO_USER_LEN) {
        return "takes a name of 1 to 63 characters";
    }

    for (p = value[1].data; p < value[1].data + value[1].len; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        {
            return "takes a name of letters, digits, \"_\" and \"-\"";
        }
    }

    u = amcf->users.elts;
    for (i = 0; i < amcf->users.nelts; i++) {
        if (u[i].name.len == value[1].len
            && ngx_strncmp(u[i].name.data, value[1].data, value[1].len) == 0)
        {
            return "names an account twice";
        }
    }

    u = ngx_array_push(&amcf->users);
    if (u == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(u, sizeof(ngx_cerebro_staff_user_t));
    u->name = value[1];

    if (ngx_cerebro_auth_parse_hash(&value[2], u) != NGX_OK) {
        return "takes a hash printed by \"cerebro staff-hash\" "
               "(scrypt$LN$R$P$SALT$HASH)";
    }

    return NGX_CONF_OK;
}


static char *
ngx_cerebro_staff_login(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "staff_login",
                                    ngx_cerebro_login_handler);
}


static char *
ngx_cerebro_staff_session(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    return ngx_cerebro_set_endpoint(cf, "staff_session",
                                    ngx_cerebro_session_handler);
}


/* scrypt$LN$R$P$base64(salt)$base64(hash) */
static ngx_int_t
ngx_cerebro_auth_parse_hash(ngx_str_t *hash, ngx_cerebro_staff_user_t *u)
{
    u_char     *p, *last, *field[6];
    size_t      flen[6];
    ngx_int_t   ln, n;
    ngx_str_t   src, dst;
    ngx_uint_t  i;

    p = hash->data;
    last = hash->data + hash->len;

    for (i = 0; i < 6; i++) {
        field[i] = p;

        while (p < last && *p != '$') {
            p++;
        }

        flen[i] = p - field[i];

        if (i < 5) {
            if (p == last) {
                return NGX_ERROR;
            }

            p++;
        }
    }

    if (p != last || flen[0] != 6 || ngx_strncmp(field[0], "scrypt", 6) != 0)
    {
        return NGX_ERROR;
    }

    ln = ngx_atoi(field[1], flen[1]);
    n = ngx_atoi(field[2], flen[2]);

    if (ln < 10 || ln > 20 || n < 1 || n > 32) {
        return NGX_ERROR;
    }

    u->n = (uint64_t) 1 << ln;
    u->r = (uint32_t) n;

    n = ngx_atoi(field[3], flen[3]);
    if (n < 1 || n > 4
        || 128 * u->r * u->n * (uint64_t) n > NGX_CEREBRO_SCRYPT_MAX_MEM / 2)
    {
        return NGX_ERROR;
    }

    u->p = (uint32_t) n;

    src.data = field[4];
    src.len = flen[4];
    if (ngx_base64_decoded_length(src.len) > NGX_CEREBRO_SALT_MAX) {
        return NGX_ERROR;
    }

    dst.data = u->salt;
    if (ngx_decode_base64(&dst, &src) != NGX_OK || dst.len < 8) {
        return NGX_ERROR;
    }

    u->salt_len = dst.len;

    src.data = field[5];
    src.len = flen[5];
    if (ngx_base64_decoded_length(src.len) > NGX_CEREBRO_DK_MAX) {
        return NGX_ERROR;
    }

    dst.data = u->dk;
    if (ngx_decode_base64(&dst, &src) != NGX_OK || dst.len < 16) {
        return NGX_ERROR;
    }

    u->dk_len = dst.len;

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_auth_hash_password(ngx_conf_t *cf, ngx_str_t *password,
    ngx_cerebro_staff_user_t *u)
{
    u->n = (uint64_t) 1 << NGX_CEREBRO_SCRYPT_LN;
    u->r = 8;
    u->p = 1;
    u->salt_len = 16;
    u->dk_len = 32;

    if (RAND_bytes(u->salt, u->salt_len) != 1
        || EVP_PBE_scrypt((char *) password->data, password->len,
                          u->salt, u->salt_len, u->n, u->r, u->p,
                          NGX_CEREBRO_SCRYPT_MAX_MEM, u->dk, u->dk_len)
           != 1)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: cannot hash the staff password");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The key that signs sessions: CEREBRO_SESSION_KEY (shared by every host
 * behind one name), else a random one kept in the data directory, so that
 * a reload or a restart does not log everyone out.
 */
static ngx_int_t
ngx_cerebro_auth_key(ngx_cycle_t *cycle, ngx_cerebro_auth_main_conf_t *amcf,
    ngx_cerebro_main_conf_t *mcf)
{
    char       *env;
    ssize_t     n;
    ngx_fd_t    fd;
    u_char     *path;

    env = getenv("CEREBRO_SESSION_KEY");

    if (env && *env) {
        if (ngx_strlen(env) < 32) {
            ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, 0,
                            "CEREBRO_SESSION_KEY is too short: give at "
                            "least 32 characters");
            return NGX_ERROR;
        }

        SHA256((u_char *) env, ngx_strlen(env), amcf->key);
        return NGX_OK;
    }

    path = ngx_pnalloc(cycle->pool, mcf->data_dir.len
                                    + sizeof("/session.key"));
    if (path == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(path, "%V/session.key%Z", &mcf->data_dir);

    fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd != NGX_INVALID_FILE) {
        n = ngx_read_fd(fd, amcf->key, NGX_CEREBRO_KEY_LEN);
        ngx_close_file(fd);

        if (n == NGX_CEREBRO_KEY_LEN) {
            return NGX_OK;
        }

        ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, 0,
                        "the session key \"%s\" is not %d bytes: remove it "
                        "to have a new one made", path, NGX_CEREBRO_KEY_LEN);
        return NGX_ERROR;
    }

    if (RAND_bytes(amcf->key, NGX_CEREBRO_KEY_LEN) != 1) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(path, NGX_FILE_WRONLY, NGX_FILE_CREATE_OR_OPEN
                       | O_EXCL, 0600);

    if (fd == NGX_INVALID_FILE
        || ngx_write_fd(fd, amcf->key, NGX_CEREBRO_KEY_LEN)
           != NGX_CEREBRO_KEY_LEN)
    {
        ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, ngx_errno,
                        "cannot write the session key \"%s\"", path);
        if (fd != NGX_INVALID_FILE) {
            ngx_close_file(fd);
        }

        return NGX_ERROR;
    }

    ngx_close_file(fd);

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_auth_redaction(ngx_cycle_t *cycle,
    ngx_cerebro_auth_main_conf_t *amcf, ngx_cerebro_main_conf_t *mcf)
{
    ngx_str_t                     *s, *secret;
    ngx_uint_t                     i;
    ngx_array_t                   *secrets, *names;
    ngx_cerebro_net_conf_t        *ncf;
    ngx_cerebro_channels_conf_t   *ccf;
    ngx_cerebro_messaging_conf_t  *mscf;

    static ngx_str_t  header_names[] = {
        ngx_string("X-Vapi-Secret: "),
        ngx_string("Authorization: "),
        ngx_string("Proxy-Authorization: "),
        ngx_string("X-CSRF-Token: "),
        ngx_string(NGX_CEREBRO_JOBS_HEADER ": "),
        ngx_string(NGX_CEREBRO_SESSION_COOKIE "="),
        /* a guest's booking link is a credential too */
        ngx_string(NGX_CEREBRO_LINK_PATH),
        ngx_null_string
    };

    ncf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_net_module);
    ccf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_channels_module);
    mscf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_cerebro_messaging_module);

    secrets = ngx_array_create(cycle->pool, 16, sizeof(ngx_str_t));
    names = ngx_array_create(cycle->pool, 8, sizeof(ngx_str_t));
    if (secrets == NULL || names == NULL) {
        return NGX_ERROR;
    }

    for (s = header_names; s->len; s++) {
        secret = ngx_array_push(names);
        if (secret == NULL) {
            return NGX_ERROR;
        }

        *secret = *s;
    }

    if (ccf->vapi_bearer_header.len) {
        secret = ngx_array_push(names);
        if (secret == NULL) {
            return NGX_ERROR;
        }

        secret->len = ccf->vapi_bearer_header.len + 2;
        secret->data = ngx_pnalloc(cycle->pool, secret->len);
        if (secret->data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(secret->data, "%V: ", &ccf->vapi_bearer_header);
    }

    {
        ngx_str_t  *values[] = {
            &mcf->vapi_secret, &mcf->vapi_api_key, &mcf->openai_api_key,
            &mcf->airtable_api_key, &mcf->twilio_auth_token,
            &mcf->redis_password, &ncf->upstream_auth[0],
            &ncf->upstream_auth[1], &ncf->upstream_auth[2],
            &amcf->token, &amcf->env_password, &amcf->jobs_token,
            ngx_cerebro_alerts_secret(cycle), &mscf->link_secret, NULL
        };

        for (i = 0; values[i]; i++) {
            if (values[i]->len < 4) {
                continue;
            }

            secret = ngx_array_push(secrets);
            if (secret == NULL) {
                return NGX_ERROR;
            }

            *secret = *values[i];

            /* "Basic <base64>": the base64 alone, wherever it turns up */
            if (values[i]->len > sizeof("Basic ")
                && ngx_strncmp(values[i]->data, "Basic ", 6) == 0)
            {
                secret = ngx_array_push(secrets);
                if (secret == NULL) {
                    return NGX_ERROR;
                }

                secret->data = values[i]->data + 6;
                secret->len = values[i]->len - 6;
            }
        }
    }

    return ngx_cerebro_redact_init(cycle, secrets, names);
}


static ngx_int_t
ngx_cerebro_auth_login_zone(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t          *shpool;
    ngx_cerebro_login_shm_t  *shm;

    if (data) {
        zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (zone->shm.exists) {
        zone->data = shpool->data;
        return NGX_OK;
    }

    shm = ngx_slab_calloc(shpool, sizeof(ngx_cerebro_login_shm_t));
    if (shm == NULL) {
        return NGX_ERROR;
    }

    shpool->data = shm;
    zone->data = shm;

    return NGX_OK;
}


/* ---- the guard --------------------------------------------------------- */


ngx_flag_t
ngx_cerebro_auth_is_staff(ngx_http_request_t *r)
{
    ngx_cerebro_auth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_cerebro_auth_module);

    return alcf && alcf->staff == 1;
}


static ngx_int_t
ngx_cerebro_auth_access(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_cerebro_session_t         s;
    ngx_cerebro_auth_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_cerebro_auth_module);

    if (alcf->staff != 1) {
        return NGX_DECLINED;
    }

    /* a preflight carries no credentials: only a listed origin gets one */
    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_cerebro_http_listed_origin(r) ? NGX_DECLINED
                                                 : NGX_HTTP_UNAUTHORIZED;
    }

    rc = ngx_cerebro_auth_token(r);

    if (rc == NGX_OK) {
        goto checked;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    if (ngx_cerebro_auth_session(r, &s) != NGX_OK) {
        return NGX_HTTP_UNAUTHORIZED;
    }

    /*
     * NGX_OK, not NGX_DECLINED, once the staff is known: the same under
     * "satisfy all", and what grants access under "satisfy any" (/metrics:
     * this host, or the staff's token).
     */
    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        return NGX_OK;
    }

    /* a change by a browser: from this very site, with the session's token */
    if (ngx_cerebro_auth_same_site(r) != NGX_OK
        || ngx_cerebro_auth_csrf_check(r, &s) != NGX_OK)
    {
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "staff: %V %V refused: not from this site or "
                        "without the session's CSRF token",
                        &r->method_name, &r->uri);
        return NGX_HTTP_FORBIDDEN;
    }

checked:

    if ((r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) == 0
        && (r->headers_in.content_length_n > 0 || r->headers_in.chunked)
        && ngx_cerebro_auth_is_json(r) != NGX_OK)
    {
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    return NGX_OK;
}


/* NGX_OK: the staff token; NGX_DECLINED: none; NGX_ERROR: a wrong one */
static ngx_int_t
ngx_cerebro_auth_token(ngx_http_request_t *r)
{
    ngx_str_t                     v;
    ngx_cerebro_auth_main_conf_t *amcf;
    u_char                        digest[SHA256_DIGEST_LENGTH];

    if (r->headers_in.authorization == NULL) {
        return NGX_DECLINED;
    }

    v = r->headers_in.authorization->value;

    if (v.len <= sizeof("Bearer ") - 1
        || ngx_strncasecmp(v.data, (u_char *) "Bearer ", 7) != 0)
    {
        return NGX_ERROR;
    }

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);

    SHA256(v.data + 7, v.len - 7, digest);

    if (amcf->has_token
        && CRYPTO_memcmp(digest, amcf->token_digest, sizeof(digest)) == 0)
    {
        return NGX_OK;
    }

    ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                    "staff: a wrong API token from %V",
                    &r->connection->addr_text);

    return NGX_ERROR;
}


/* the cookie: USER.EXPIRES.NONCE.MAC, MAC = HMAC-SHA256 of the rest */
static ngx_int_t
ngx_cerebro_auth_session(ngx_http_request_t *r, ngx_cerebro_session_t *s)
{
    u_char     *p, *dot[3];
    time_t      expires;
    ngx_str_t   value;
    ngx_uint_t  i;
    u_char      mac[SHA256_DIGEST_LENGTH * 2];

    static ngx_str_t  name = ngx_string(NGX_CEREBRO_SESSION_COOKIE);

    if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &name,
                                          &value)
        == NGX_DECLINED)
    {
        return NGX_DECLINED;
    }

    if (value.len < sizeof(mac) + 4 || value.len > 256) {
        return NGX_DECLINED;
    }

    p = value.data;
    for (i = 0; i < 3; i++) {
        dot[i] = ngx_strlchr(p, value.data + value.len, '.');
        if (dot[i] == NULL) {
            return NGX_DECLINED;
        }

        p = dot[i] + 1;
    }

    if ((size_t) (value.data + value.len - p) != sizeof(mac)
        || dot[0] == value.data
        || (size_t) (dot[0] - value.data) >= NGX_CEREBRO_USER_LEN
        || (size_t) (dot[2] - dot[1] - 1) != NGX_CEREBRO_NONCE_LEN * 2)
    {
        return NGX_DECLINED;
    }

    if (ngx_cerebro_auth_cookie_mac(r, value.data, dot[2] - value.data,
                                    dot[0] - value.data, mac)
        != NGX_OK
        || CRYPTO_memcmp(mac, p, sizeof(mac)) != 0)
    {
        return NGX_DECLINED;
    }

    expires = ngx_atotm(dot[0] + 1, dot[1] - dot[0] - 1);

    if (expires == NGX_ERROR || expires <= ngx_time()) {
        return NGX_DECLINED;
    }

    ngx_memcpy(s->user, value.data, dot[0] - value.data);
    s->user[dot[0] - value.data] = '\0';
    s->expires = expires;
    ngx_memcpy(s->nonce, dot[1] + 1, sizeof(s->nonce));

    return NGX_OK;
}


/*
 * Origin, when the browser sends it, names this host (the Host the request
 * was sent to, or PUBLIC_URL's) or an origin of ALLOWED_ORIGINS;
 * Sec-Fetch-Site, when sent, says same-origin.
 */
ngx_int_t
ngx_cerebro_auth_same_site(ngx_http_request_t *r)
{
    u_char                   *p;
    size_t                    len;
    ngx_table_elt_t          *origin, *site;
    ngx_cerebro_main_conf_t  *mcf;

    static ngx_str_t  origin_name = ngx_string("Origin");
    static ngx_str_t  site_name = ngx_string("Sec-Fetch-Site");

    site = ngx_cerebro_http_header(r, &site_name);

    if (site && !(site->value.len == 11
                  && ngx_strncasecmp(site->value.data,
                                     (u_char *) "same-origin", 11) == 0))
    {
        return NGX_DECLINED;
    }

    origin = ngx_cerebro_http_header(r, &origin_name);

    if (origin == NULL) {
        return NGX_OK;
    }

    if (ngx_cerebro_http_listed_origin(r)) {
        return NGX_OK;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_cerebro_module);

    if (mcf->public_url.len && origin->value.len <= mcf->public_url.len
        && ngx_strncasecmp(origin->value.data, mcf->public_url.data,
                           origin->value.len) == 0
        && (mcf->public_url.len == origin->value.len
            || mcf->public_url.data[origin->value.len] == '/'))
    {
        return NGX_OK;
    }

    p = ngx_strlchr(origin->value.data,
                    origin->value.data + origin->value.len, ':');

    if (p == NULL || r->headers_in.host == NULL) {
        return NGX_DECLINED;
    }

    p += sizeof("//");
    len = origin->value.data + origin->value.len - p;

    if (p > origin->value.data + origin->value.len
        || len != r->headers_in.host->value.len
        || ngx_strncasecmp(p, r->headers_in.host->value.data, len) != 0
        || ngx_strncmp(p - 2, "//", 2) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_auth_csrf_check(ngx_http_request_t *r, ngx_cerebro_session_t *s)
{
    ngx_table_elt_t  *h;
    u_char            csrf[NGX_CEREBRO_CSRF_LEN];

    static ngx_str_t  name = ngx_string("X-CSRF-Token");

    h = ngx_cerebro_http_header(r, &name);

    if (h == NULL || h->value.len != NGX_CEREBRO_CSRF_LEN) {
        return NGX_DECLINED;
    }

    ngx_cerebro_auth_csrf(r, s, csrf);

    return CRYPTO_memcmp(csrf, h->value.data, sizeof(csrf)) == 0
           ? NGX_OK : NGX_DECLINED;
}


static void
ngx_cerebro_auth_csrf(ngx_http_request_t *r, ngx_cerebro_session_t *s,
    u_char *out)
{
    u_char  data[sizeof("csrf.") - 1 + NGX_CEREBRO_NONCE_LEN * 2];
    u_char  mac[SHA256_DIGEST_LENGTH * 2];

    ngx_memcpy(ngx_cpymem(data, "csrf.", 5), s->nonce, sizeof(s->nonce));

    ngx_cerebro_auth_mac(r, data, sizeof(data), mac);

    ngx_memcpy(out, mac, NGX_CEREBRO_CSRF_LEN);
}


static void
ngx_cerebro_auth_mac(ngx_http_request_t *r, u_char *data, size_t len,
    u_char *hex)
{
    unsigned int                   n;
    ngx_cerebro_auth_main_conf_t  *amcf;
    u_char                         md[EVP_MAX_MD_SIZE];

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);

    n = 0;
    if (HMAC(EVP_sha256(), amcf->key, NGX_CEREBRO_KEY_LEN, data, len, md, &n)
        == NULL || n != SHA256_DIGEST_LENGTH)
    {
        /* a MAC no cookie can match */
        ngx_memset(hex, 'x', SHA256_DIGEST_LENGTH * 2);
        return;
    }

    ngx_hex_dump(hex, md, n);
}


/*
 * A session's MAC covers the account's password hash too: a new password
 * (or an account taken out of the configuration) ends its sessions at the
 * next reload.  The API token's sessions are not cookies.
 */
static ngx_int_t
ngx_cerebro_auth_cookie_mac(ngx_http_request_t *r, u_char *data, size_t len,
    size_t user_len, u_char *hex)
{
    u_char                        *p;
    ngx_uint_t                     i;
    ngx_cerebro_staff_user_t      *u;
    ngx_cerebro_auth_main_conf_t  *amcf;
    u_char                         buf[256 + NGX_CEREBRO_DK_MAX];

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);
    u = amcf->users.elts;

    for (i = 0; i < amcf->users.nelts; i++) {
        if (u[i].name.len == user_len
            && ngx_strncmp(u[i].name.data, data, user_len) == 0)
        {
            break;
        }
    }

    if (i == amcf->users.nelts || len > 256) {
        return NGX_DECLINED;
    }

    p = ngx_cpymem(buf, data, len);
    p = ngx_cpymem(p, u[i].dk, u[i].dk_len);

    ngx_cerebro_auth_mac(r, buf, p - buf, hex);

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_auth_is_json(ngx_http_request_t *r)
{
    ngx_str_t  *type;

    static const char  json[] = "application/json";

    type = r->headers_in.content_type ? &r->headers_in.content_type->value
                                      : NULL;

    if (type == NULL || type->len < sizeof(json) - 1
        || ngx_strncasecmp(type->data, (u_char *) json, sizeof(json) - 1)
           != 0
        || (type->len > sizeof(json) - 1
            && type->data[sizeof(json) - 1] != ';'
            && type->data[sizeof(json) - 1] != ' '))
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* ---- the jobs poke ----------------------------------------------------- */


ngx_str_t *
ngx_cerebro_auth_jobs_line(ngx_cycle_t *cycle)
{
    ngx_cerebro_auth_main_conf_t  *amcf;

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_cerebro_auth_module);

    return &amcf->jobs_line;
}


ngx_int_t
ngx_cerebro_auth_jobs_check(ngx_http_request_t *r)
{
    ngx_table_elt_t               *h;
    ngx_cerebro_auth_main_conf_t  *amcf;

    static ngx_str_t  name = ngx_string(NGX_CEREBRO_JOBS_HEADER);

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);
    h = ngx_cerebro_http_header(r, &name);

    if (h == NULL || h->value.len != amcf->jobs_token.len
        || CRYPTO_memcmp(h->value.data, amcf->jobs_token.data,
                         h->value.len) != 0)
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


/* ---- logging in and out ------------------------------------------------ */


static ngx_int_t
ngx_cerebro_login_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    static ngx_str_t  page = ngx_string("/cerebro/public/login.html");

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        (void) ngx_http_internal_redirect(r, &page, &r->args);
        return NGX_DONE;
    }

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_POST);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (ngx_cerebro_auth_same_site(r) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_cerebro_http_send_error(r, NGX_HTTP_FORBIDDEN,
                                           "a login comes from this site");
    }

    if (ngx_cerebro_login_allowed(r) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_cerebro_http_send_error(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                           "too many failed logins from "
                                           "this address: wait a few "
                                           "minutes");
    }

    return ngx_cerebro_http_read_post(r, "application/json",
                                      ngx_cerebro_login_body);
}


static void
ngx_cerebro_login_body(ngx_http_request_t *r)
{
    cJSON                  *json, *user, *password;
    ngx_int_t               rc;
    ngx_str_t               body;
    ngx_cerebro_session_t   s;
    u_char                  nonce[NGX_CEREBRO_NONCE_LEN];

    rc = ngx_cerebro_http_body(r, &body);
    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    json = cJSON_ParseWithLength((char *) body.data, body.len);
    user = cJSON_GetObjectItemCaseSensitive(json, "user");
    password = cJSON_GetObjectItemCaseSensitive(json, "password");

    if (!cJSON_IsString(user) || !cJSON_IsString(password)) {
        cJSON_Delete(json);
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                        "give {\"user\": ..., "
                                        "\"password\": ...}"));
        return;
    }

    rc = ngx_cerebro_login_verify(r, user->valuestring,
                                  password->valuestring);

    ngx_explicit_memzero(password->valuestring,
                         ngx_strlen(password->valuestring));
    ngx_explicit_memzero(body.data, body.len);

    if (rc != NGX_OK) {
        cJSON_Delete(json);
        ngx_cerebro_login_count(r, 0);
        ngx_cerebro_log(NGX_LOG_WARN, r->connection->log, 0,
                        "staff: a failed login from %V",
                        &r->connection->addr_text);
        ngx_http_finalize_request(r,
            ngx_cerebro_http_send_error(r, NGX_HTTP_UNAUTHORIZED,
                                        "usuario o contraseña incorrectos"));
        return;
    }

    ngx_cerebro_login_count(r, 1);

    ngx_cpystrn((u_char *) s.user, (u_char *) user->valuestring,
                sizeof(s.user));
    cJSON_Delete(json);

    if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_hex_dump(s.nonce, nonce, sizeof(nonce));
    s.expires = ngx_time()
                + ((ngx_cerebro_auth_main_conf_t *)
                   ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module))
                  ->session_timeout;

    ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                    "staff: \"%s\" logged in from %V", s.user,
                    &r->connection->addr_text);

    ngx_http_finalize_request(r, ngx_cerebro_session_answer(r, &s, 1));
}


static ngx_int_t
ngx_cerebro_login_verify(ngx_http_request_t *r, const char *user,
    const char *password)
{
    size_t                         len;
    ngx_uint_t                     i;
    ngx_cerebro_staff_user_t      *u, *found;
    ngx_cerebro_auth_main_conf_t  *amcf;
    u_char                         dk[NGX_CEREBRO_DK_MAX];

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);

    len = ngx_strlen(user);
    found = NULL;
    u = amcf->users.elts;

    for (i = 0; i < amcf->users.nelts; i++) {
        if (u[i].name.len == len
            && ngx_strncmp(u[i].name.data, user, len) == 0)
        {
            found = &u[i];
        }
    }

    /* an unknown name costs the same scrypt as a known one */
    u = found ? found : amcf->dummy;

    if (EVP_PBE_scrypt(password, ngx_strlen(password), u->salt, u->salt_len,
                       u->n, u->r, u->p, NGX_CEREBRO_SCRYPT_MAX_MEM, dk,
                       u->dk_len)
        != 1)
    {
        ngx_cerebro_log(NGX_LOG_ERR, r->connection->log, 0,
                        "staff: scrypt failed");
        return NGX_ERROR;
    }

    if (CRYPTO_memcmp(dk, u->dk, u->dk_len) != 0 || found == NULL) {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


static ngx_cerebro_login_slot_t *
ngx_cerebro_login_slot(ngx_http_request_t *r, ngx_cerebro_login_shm_t **shm)
{
    uint32_t                       key;
    ngx_cerebro_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);
    *shm = amcf->zone->data;

    key = ngx_crc32_short(r->connection->addr_text.data,
                          r->connection->addr_text.len);

    return &(*shm)->slots[key % NGX_CEREBRO_LOGIN_SLOTS];
}


static ngx_int_t
ngx_cerebro_login_allowed(ngx_http_request_t *r)
{
    ngx_int_t                      rc;
    ngx_slab_pool_t               *shpool;
    ngx_cerebro_login_shm_t       *shm;
    ngx_cerebro_login_slot_t      *slot;
    ngx_cerebro_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);
    shpool = (ngx_slab_pool_t *) amcf->zone->shm.addr;

    slot = ngx_cerebro_login_slot(r, &shm);

    ngx_shmtx_lock(&shpool->mutex);

    rc = (slot->failures >= NGX_CEREBRO_LOGIN_FAILURES
          && ngx_time() - slot->start < NGX_CEREBRO_LOGIN_WINDOW)
         ? NGX_DECLINED : NGX_OK;

    ngx_shmtx_unlock(&shpool->mutex);

    return rc;
}


/*
 * Failures per address in a window; addresses that share a slot share the
 * limit, which errs on the side of the restaurant.
 */
static void
ngx_cerebro_login_count(ngx_http_request_t *r, ngx_flag_t ok)
{
    uint32_t                       key;
    ngx_slab_pool_t               *shpool;
    ngx_cerebro_login_shm_t       *shm;
    ngx_cerebro_login_slot_t      *slot;
    ngx_cerebro_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);
    shpool = (ngx_slab_pool_t *) amcf->zone->shm.addr;

    slot = ngx_cerebro_login_slot(r, &shm);
    key = ngx_crc32_short(r->connection->addr_text.data,
                          r->connection->addr_text.len);

    ngx_shmtx_lock(&shpool->mutex);

    if (ok) {
        if (slot->key == key) {
            slot->failures = 0;
        }

    } else {
        if (slot->key != key
            || ngx_time() - slot->start >= NGX_CEREBRO_LOGIN_WINDOW)
        {
            slot->key = key;
            slot->failures = 0;
            slot->start = ngx_time();
        }

        slot->failures++;
    }

    ngx_shmtx_unlock(&shpool->mutex);
}


static ngx_int_t
ngx_cerebro_session_handler(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_table_elt_t       *h;
    ngx_cerebro_session_t  s;

    static ngx_str_t  gone = ngx_string(NGX_CEREBRO_SESSION_COOKIE
                                        "=; Path=/cerebro; Max-Age=0; "
                                        "HttpOnly; SameSite=Strict");

    rc = ngx_cerebro_http_check_method(r, NGX_HTTP_GET|NGX_HTTP_HEAD
                                          |NGX_HTTP_DELETE);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ngx_cerebro_auth_session(r, &s) != NGX_OK) {
        /* the staff API token: a script, no session */
        ngx_cpystrn((u_char *) s.user, (u_char *) "api", sizeof(s.user));
        s.expires = 0;
        ngx_memzero(s.nonce, sizeof(s.nonce));

        if (r->method == NGX_HTTP_DELETE) {
            return ngx_cerebro_http_send_error(r, NGX_HTTP_BAD_REQUEST,
                                               "no session to end");
        }

        return ngx_cerebro_session_answer(r, &s, 0);
    }

    if (r->method == NGX_HTTP_DELETE) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Set-Cookie");
        h->value = gone;

        ngx_cerebro_log(NGX_LOG_NOTICE, r->connection->log, 0,
                        "staff: \"%s\" logged out", s.user);

        return ngx_cerebro_http_send_error(r, NGX_HTTP_OK, "logged out");
    }

    return ngx_cerebro_session_answer(r, &s, 0);
}


static ngx_int_t
ngx_cerebro_session_answer(ngx_http_request_t *r, ngx_cerebro_session_t *s,
    ngx_flag_t set_cookie)
{
    cJSON  *json;
    u_char  csrf[NGX_CEREBRO_CSRF_LEN + 1];

    if (set_cookie && ngx_cerebro_auth_set_cookie(r, s) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    json = cJSON_CreateObject();
    if (json == NULL
        || cJSON_AddStringToObject(json, "user", s->user) == NULL)
    {
        cJSON_Delete(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (s->expires) {
        ngx_cerebro_auth_csrf(r, s, csrf);
        csrf[NGX_CEREBRO_CSRF_LEN] = '\0';

        if (cJSON_AddStringToObject(json, "csrf", (char *) csrf) == NULL
            || cJSON_AddNumberToObject(json, "expires", (double) s->expires)
               == NULL)
        {
            cJSON_Delete(json);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_cerebro_http_send_json(r, NGX_HTTP_OK, json);
}


static ngx_int_t
ngx_cerebro_auth_set_cookie(ngx_http_request_t *r, ngx_cerebro_session_t *s)
{
    u_char                        *p, *signed_end;
    size_t                         len;
    ngx_table_elt_t               *h;
    ngx_cerebro_auth_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_cerebro_auth_module);

    len = sizeof(NGX_CEREBRO_SESSION_COOKIE "=") - 1
          + NGX_CEREBRO_USER_LEN + NGX_TIME_T_LEN + sizeof(s->nonce)
          + SHA256_DIGEST_LENGTH * 2 + 3
          + sizeof("; Path=/cerebro; Max-Age=; HttpOnly; SameSite=Strict"
                   "; Secure") + NGX_TIME_T_LEN;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Set-Cookie");
    h->value.data = p;

    p = ngx_cpymem(p, NGX_CEREBRO_SESSION_COOKIE "=",
                   sizeof(NGX_CEREBRO_SESSION_COOKIE "=") - 1);
    signed_end = ngx_sprintf(p, "%s.%T.", s->user, s->expires);
    signed_end = ngx_cpymem(signed_end, s->nonce, sizeof(s->nonce));

    if (ngx_cerebro_auth_cookie_mac(r, p, signed_end - p,
                                    ngx_strlen(s->user), signed_end + 1)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    *signed_end = '.';
    p = signed_end + 1 + SHA256_DIGEST_LENGTH * 2;

    p = ngx_sprintf(p, "; Path=/cerebro; Max-Age=%T; HttpOnly; "
                    "SameSite=Strict", amcf->session_timeout);

    if (amcf->secure) {
        p = ngx_cpymem(p, "; Secure", sizeof("; Secure") - 1);
    }

    h->value.len = p - h->value.data;

    return NGX_OK;
}
