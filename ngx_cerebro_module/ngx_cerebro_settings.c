
/*
 * The settings of the original .env: every cerebro_* directive falls back to
 * its environment variable (read by the master while it loads the
 * configuration; nginx's "env" directive keeps the same variables for the
 * workers), then the value is validated so that a typo fails "nginx -t"
 * instead of a guest's call.
 */

#include "ngx_cerebro_settings.h"


static ngx_int_t ngx_cerebro_valid_environment(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_origins(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_origin(u_char *p, u_char *last);
static ngx_int_t ngx_cerebro_valid_public_url(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_webhook(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_path(ngx_str_t *value, const char **why);
static ngx_int_t ngx_cerebro_valid_token(ngx_str_t *value, const char **why);
static ngx_int_t ngx_cerebro_valid_uuid(ngx_str_t *value, const char **why);
static ngx_int_t ngx_cerebro_valid_airtable_base(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_twilio_sid(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_whatsapp_number(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_valid_redis_url(ngx_str_t *value,
    const char **why);
static ngx_int_t ngx_cerebro_parse_origins(ngx_conf_t *cf,
    ngx_cerebro_main_conf_t *mcf);
static ngx_uint_t ngx_cerebro_has_endpoint(ngx_cerebro_main_conf_t *mcf,
    const char *name);
static ngx_int_t ngx_cerebro_require_pair(ngx_conf_t *cf, ngx_str_t *a,
    const char *a_name, ngx_str_t *b, const char *b_name);


ngx_cerebro_setting_t  ngx_cerebro_setting_environment = {
    "ENVIRONMENT", ngx_string("development"), 0,
    ngx_cerebro_valid_environment
};

ngx_cerebro_setting_t  ngx_cerebro_setting_allowed_origins = {
    "ALLOWED_ORIGINS", ngx_string("*"), 0, ngx_cerebro_valid_origins
};

ngx_cerebro_setting_t  ngx_cerebro_setting_public_url = {
    "PUBLIC_URL", ngx_null_string, 0, ngx_cerebro_valid_public_url
};

/* a Slack or Discord webhook URL holds its credential in the path */
ngx_cerebro_setting_t  ngx_cerebro_setting_alert_webhook = {
    "ALERT_WEBHOOK_URL", ngx_null_string, 1, ngx_cerebro_valid_webhook
};

ngx_cerebro_setting_t  ngx_cerebro_setting_data_dir = {
    "CEREBRO_DATA_DIR", ngx_string("data"), 0, ngx_cerebro_valid_path
};

ngx_cerebro_setting_t  ngx_cerebro_setting_vapi_secret = {
    "VAPI_WEBHOOK_SECRET", ngx_null_string, 1, ngx_cerebro_valid_token
};

ngx_cerebro_setting_t  ngx_cerebro_setting_vapi_api_key = {
    "VAPI_API_KEY", ngx_null_string, 1, ngx_cerebro_valid_token
};

ngx_cerebro_setting_t  ngx_cerebro_setting_vapi_assistant_id = {
    "VAPI_ASSISTANT_ID", ngx_null_string, 0, ngx_cerebro_valid_uuid
};

ngx_cerebro_setting_t  ngx_cerebro_setting_openai_api_key = {
    "OPENAI_API_KEY", ngx_null_string, 1, ngx_cerebro_valid_token
};

ngx_cerebro_setting_t  ngx_cerebro_setting_airtable_api_key = {
    "AIRTABLE_API_KEY", ngx_null_string, 1, ngx_cerebro_valid_token
};

ngx_cerebro_setting_t  ngx_cerebro_setting_airtable_base_id = {
    "AIRTABLE_BASE_ID", ngx_null_string, 0, ngx_cerebro_valid_airtable_base
};

ngx_cerebro_setting_t  ngx_cerebro_setting_twilio_account_sid = {
    "TWILIO_ACCOUNT_SID", ngx_null_string, 0, ngx_cerebro_valid_twilio_sid
};

ngx_cerebro_setting_t  ngx_cerebro_setting_twilio_auth_token = {
    "TWILIO_AUTH_TOKEN", ngx_null_string, 1, ngx_cerebro_valid_token
};

ngx_cerebro_setting_t  ngx_cerebro_setting_twilio_whatsapp_number = {
    "TWILIO_WHATSAPP_NUMBER", ngx_null_string, 0,
    ngx_cerebro_valid_whatsapp_number
};

/* a Redis URL may carry a password */
ngx_cerebro_setting_t  ngx_cerebro_setting_redis_url = {
    "REDIS_URL", ngx_null_string, 1, ngx_cerebro_valid_redis_url
};

ngx_cerebro_setting_t  ngx_cerebro_setting_redis_password = {
    "REDIS_PASSWORD", ngx_null_string, 1, ngx_cerebro_valid_token
};


ngx_int_t
ngx_cerebro_setting_from_env(ngx_conf_t *cf, ngx_cerebro_setting_t *setting,
    ngx_str_t *value)
{
    char  *env;

    env = getenv(setting->env);

    if (env == NULL) {
        *value = setting->default_value;
        return NGX_OK;
    }

    value->len = ngx_strlen(env);
    value->data = (u_char *) env;

    /* NUL-terminated like a directive's argument */
    value->data = (u_char *) ngx_cerebro_pstrdup0(cf->pool, value);
    if (value->data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_cerebro_setting_validate(ngx_conf_t *cf, ngx_cerebro_setting_t *setting,
    ngx_str_t *directive, ngx_str_t *value, ngx_cerebro_main_conf_t *mcf)
{
    const char  *why;

    /* empty means "not configured", which every setting allows */
    if (value->len == 0 || setting->validate == NULL) {
        return NGX_OK;
    }

    why = NULL;

    if (setting->validate(value, &why) == NGX_OK) {
        return NGX_OK;
    }

    if (setting->secret) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value of %s (\"%V\"): %s "
                           "(the value is secret and not shown)",
                           setting->env, directive, why);

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value \"%V\" of %s (\"%V\"): %s",
                           value, setting->env, directive, why);
    }

    return NGX_ERROR;
}


ngx_int_t
ngx_cerebro_parse_bool(ngx_str_t *value, ngx_flag_t *flag)
{
    static ngx_str_t  yes[] = { ngx_string("on"), ngx_string("true"),
                                ngx_string("1"), ngx_string("yes") };
    static ngx_str_t  no[] = { ngx_string("off"), ngx_string("false"),
                               ngx_string("0"), ngx_string("no"),
                               ngx_string("") };
    ngx_uint_t        i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (value->len == yes[i].len
            && ngx_strncasecmp(value->data, yes[i].data, value->len) == 0)
        {
            *flag = 1;
            return NGX_OK;
        }
    }

    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        if (value->len == no[i].len
            && ngx_strncasecmp(value->data, no[i].data, value->len) == 0)
        {
            *flag = 0;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
ngx_cerebro_debug_from_env(ngx_conf_t *cf, ngx_flag_t *debug)
{
    char       *env;
    ngx_str_t   value;

    env = getenv("DEBUG");

    if (env == NULL) {
        *debug = 0;
        return NGX_OK;
    }

    value.len = ngx_strlen(env);
    value.data = (u_char *) env;

    if (ngx_cerebro_parse_bool(&value, debug) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: invalid value \"%V\" of DEBUG "
                           "(\"cerebro_debug\"): expected True, False, 1 "
                           "or 0", &value);
        return NGX_ERROR;
    }

    return NGX_OK;
}


char *
ngx_cerebro_settings_check(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf)
{
    mcf->production = (mcf->environment.len == sizeof("production") - 1
                       && ngx_strncmp(mcf->environment.data, "production",
                                      mcf->environment.len) == 0);

    if (ngx_cerebro_parse_origins(cf, mcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (mcf->production && (mcf->any_origin || mcf->origins->nelts == 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "cerebro: ENVIRONMENT=production refuses "
                           "ALLOWED_ORIGINS (\"cerebro_allowed_origins\") "
                           "that is \"*\" or empty: list the origins that "
                           "may call the API, e.g. "
                           "\"https://panel.example.com\"");
        return NGX_CONF_ERROR;
    }

    if (ngx_cerebro_require_pair(cf, &mcf->airtable_api_key,
                                 "AIRTABLE_API_KEY", &mcf->airtable_base_id,
                                 "AIRTABLE_BASE_ID")
        != NGX_OK
        || ngx_cerebro_require_pair(cf, &mcf->twilio_account_sid,
                                    "TWILIO_ACCOUNT_SID",
                                    &mcf->twilio_auth_token,
                                    "TWILIO_AUTH_TOKEN")
           != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (mcf->production && mcf->vapi_secret.len == 0) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "cerebro: ENVIRONMENT=production without "
                           "VAPI_WEBHOOK_SECRET (\"cerebro_vapi_secret\"): "
                           "anyone who finds the URL can book and cancel "
                           "tables through /vapi/webhook");
    }

    if (ngx_cerebro_has_endpoint(mcf, "whatsapp")
        || ngx_cerebro_has_endpoint(mcf, "whatsapp_status"))
    {
        if (mcf->production
            && (mcf->twilio_auth_token.len == 0 || mcf->public_url.len == 0))
        {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "cerebro: ENVIRONMENT=production without "
                               "%s: the WhatsApp webhooks answer 503, as "
                               "they cannot check X-Twilio-Signature",
                               mcf->twilio_auth_token.len
                               ? "PUBLIC_URL" : "TWILIO_AUTH_TOKEN");

        } else if (mcf->twilio_auth_token.len == 0) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "cerebro: no TWILIO_AUTH_TOKEN: the WhatsApp "
                               "webhooks accept unsigned messages (for "
                               "development only)");
        }
    }

    return NGX_CONF_OK;
}


static ngx_uint_t
ngx_cerebro_has_endpoint(ngx_cerebro_main_conf_t *mcf, const char *name)
{
    ngx_uint_t               i;
    ngx_cerebro_endpoint_t  *ep;

    ep = mcf->endpoints.elts;

    for (i = 0; i < mcf->endpoints.nelts; i++) {
        if (ngx_strcmp(ep[i].name, name) == 0) {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_cerebro_require_pair(ngx_conf_t *cf, ngx_str_t *a, const char *a_name,
    ngx_str_t *b, const char *b_name)
{
    if ((a->len == 0) == (b->len == 0)) {
        return NGX_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "cerebro: %s is set but %s is not: set both or "
                       "neither", a->len ? a_name : b_name,
                       a->len ? b_name : a_name);

    return NGX_ERROR;
}


static ngx_int_t
ngx_cerebro_parse_origins(ngx_conf_t *cf, ngx_cerebro_main_conf_t *mcf)
{
    u_char     *p, *last, *comma;
    ngx_str_t  *origin;

    mcf->origins = ngx_array_create(cf->pool, 4, sizeof(ngx_str_t));
    if (mcf->origins == NULL) {
        return NGX_ERROR;
    }

    p = mcf->allowed_origins.data;
    last = p + mcf->allowed_origins.len;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        while (p < comma && *p == ' ') {
            p++;
        }

        while (comma > p && comma[-1] == ' ') {
            comma--;
        }

        if (comma - p == 1 && *p == '*') {
            mcf->any_origin = 1;

        } else if (comma > p) {
            origin = ngx_array_push(mcf->origins);
            if (origin == NULL) {
                return NGX_ERROR;
            }

            origin->data = p;
            origin->len = comma - p;

            /* browsers send "https://a.example" with no trailing slash */
            if (origin->data[origin->len - 1] == '/') {
                origin->len--;
            }
        }

        p = ngx_strlchr(comma, last, ',');
        p = p ? p + 1 : last;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_environment(ngx_str_t *value, const char **why)
{
    static ngx_str_t  names[] = { ngx_string("development"),
                                  ngx_string("staging"),
                                  ngx_string("production"),
                                  ngx_string("test") };
    ngx_uint_t        i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (value->len == names[i].len
            && ngx_strncmp(value->data, names[i].data, value->len) == 0)
        {
            return NGX_OK;
        }
    }

    *why = "expected development, staging, production or test";
    return NGX_DECLINED;
}


static ngx_int_t
ngx_cerebro_valid_origins(ngx_str_t *value, const char **why)
{
    u_char  *p, *last, *comma, *end;

    p = value->data;
    last = p + value->len;

    while (p < last) {
        comma = ngx_strlchr(p, last, ',');
        end = comma ? comma : last;

        while (p < end && *p == ' ') {
            p++;
        }

        while (end > p && end[-1] == ' ') {
            end--;
        }

        if (end > p && !(end - p == 1 && *p == '*')
            && ngx_cerebro_valid_origin(p, end) != NGX_OK)
        {
            *why = "expected \"*\" or comma-separated origins such as "
                   "\"https://panel.example.com,http://localhost:3000\"";
            return NGX_DECLINED;
        }

        p = comma ? comma + 1 : last;
    }

    return NGX_OK;
}


/* scheme://host[:port] with no path, as a browser's Origin header */
static ngx_int_t
ngx_cerebro_valid_origin(u_char *p, u_char *last)
{
    u_char  *host;

    if (last[-1] == '/') {
        last--;
    }

    if (last - p > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        host = p + 8;

    } else if (last - p > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        host = p + 7;

    } else {
        return NGX_DECLINED;
    }

    for (p = host; p < last; p++) {
        if (!(isalnum((u_char) *p) || *p == '.' || *p == '-' || *p == ':'
              || *p == '[' || *p == ']'))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_public_url(ngx_str_t *value, const char **why)
{
    u_char  *p, *last, *host;

    p = value->data;
    last = p + value->len;
    *why = "expected the public origin VAPI and Twilio call, such as "
           "\"https://cerebro.example.com\" (no query, no fragment)";

    if (last - p > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        host = p + 8;

    } else if (last - p > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        host = p + 7;

    } else {
        return NGX_DECLINED;
    }

    if (host == last || *host == '/' || *host == ':') {
        return NGX_DECLINED;
    }

    for (p = host; p < last; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#' || *p == '@') {
            return NGX_DECLINED;
        }
    }

    /* the request URI is appended to it to rebuild the URL Twilio signed */
    if (last[-1] == '/') {
        value->len--;
        value->data[value->len] = '\0';
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_webhook(ngx_str_t *value, const char **why)
{
    u_char  *p, *last, *host;

    p = value->data;
    last = p + value->len;
    *why = "expected the webhook's http(s) URL, such as "
           "\"https://hooks.slack.com/services/...\"";

    if (last - p > 8 && ngx_strncmp(p, "https://", 8) == 0) {
        host = p + 8;

    } else if (last - p > 7 && ngx_strncmp(p, "http://", 7) == 0) {
        host = p + 7;

    } else {
        return NGX_DECLINED;
    }

    if (host == last || *host == '/' || *host == ':') {
        return NGX_DECLINED;
    }

    for (p = host; p < last; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '#' || *p == '@') {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_path(ngx_str_t *value, const char **why)
{
    u_char  *p;

    for (p = value->data; p < value->data + value->len; p++) {
        if (*p < ' ') {
            *why = "expected a directory path";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


/* credentials end up in request headers: no spaces, no CR or LF */
static ngx_int_t
ngx_cerebro_valid_token(ngx_str_t *value, const char **why)
{
    u_char  *p;

    for (p = value->data; p < value->data + value->len; p++) {
        if (*p <= ' ' || *p >= 0x7f) {
            *why = "contains a space, a control character or a non-ASCII "
                   "byte (a stray quote or newline from the .env file?)";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_uuid(ngx_str_t *value, const char **why)
{
    ngx_uint_t  i;

    *why = "expected the assistant's UUID, such as "
           "\"3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f\"";

    if (value->len != 36) {
        return NGX_DECLINED;
    }

    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (value->data[i] != '-') {
                return NGX_DECLINED;
            }

        } else if (!isxdigit(value->data[i])) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_airtable_base(ngx_str_t *value, const char **why)
{
    ngx_uint_t  i;

    *why = "expected \"app\" followed by 14 letters or digits, as in the "
           "base's URL";

    if (value->len != 17 || ngx_strncmp(value->data, "app", 3) != 0) {
        return NGX_DECLINED;
    }

    for (i = 3; i < 17; i++) {
        if (!isalnum((u_char) value->data[i])) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_twilio_sid(ngx_str_t *value, const char **why)
{
    ngx_uint_t  i;

    *why = "expected \"AC\" followed by 32 hexadecimal digits";

    if (value->len != 34 || value->data[0] != 'A' || value->data[1] != 'C') {
        return NGX_DECLINED;
    }

    for (i = 2; i < 34; i++) {
        if (!isxdigit(value->data[i])) {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_cerebro_valid_whatsapp_number(ngx_str_t *value, const char **why)
{
    u_char      *p, *last;
    ngx_uint_t   digits;

    p = value->data;
    last = p + value->len;
    *why = "expected \"whatsapp:+<country code and number>\", such as "
           "\"whatsapp:+14155238886\"";

    if (last - p > 9 && ngx_strncmp(p, "whatsapp:", 9) == 0) {
        p += 9;
    }

    if (p == last || *p++ != '+' || p == last || *p == '0') {
        return NGX_DECLINED;
    }

    for (digits = 0; p < last; p++, digits++) {
        if (*p < '0' || *p > '9') {
            return NGX_DECLINED;
        }
    }

    return (digits >= 7 && digits <= 15) ? NGX_OK : NGX_DECLINED;
}


static ngx_int_t
ngx_cerebro_valid_redis_url(ngx_str_t *value, const char **why)
{
    u_char     *p, *last, *host, *at;
    ngx_int_t   n;

    p = value->data;
    last = p + value->len;
    *why = "expected \"redis://[:password@]host[:port][/db]\" or "
           "\"unix:/path/to/redis.sock\"";

    if (last - p > 5 && ngx_strncmp(p, "unix:", 5) == 0) {
        return p[5] == '/' ? NGX_OK : NGX_DECLINED;
    }

    if (last - p >= 9 && ngx_strncmp(p, "rediss://", 9) == 0) {
        *why = "rediss:// (TLS) is not supported by Debian 12's hiredis; "
               "use redis:// on a private network or a unix socket";
        return NGX_DECLINED;
    }

    if (last - p <= 8 || ngx_strncmp(p, "redis://", 8) != 0) {
        return NGX_DECLINED;
    }

    host = p + 8;

    at = NULL;
    for (p = host; p < last && *p != '/'; p++) {
        if (*p == '@') {
            at = p;
        }
    }

    if (at) {
        host = at + 1;
    }

    if (host == p || *host == ':') {
        return NGX_DECLINED;
    }

    if (p < last) {
        /* "/db": a database number */
        n = ngx_atoi(p + 1, last - p - 1);
        if (last - p > 1 && n == NGX_ERROR) {
            *why = "the database after \"/\" must be a number";
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
