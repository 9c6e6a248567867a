/*
 * Guest-facing text cut to a channel's limits, never inside a character:
 * WhatsApp takes at most 1,600 characters in a message (Twilio's errors
 * 21617 and 21658), counted as Twilio counts them (UTF-16 code units: a
 * character outside the Basic Multilingual Plane, an emoji, counts two).
 */

#ifndef CEREBRO_TEXT_H
#define CEREBRO_TEXT_H

#include <stddef.h>


#define CEREBRO_TEXT_WHATSAPP_MAX  1600


/*
 * The longest prefix of in[0..len) that holds at most max_units UTF-16
 * code units and ends at a character boundary: its length in bytes.
 */
size_t cerebro_text_prefix(const char *in, size_t len, size_t max_units);

/* The UTF-16 code units of in[0..len) (a broken byte counts one). */
size_t cerebro_text_units(const char *in, size_t len);

/*
 * Splits in[0..len) into parts of at most max_units each: after the last
 * sentence end (". ", "? ", "! ", a line break) that fits, else after the
 * last blank, else at the last character that fits.  Writes the byte
 * length of each part into parts[] (the blanks between two parts belong
 * to neither) and returns how many there are, 0 for an empty text; when
 * more than max_parts would be needed, the last one is cut short.
 */
size_t cerebro_text_split(const char *in, size_t len, size_t max_units,
    size_t *starts, size_t *parts, size_t max_parts);

#endif /* CEREBRO_TEXT_H */
