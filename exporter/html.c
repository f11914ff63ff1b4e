/* HTML building blocks (see html.h). */
#include <stdbool.h>
#include <time.h>

#include "expo.h"
#include "html.h"

/* Whether s starts with a C1 control character (U+0080 to U+009F) in UTF-8. */
static bool
c1_control(const unsigned char *s)
{
	return s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f;
}

void
html_escape(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c1_control((const unsigned char *)s)) {
			buf_puts(b, "&#xFFFD;");
			s++;
			continue;
		}
		switch (c) {
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			/* Control characters are parse errors in HTML; show that something was there. */
			if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f)
				buf_puts(b, "&#xFFFD;");
			else
				buf_putc(b, (char)c);
		}
	}
}

void
html_td_open(struct buf *b, const char *cls)
{
	if (cls != NULL)
		buf_printf(b, "<td class=\"%s\">", cls);
	else
		buf_puts(b, "<td>");
}

void
html_td(struct buf *b, const char *cls, const char *text)
{
	html_td_open(b, cls);
	html_escape(b, text);
	buf_puts(b, "</td>");
}

void
html_td_number(struct buf *b, bool known, double v)
{
	char s[32];

	if (!known) {
		html_td(b, "n muted", HTML_DASH);
		return;
	}
	expo_format_value(v, s, sizeof(s));
	html_td(b, "n", s);
}

void
html_td_yes_no(struct buf *b, bool known, double v, const char *no_class)
{
	if (!known)
		html_td(b, "muted", HTML_DASH);
	else if (v != 0)
		html_td(b, "ok", "yes");
	else
		html_td(b, no_class, "no");
}

void
html_table_start(struct buf *b, const char *const *heads, size_t n)
{
	buf_puts(b, "<table><thead><tr>");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "<th>%s</th>", heads[i]);
	buf_puts(b, "</tr></thead><tbody>\n");
}

void
html_table_end(struct buf *b)
{
	buf_puts(b, "</tbody></table>\n");
}

void
html_para(struct buf *b, const char *cls, const char *text)
{
	buf_printf(b, "<p class=\"%s\">", cls);
	html_escape(b, text);
	buf_puts(b, "</p>\n");
}

void
html_utc(struct buf *b, double epoch_s)
{
	struct tm tm;
	char s[32];

	/* The range check keeps the conversion to time_t defined. */
	if (!(epoch_s >= 0 && epoch_s < 1e11)) {
		buf_puts(b, HTML_DASH);
		return;
	}
	time_t t = (time_t)epoch_s;
	if (gmtime_r(&t, &tm) == NULL || strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		buf_puts(b, HTML_DASH);
		return;
	}
	buf_puts(b, s);
}
