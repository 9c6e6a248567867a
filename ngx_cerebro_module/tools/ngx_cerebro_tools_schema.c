
/*
 * The tools as the assistants see them, from one table, in two forms:
 *
 *   OpenAI strict (the WhatsApp agents): every property required, the
 *   optional ones nullable ("type": [t, "null"]), nothing else allowed;
 *   VAPI (the voice assistant): VAPI's JsonSchema takes one "type" and no
 *   "additionalProperties", so an optional property is one absent from
 *   "required" (docs/vapi.md).
 */

#include "ngx_cerebro_tools.h"


typedef struct {
    const char  *name;
    const char  *type;          /* "string", "integer", "boolean" */
    ngx_uint_t   optional;
    const char  *description;
} ngx_cerebro_param_t;


typedef struct {
    cerebro_tool_id_t           id;
    const char                 *description;
    ngx_cerebro_param_t         params[10];
} ngx_cerebro_tool_schema_t;


static ngx_cerebro_tool_schema_t  ngx_cerebro_schemas[] = {

    { CEREBRO_TOOL_CHECK,
      "Comprueba si hay mesa libre para un día, hora y número de personas, "
      "y si no, propone alternativas.",
      { { "date", "string", 0, "Día en palabras del cliente o AAAA-MM-DD "
                               "(\"mañana\", \"el viernes\")." },
        { "time", "string", 0, "Hora (\"21:00\", \"a las nueve\")." },
        { "party_size", "integer", 0, "Número de personas." },
        { "location", "string", 1, "Preferencia: \"sala\" o \"terraza\"." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_CREATE,
      "Reserva una mesa. Antes lea al cliente la reserva (\"¿Confirmo "
      "mesa para [personas] el [día y fecha] a las [hora] a nombre de "
      "[nombre]?\") y llame con confirmed=true solo después de su sí; sin "
      "él no se reserva nada.",
      { { "name", "string", 0, "Nombre para la reserva." },
        { "date", "string", 0, "Día en palabras del cliente o AAAA-MM-DD." },
        { "time", "string", 0, "Hora." },
        { "party_size", "integer", 0, "Número de personas." },
        { "confirmed", "boolean", 1, "true solo si el cliente ha dicho que "
                                     "sí a la reserva leída." },
        { "phone", "string", 1, "Teléfono, si no es el de la llamada." },
        { "notes", "string", 1, "De esta reserva: trona, celebración..." },
        { "preferences", "string", 1, "Lo que el cliente pide para todas "
                                      "sus visitas (\"siempre en "
                                      "terraza\", una alergia): se guarda "
                                      "en su ficha." },
        { "location", "string", 1, "Preferencia: \"sala\" o \"terraza\"." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_FIND,
      "Busca las próximas reservas del cliente por su teléfono.",
      { { "phone", "string", 1, "Teléfono, si no es el de la llamada." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_MODIFY,
      "Cambia el día, la hora, las personas o las notas de una reserva.",
      { { "phone", "string", 1, "Teléfono, si no es el de la llamada." },
        { "date", "string", 1, "Día de la reserva actual, si tiene varias." },
        { "new_date", "string", 1, "Nuevo día." },
        { "new_time", "string", 1, "Nueva hora." },
        { "new_party_size", "integer", 1, "Nuevo número de personas." },
        { "notes", "string", 1, "Nuevas notas." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_CANCEL,
      "Cancela una reserva del cliente. Confirme antes cuál.",
      { { "phone", "string", 1, "Teléfono, si no es el de la llamada." },
        { "date", "string", 1, "Día de la reserva, si tiene varias." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_INFO,
      "Horario, dirección, teléfono, carta, alérgenos, aparcamiento y "
      "otras preguntas sobre el restaurante.",
      { { "topic", "string", 1, "Sobre qué pregunta el cliente." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_HANDOVER,
      "Pasa la llamada a una persona: grupos grandes, alergias que la "
      "información no resuelve, si el cliente lo pide o está molesto.",
      { { "reason", "string", 0, "Por qué." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_WAITLIST,
      "Apunta al cliente en la lista de espera cuando su hora está llena y "
      "ninguna alternativa le sirve: si se libera una mesa, le escribimos "
      "por WhatsApp y la reserva al responder SÍ. No es una reserva.",
      { { "name", "string", 0, "Nombre del cliente." },
        { "date", "string", 0, "Día en palabras del cliente o AAAA-MM-DD." },
        { "time", "string", 0, "Hora, o la primera de la franja que le "
                               "sirve." },
        { "time_to", "string", 1, "La última hora que le sirve, si es una "
                                  "franja (\"entre las 20:30 y las "
                                  "22:00\")." },
        { "party_size", "integer", 0, "Número de personas." },
        { "phone", "string", 1, "Teléfono con WhatsApp, si no es el de la "
                                "llamada." },
        { NULL, NULL, 0, NULL } } },

    { CEREBRO_TOOL_UNKNOWN, NULL, { { NULL, NULL, 0, NULL } } }
};


cJSON *
ngx_cerebro_tools_schema(ngx_cerebro_schema_e form)
{
    cJSON                      *list, *tool, *fn, *params, *props, *prop;
    cJSON                      *required, *type;
    ngx_cerebro_param_t        *p;
    ngx_cerebro_tool_schema_t  *s;

    list = cJSON_CreateArray();
    if (list == NULL) {
        return NULL;
    }

    for (s = ngx_cerebro_schemas; s->description; s++) {
        tool = cJSON_CreateObject();
        if (tool == NULL) {
            goto failed;
        }

        cJSON_AddItemToArray(list, tool);

        fn = cJSON_AddObjectToObject(tool, "function");
        if (cJSON_AddStringToObject(tool, "type", "function") == NULL
            || fn == NULL
            || cJSON_AddStringToObject(fn, "name", cerebro_tool_name(s->id))
               == NULL
            || cJSON_AddStringToObject(fn, "description", s->description)
               == NULL
            || (form == NGX_CEREBRO_SCHEMA_STRICT
                && cJSON_AddTrueToObject(fn, "strict") == NULL))
        {
            goto failed;
        }

        params = cJSON_AddObjectToObject(fn, "parameters");

        if (params == NULL
            || cJSON_AddStringToObject(params, "type", "object") == NULL)
        {
            goto failed;
        }

        props = cJSON_AddObjectToObject(params, "properties");
        required = cJSON_AddArrayToObject(params, "required");

        if (props == NULL || required == NULL
            || (form == NGX_CEREBRO_SCHEMA_STRICT
                && cJSON_AddFalseToObject(params, "additionalProperties")
                   == NULL))
        {
            goto failed;
        }

        for (p = s->params; p->name; p++) {
            prop = cJSON_AddObjectToObject(props, p->name);
            if (prop == NULL
                || cJSON_AddStringToObject(prop, "description",
                                           p->description)
                   == NULL)
            {
                goto failed;
            }

            if (p->optional && form == NGX_CEREBRO_SCHEMA_STRICT) {
                type = cJSON_CreateArray();
                if (type == NULL) {
                    goto failed;
                }

                cJSON_AddItemToObject(prop, "type", type);
                cJSON_AddItemToArray(type, cJSON_CreateString(p->type));
                cJSON_AddItemToArray(type, cJSON_CreateString("null"));

            } else if (cJSON_AddStringToObject(prop, "type", p->type)
                       == NULL)
            {
                goto failed;
            }

            if (!p->optional || form == NGX_CEREBRO_SCHEMA_STRICT) {
                cJSON_AddItemToArray(required, cJSON_CreateString(p->name));
            }
        }
    }

    return list;

failed:

    cJSON_Delete(list);
    return NULL;
}
