
/*
 * ngx_cerebro: the module — its directives, the main configuration and the
 * fallback of every setting to the environment variable names of the
 * FastAPI service it replaces.
 */

#include "ngx_cerebro.h"
#include "ngx_cerebro_settings.h"
#include "ngx_cerebro_health.h"
#include "ngx_cerebro_metrics.h"
#include "ngx_cerebro_metrics_http.h"
#include "ngx_cerebro_stats_http.h"
#include "ngx_cerebro_net.h"
#include "ngx_cerebro_kv.h"
#include "ngx_cerebro_store.h"
#include "ngx_cerebro_store_health.h"
#include "ngx_cerebro_staff.h"
#include "ngx_cerebro_vapi.h"
#include "ngx_cerebro_outbox.h"
#include "ngx_cerebro_outbox_http.h"
#include "ngx_cerebro_whatsapp.h"
#include "ngx_cerebro_jobs.h"
#include "ngx_cerebro_manage.h"
#include "ngx_cerebro_alerts.h"

#include <grp.h>
#if (NGX_LINUX)
#include <sys/prctl.h>
#endif


static ngx_int_t ngx_cerebro_preconfiguration(ngx_conf_t *cf);
static void *ngx_cerebro_create_main_conf(ngx_conf_t *cf);
static char *ngx_cerebro_init_main_conf(ngx_conf_t *cf, void *conf);
static char *ngx_cerebro_conf_set_setting(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_cerebro_conf_set_debug(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_cerebro_init_module(ngx_cycle_t *cycle);
/* supplementary groups of the workers' user that we look at */
#define NGX_CEREBRO_MAX_GROUPS  64


static ngx_int_t ngx_cerebro_workers_reach(ngx_cycle_t *cycle, u_char *dir);
static ngx_uint_t ngx_cerebro_may(ngx_file_info_t *fi, ngx_uid_t uid,
    gid_t *groups, int ngroups, mode_t want);
static ngx_int_t ngx_cerebro_init_process(ngx_cycle_t *cycle);
static void ngx_cerebro_follow_master(ngx_cycle_t *cycle);
static void ngx_cerebro_exit_process(ngx_cycle_t *cycle);
static ngx_int_t ngx_cerebro_load_restaurant(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_init_data_dir(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_create_data_dir(ngx_cycle_t *cycle,
    ngx_cerebro_main_conf_t *mcf);
static ngx_int_t ngx_cerebro_give_to_workers(ngx_cycle_t *cycle,
    u_char *path);
static ngx_int_t ngx_cerebro_prepare_sqlite(ngx_cycle_t *cycle,
    ngx_cerebro_main_conf_t *mcf);


#define ngx_cerebro_setting_command(directive, field, setting)               \
    { ngx_string(directive),                                                  \
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,                                      \
      ngx_cerebro_conf_set_setting,                                           \
      NGX_HTTP_MAIN_CONF_OFFSET,                                              \
      offsetof(ngx_cerebro_main_conf_t, field),                               \
      (void *) &setting }


static ngx_command_t  ngx_cerebro_commands[] = {

    ngx_cerebro_setting_command("cerebro_environment", environment,
                                ngx_cerebro_setting_environment),

    { ngx_string("cerebro_debug"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_cerebro_conf_set_debug,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_main_conf_t, debug),
      NULL },

    ngx_cerebro_setting_command("cerebro_allowed_origins", allowed_origins,
                                ngx_cerebro_setting_allowed_origins),

    ngx_cerebro_setting_command("cerebro_public_url", public_url,
                                ngx_cerebro_setting_public_url),

    ngx_cerebro_setting_command("cerebro_data_dir", data_dir,
                                ngx_cerebro_setting_data_dir),

    ngx_cerebro_setting_command("cerebro_vapi_secret", vapi_secret,
                                ngx_cerebro_setting_vapi_secret),

    ngx_cerebro_setting_command("cerebro_vapi_api_key", vapi_api_key,
                                ngx_cerebro_setting_vapi_api_key),

    ngx_cerebro_setting_command("cerebro_vapi_assistant_id",
                                vapi_assistant_id,
                                ngx_cerebro_setting_vapi_assistant_id),

    ngx_cerebro_setting_command("cerebro_openai_api_key", openai_api_key,
                                ngx_cerebro_setting_openai_api_key),

    ngx_cerebro_setting_command("cerebro_airtable_api_key", airtable_api_key,
                                ngx_cerebro_setting_airtable_api_key),

    ngx_cerebro_setting_command("cerebro_airtable_base_id", airtable_base_id,
                                ngx_cerebro_setting_airtable_base_id),

    ngx_cerebro_setting_command("cerebro_twilio_account_sid",
                                twilio_account_sid,
                                ngx_cerebro_setting_twilio_account_sid),

    ngx_cerebro_setting_command("cerebro_twilio_auth_token",
                                twilio_auth_token,
                                ngx_cerebro_setting_twilio_auth_token),

    ngx_cerebro_setting_command("cerebro_twilio_whatsapp_number",
                                twilio_whatsapp_number,
                                ngx_cerebro_setting_twilio_whatsapp_number),

    ngx_cerebro_setting_command("cerebro_redis_url", redis_url,
                                ngx_cerebro_setting_redis_url),

    ngx_cerebro_setting_command("cerebro_redis_password", redis_password,
                                ngx_cerebro_setting_redis_password),

    { ngx_string("cerebro_restaurant"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_cerebro_main_conf_t, restaurant_file),
      NULL },

    ngx_cerebro_setting_command("cerebro_alert_webhook", alert_webhook,
                                ngx_cerebro_setting_alert_webhook),

    { ngx_string("cerebro_reservations"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_reservations,
      0,
      0,
      NULL },

    { ngx_string("cerebro_tables"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_tables,
      0,
      0,
      NULL },

    { ngx_string("cerebro_vapi"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_vapi,
      0,
      0,
      NULL },

    { ngx_string("cerebro_outbox"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_outbox,
      0,
      0,
      NULL },

    { ngx_string("cerebro_whatsapp"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_whatsapp,
      0,
      0,
      NULL },

    { ngx_string("cerebro_whatsapp_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_whatsapp_status,
      0,
      0,
      NULL },

    { ngx_string("cerebro_jobs"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_jobs,
      0,
      0,
      NULL },

    { ngx_string("cerebro_manage"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_manage,
      0,
      0,
      NULL },

    { ngx_string("cerebro_health"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_health,
      0,
      0,
      NULL },

    { ngx_string("cerebro_call_stats"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_call_stats,
      0,
      0,
      NULL },

    { ngx_string("cerebro_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_metrics,
      0,
      0,
      NULL },

    { ngx_string("cerebro_info"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_cerebro_info,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_cerebro_module_ctx = {
    ngx_cerebro_preconfiguration,          /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_cerebro_create_main_conf,          /* create main configuration */
    ngx_cerebro_init_main_conf,            /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_cerebro_module = {
    NGX_MODULE_V1,
    &ngx_cerebro_module_ctx,               /* module context */
    ngx_cerebro_commands,                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_cerebro_init_module,               /* init module */
    ngx_cerebro_init_process,              /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_cerebro_exit_process,              /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_cerebro_preconfiguration(ngx_conf_t *cf)
{
    return ngx_cerebro_logvars_add(cf);
}


static void *
ngx_cerebro_create_main_conf(ngx_conf_t *cf)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_cerebro_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     every ngx_str_t = { 0, NULL }: "not set", the environment decides
     *     mcf->origins = NULL;
     *     mcf->any_origin = 0;
     *     mcf->production = 0;
     */

    mcf->debug = NGX_CONF_UNSET;

    if (ngx_array_init(&mcf->endpoints, cf->pool, 8,
                       sizeof(ngx_cerebro_endpoint_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


/*
 * Every value not given by its directive comes from the environment variable
 * of the original .env, then is validated; the whole configuration is
 * refused with a message naming the directive or variable otherwise.
 */
static char *
ngx_cerebro_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_cerebro_main_conf_t *mcf = conf;

    ngx_str_t                   *value;
    ngx_command_t               *cmd;
    ngx_cerebro_setting_t       *setting;

    for (cmd = ngx_cerebro_commands; cmd->name.len; cmd++) {

        if (cmd->set != ngx_cerebro_conf_set_setting) {
            continue;
        }

        setting = cmd->post;
        value = (ngx_str_t *) ((u_char *) mcf + cmd->offset);

        if (value->data == NULL
            && ngx_cerebro_setting_from_env(cf, setting, value) != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        if (ngx_cerebro_setting_validate(cf, setting, &cmd->name, value, mcf)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    if (mcf->debug == NGX_CONF_UNSET
        && ngx_cerebro_debug_from_env(cf, &mcf->debug) != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (ngx_cerebro_settings_check(cf, mcf) != NGX_CONF_OK
        || ngx_cerebro_metrics_init_conf(cf) != NGX_OK
        || ngx_cerebro_load_restaurant(cf, mcf) != NGX_OK
        || ngx_cerebro_net_init_conf(cf) != NGX_OK
        || ngx_cerebro_init_data_dir(cf, mcf) != NGX_OK
        || ngx_cerebro_store_init_conf(cf) != NGX_OK
)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void
ngx_cerebro_free_model(void *data)
{
    cerebro_restaurant_free(data);
}


/*
 * The restaurant is read and validated with the configuration, so that a
 * broken conf/restaurant.json fails "nginx -t" and a reload keeps the old
 * one serving.
 */
static ngx_int_t
ngx_cerebro_load_restaurant(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf)
{
    char                 err[256];
    ngx_pool_cleanup_t  *cln;

    if (mcf->restaurant_file.data == NULL) {
        ngx_str_set(&mcf->restaurant_file, "conf/restaurant.json");
    }

    if (ngx_conf_full_name(cf->cycle, &mcf->restaurant_file, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    switch (ngx_cerebro_read_conf_file(cf, &mcf->restaurant_file,
                                       4 * 1024 * 1024, "cerebro_restaurant",
                                       &mcf->restaurant_json))
    {
    case NGX_OK:
        break;

    case NGX_DECLINED:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: the restaurant file \"%V\" does not "
                           "exist (\"cerebro_restaurant\")",
                           &mcf->restaurant_file);
        /* fall through */

    default:
        return NGX_ERROR;
    }

    mcf->model = cerebro_restaurant_load((char *) mcf->restaurant_json.data,
                                         mcf->restaurant_json.len, NULL,
                                         err, sizeof(err));
    if (mcf->model == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid restaurant file \"%V\": %s",
                           &mcf->restaurant_file, err);
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        cerebro_restaurant_free(mcf->model);
        return NGX_ERROR;
    }

    cln->handler = ngx_cerebro_free_model;
    cln->data = mcf->model;

    /* one restaurant's cached data, one schema: "cerebro:v1:9f86d081:" */
    mcf->cache_prefix.data = ngx_pnalloc(cf->pool, 32);
    if (mcf->cache_prefix.data == NULL) {
        return NGX_ERROR;
    }

    mcf->cache_prefix.len = ngx_sprintf(mcf->cache_prefix.data,
                                        "cerebro:v1:%08xD:",
                                        ngx_crc32_short(
                                            (u_char *) mcf->model->name,
                                            ngx_strlen(mcf->model->name)))
                            - mcf->cache_prefix.data;

    return NGX_OK;
}


/* a full name: the store's SQLite file and the session key live there */
static ngx_int_t
ngx_cerebro_init_data_dir(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf)
{
    return ngx_conf_full_name(cf->cycle, &mcf->data_dir, 0);
}


/*
 * The master (root in Docker) makes the data directory and hands it to the
 * workers' user, as nginx does with its temp paths.
 */
static ngx_int_t
ngx_cerebro_create_data_dir(ngx_cycle_t *cycle, ngx_cerebro_main_conf_t *mcf)
{
    u_char  *dir;

    dir = (u_char *) ngx_cerebro_pstrdup0(cycle->pool, &mcf->data_dir);
    if (dir == NULL) {
        return NGX_ERROR;
    }

    /* the parents we make must let the workers through; the data is theirs */
    if (ngx_create_full_path(dir, 0755) != 0
        || (ngx_create_dir(dir, 0700) == NGX_FILE_ERROR
            && ngx_errno != NGX_EEXIST))
    {
        ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, ngx_errno,
                        "cannot create the data directory \"%s\" "
                        "(CEREBRO_DATA_DIR)", dir);
        return NGX_ERROR;
    }

    if (ngx_cerebro_give_to_workers(cycle, dir) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_cerebro_workers_reach(cycle, dir);
}


/*
 * The master may reach a directory that its workers cannot: refused at
 * start, as nginx refuses a log file it cannot open, rather than workers
 * that start and can book nothing.  Every directory on the way must let
 * the workers' user in, and the data directory itself must let it read,
 * write and enter (SQLite makes its journal files there).
 */
static ngx_int_t
ngx_cerebro_workers_reach(ngx_cycle_t *cycle, u_char *dir)
{
    int               ngroups;
    u_char            path[NGX_MAX_PATH];
    gid_t             groups[NGX_CEREBRO_MAX_GROUPS];
    size_t            i, len;
    mode_t            want;
    const char       *user;
    ngx_file_info_t   fi;
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (geteuid() != 0 || ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        /* the workers are this very user */
        if (access((char *) dir, R_OK|W_OK|X_OK) == 0) {
            return NGX_OK;
        }

        ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, ngx_errno,
                        "the data directory \"%s\" (CEREBRO_DATA_DIR) is "
                        "not readable and writable by this user", dir);
        return NGX_ERROR;
    }

    len = ngx_strlen(dir);
    if (len == 0 || len >= sizeof(path)) {
        return NGX_ERROR;
    }

    user = ccf->username ? ccf->username : "nobody";

    ngroups = NGX_CEREBRO_MAX_GROUPS;
    if (getgrouplist(user, ccf->group, groups, &ngroups) == -1) {
        /* more groups than we look at: the primary one still counts */
        groups[0] = ccf->group;
        ngroups = 1;
    }

    while (len > 1 && dir[len - 1] == '/') {
        len--;
    }

    /* "/a/b/data": "/", "/a", "/a/b", then "/a/b/data" itself */
    for (i = 0; i <= len; i++) {

        if (i < len && dir[i] != '/') {
            continue;
        }

        if (i == 0) {
            /* the root */
            path[0] = '/';
            path[1] = '\0';

        } else if (dir[i - 1] == '/') {
            /* "//" */
            continue;

        } else {
            ngx_memcpy(path, dir, i);
            path[i] = '\0';
        }

        want = (i == len) ? (S_IRUSR|S_IWUSR|S_IXUSR) : S_IXUSR;

        if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
            ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, ngx_errno,
                            "cannot check \"%s\", on the way to the data "
                            "directory (CEREBRO_DATA_DIR)", path);
            return NGX_ERROR;
        }

        if (ngx_cerebro_may(&fi, ccf->user, groups, ngroups, want)) {
            continue;
        }

        if (i == len) {
            ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, 0,
                            "the workers' user \"%s\" cannot read and write "
                            "the data directory \"%s\" (CEREBRO_DATA_DIR)",
                            user, path);
        } else {
            ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, 0,
                            "the workers' user \"%s\" cannot enter \"%s\", "
                            "on the way to the data directory \"%s\" "
                            "(CEREBRO_DATA_DIR): give it search permission "
                            "or choose another directory", user, path, dir);
        }

        return NGX_ERROR;
    }

    return NGX_OK;
}


/* POSIX's rule: the owner's bits, else the group's, else the others' */
static ngx_uint_t
ngx_cerebro_may(ngx_file_info_t *fi, ngx_uid_t uid, gid_t *groups,
    int ngroups, mode_t want)
{
    int  i;

    if (fi->st_uid == uid) {
        return (fi->st_mode & want) == want;
    }

    for (i = 0; i < ngroups; i++) {
        if (fi->st_gid == groups[i]) {
            return (fi->st_mode & (want >> 3)) == (want >> 3);
        }
    }

    return (fi->st_mode & (want >> 6)) == (want >> 6);
}


/* chown to the workers' user when the master runs as root */
static ngx_int_t
ngx_cerebro_give_to_workers(ngx_cycle_t *cycle, u_char *path)
{
    ngx_file_info_t   fi;
    ngx_core_conf_t  *ccf;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (geteuid() != 0 || ccf->user == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        return NGX_OK;
    }

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        /* a WAL file that SQLite removed at close */
        return ngx_errno == NGX_ENOENT ? NGX_OK : NGX_ERROR;
    }

    if (fi.st_uid != ccf->user
        && chown((const char *) path, ccf->user, (gid_t) -1) == -1)
    {
        ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, ngx_errno,
                        "chown(\"%s\", %d) failed", path, ccf->user);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The master creates, migrates and seeds the SQLite file once, before the
 * workers start: otherwise every worker would race to do it at once, and
 * the losers would start without their store.
 */
static ngx_int_t
ngx_cerebro_prepare_sqlite(ngx_cycle_t *cycle, ngx_cerebro_main_conf_t *mcf)
{
    u_char                     path[NGX_MAX_PATH];
    cerebro_sqlite_t          *db;
    cerebro_store_error_t      e;
    ngx_cerebro_store_conf_t  *scf;

    scf = ngx_http_cycle_get_module_main_conf(cycle,
                                              ngx_cerebro_store_module);

    db = cerebro_sqlite_open((char *) scf->sqlite_path.data, mcf->model,
                             (char *) mcf->restaurant_json.data,
                             mcf->restaurant_json.len, &e);
    if (db == NULL) {
        ngx_cerebro_log(NGX_LOG_EMERG, cycle->log, 0,
                        "cannot open the embedded store \"%V\" "
                        "(CEREBRO_DATA_DIR): %s", &scf->sqlite_path,
                        e.message);
        return NGX_ERROR;
    }

    cerebro_sqlite_close(db);

    if (ngx_cerebro_give_to_workers(cycle, scf->sqlite_path.data) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_snprintf(path, sizeof(path), "%V-wal%Z", &scf->sqlite_path);
    if (ngx_cerebro_give_to_workers(cycle, path) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_snprintf(path, sizeof(path), "%V-shm%Z", &scf->sqlite_path);

    return ngx_cerebro_give_to_workers(cycle, path);
}


static ngx_int_t
ngx_cerebro_init_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_store_conf_t  *scf;

    /* no http{} block, or no configuration of ours in it */
    scf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_store_module);
    if (scf == NULL || scf->backend == NULL) {
        return NGX_OK;
    }

    ngx_cerebro_follow_master(cycle);

    if (ngx_cerebro_kv_init_process(cycle) != NGX_OK) {
        return NGX_ERROR;
    }

    /* after the store: the jobs run sends the outbox of its SQLite file */
    if (ngx_cerebro_store_init_process(cycle) != NGX_OK
        || ngx_cerebro_jobs_init_process(cycle) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * A master killed uncleanly (SIGKILL, an out-of-memory kill) leaves its
 * workers behind, still holding the port: the next start could not listen
 * and the phone would stay silent.  Each worker asks the kernel for the
 * graceful stop (SIGQUIT) when its master dies, finishes the requests it
 * has and exits.
 */
static void
ngx_cerebro_follow_master(ngx_cycle_t *cycle)
{
#if (NGX_LINUX)
    if (ngx_process != NGX_PROCESS_WORKER) {
        return;
    }

    if (prctl(PR_SET_PDEATHSIG, SIGQUIT) == -1) {
        ngx_cerebro_log(NGX_LOG_WARN, cycle->log, ngx_errno,
                        "prctl(PR_SET_PDEATHSIG) failed: this worker will "
                        "outlive a master killed uncleanly");
        return;
    }

    /* the master may have died before we asked */
    if (getppid() != ngx_parent) {
        (void) kill(ngx_pid, SIGQUIT);
    }
#endif
}


static void
ngx_cerebro_exit_process(ngx_cycle_t *cycle)
{
    ngx_cerebro_store_conf_t  *scf;

    /* no http{} block, or no configuration of ours in it */
    scf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_store_module);
    if (scf == NULL || scf->backend == NULL) {
        return;
    }

    ngx_cerebro_jobs_exit_process(cycle);
    ngx_cerebro_store_exit_process(cycle);

    ngx_cerebro_kv_exit_process(cycle);
}


/*
 * One line at start and at every reload that says which backends this
 * configuration uses: what an operator checks first when something is off.
 */
static ngx_int_t
ngx_cerebro_init_module(ngx_cycle_t *cycle)
{
    ngx_cerebro_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_cerebro_module);
    if (mcf == NULL) {
        return NGX_OK;
    }

    if (ngx_cerebro_create_data_dir(cycle, mcf) != NGX_OK
        || ngx_cerebro_prepare_sqlite(cycle, mcf) != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_cerebro_log(NGX_LOG_NOTICE, cycle->log, 0,
                    "%s %s, environment %V, data %s, cache %s, "
                    "WhatsApp brain %s, outgoing WhatsApp %s%s",
                    CEREBRO_SERVICE_NAME, CEREBRO_VERSION, &mcf->environment,
                    mcf->airtable_api_key.len ? "Airtable" : "embedded SQLite",
                    mcf->redis_url.len ? "Redis" : "shared memory",
                    mcf->openai_api_key.len ? "OpenAI" : "rule-based",
                    mcf->twilio_account_sid.len ? "Twilio" : "outbox only",
                    mcf->debug ? ", DEBUG on" : "");

    return NGX_OK;
}


static char *
ngx_cerebro_conf_set_setting(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *field, *value;

    field = (ngx_str_t *) ((u_char *) conf + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *field = value[1];

    /* an empty directive value still means "set": it overrides the env */
    if (field->data == NULL) {
        field->data = (u_char *) "";
    }

    return NGX_CONF_OK;
}




static char *
ngx_cerebro_conf_set_debug(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_cerebro_main_conf_t *mcf = conf;

    ngx_str_t  *value;

    if (mcf->debug != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_cerebro_parse_bool(&value[1], &mcf->debug) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value \"%V\" of "
                           "\"cerebro_debug\": expected on, off, true, "
                           "false, 1 or 0", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}
