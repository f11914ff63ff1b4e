/* Building blocks for server-rendered HTML: escaping, table cells and dates. Class names and
 * headings passed in are the caller's own constants and go out as they are; every text argument
 * is escaped. */
#ifndef EXPORTER_HTML_H
#define EXPORTER_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* U+2014, shown for a value that is not known. */
#define HTML_DASH "\xe2\x80\x94"

/* Appends s with < > & " ' as character references and control characters other than tab and
 * newline (C0, DEL and C1, all parse errors in HTML) as U+FFFD, so it is safe in element content
 * and in quoted attribute values. */
void html_escape(struct buf *b, const char *s);

/* <td class="cls">text</td>; no class attribute when cls is NULL. */
void html_td(struct buf *b, const char *cls, const char *text);
/* Only the opening <td class="cls"> of html_td(), for a cell with markup of the caller's. */
void html_td_open(struct buf *b, const char *cls);
/* A right-aligned number cell, or a dash when !known. */
void html_td_number(struct buf *b, bool known, double v);
/* "yes" (class ok) when v is not 0, "no" (class no_class) when it is, a dash when !known. */
void html_td_yes_no(struct buf *b, bool known, double v, const char *no_class);

/* <table> with one heading row; the caller then adds <tr> rows and calls html_table_end(). */
void html_table_start(struct buf *b, const char *const *heads, size_t n);
void html_table_end(struct buf *b);

/* <p class="cls">text</p>. */
void html_para(struct buf *b, const char *cls, const char *text);

/* Seconds since the epoch as "YYYY-MM-DD HH:MM:SS UTC"; a dash for a negative, non-finite or
 * absurdly large value. */
void html_utc(struct buf *b, double epoch_s);

#endif
