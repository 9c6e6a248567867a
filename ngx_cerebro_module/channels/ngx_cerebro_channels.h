
/*
 * The channels' configuration (channels/ngx_cerebro_channels.c): the voice
 * channel's and the jobs run's, in their own nginx module's main conf,
 * reached with ngx_http_get_module_main_conf(r, ngx_cerebro_channels_module).
 */

#ifndef _NGX_CEREBRO_CHANNELS_H_INCLUDED_
#define _NGX_CEREBRO_CHANNELS_H_INCLUDED_


#include "ngx_cerebro.h"


typedef struct {
    /* the voice channel */
    ngx_msec_t                 vapi_deadline;
    ngx_str_t                  vapi_bearer_header;
    ngx_str_t                  vapi_hmac_header;
    ngx_str_t                  vapi_timestamp_header;
    cerebro_hmac_opts_t        vapi_hmac;
    ngx_str_t                  transfer_number;
    ngx_str_t                  transfer_after_hours;  /* "" : none */
    ngx_array_t               *vapi_voice;       /* provider, voice, model */
    ngx_array_t               *vapi_transcriber; /* provider, model, lang */
    ngx_array_t               *vapi_model;       /* provider, model */
    ngx_str_t                  vapi_first_message;
    ngx_str_t                  voice_prompt_file;
    ngx_str_t                  voice_prompt;

    /* inbound WhatsApp (ngx_cerebro_whatsapp.c) */
    ngx_msec_t                 whatsapp_budget;  /* inline TwiML */
    ngx_msec_t                 whatsapp_timeout; /* the whole brain */

    /* the jobs run (ngx_cerebro_jobs.c); the outbox's own are messaging's */
    ngx_msec_t                 jobs_interval;
    ngx_flag_t                 jobs;             /* a jobs location */
} ngx_cerebro_channels_conf_t;


extern ngx_module_t  ngx_cerebro_channels_module;


#endif /* _NGX_CEREBRO_CHANNELS_H_INCLUDED_ */
