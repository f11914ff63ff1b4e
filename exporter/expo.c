/* Metric exposition builder and renderer (text 0.0.4 and OpenMetrics 1.0).
 *
 * Samples are stored per family as one allocation each (header, label pointers, strings), so a
 * scrape costs one malloc per series. Output is sorted, which keeps it reproducible regardless of
 * the order collectors walk the system in; what was added in order is not sorted again. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expo.h"
#include "xalloc.h"

struct sample {
	double value;
	size_t nlabels;
	size_t text; /* bytes of the label strings, NULs included */
	const char *labels[]; /* name0, value0, name1, value1, ... inside this allocation */
};

struct family {
	char *name; /* sample name; counters keep their _total */
	char *help;
	const char *help_arg; /* the caller's help pointer last found equal to help */
	enum expo_type type;
	struct sample **samples;
	size_t nsamples;
	size_t cap;
	bool unsorted; /* some sample was added not after the one before it (or repeats it) */
};

struct expo {
	struct family **families;
	size_t nfamilies;
	size_t cap;
	size_t last; /* index of the last family used: collectors add runs of one family */
	bool unsorted; /* some family was added not after the one before it */
	int error;
};

struct expo *
expo_new(void)
{
	return xcalloc(1, sizeof(struct expo));
}

static void
family_free(struct family *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->nsamples; i++)
		free(f->samples[i]);
	free(f->samples);
	free(f->name);
	free(f->help);
	free(f);
}

void
expo_free(struct expo *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nfamilies; i++)
		family_free(e->families[i]);
	free(e->families);
	free(e);
}

int
expo_error(const struct expo *e)
{
	return e->error;
}

size_t
expo_samples(const struct expo *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->nfamilies; i++)
		n += e->families[i]->nsamples;
	return n;
}

static bool
valid_name(const char *s)
{
	if (s == NULL || s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s != '\0'; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t
utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			   ? 4
			   : 0;
	}
	return 0;
}

/* Bytes needed to store s with each invalid byte replaced by U+FFFD (3 bytes). */
static size_t
utf8_clean_len(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		size_t k = utf8_seq(p);
		n += k == 0 ? 3 : k;
		p += k == 0 ? 1 : k;
	}
	return n;
}

static char *
utf8_clean_copy(char *dst, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		size_t k = utf8_seq(p);
		if (k == 0) {
			memcpy(dst, "\xef\xbf\xbd", 3);
			dst += 3;
			p++;
		} else {
			memcpy(dst, p, k);
			dst += k;
			p += k;
		}
	}
	*dst++ = '\0';
	return dst;
}

/* s as valid UTF-8: s itself when it already is (each invalid byte would grow to 3), else a copy
 * with U+FFFD for each invalid byte, stored in *ret_copy for the caller to free. */
static const char *
utf8_clean(const char *s, char **ret_copy)
{
	size_t n = utf8_clean_len(s);

	*ret_copy = NULL;
	if (n == strlen(s))
		return s;
	*ret_copy = xmalloc(n + 1);
	(void)utf8_clean_copy(*ret_copy, s);
	return *ret_copy;
}

static int
check_labels(const struct expo_label *labels, size_t nlabels)
{
	for (size_t i = 0; i < nlabels; i++) {
		if (!valid_name(labels[i].name) || strncmp(labels[i].name, "__", 2) == 0 ||
		    labels[i].value == NULL)
			return -EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(labels[i].name, labels[j].name) == 0)
				return -EINVAL;
		}
	}
	return 0;
}

static const struct family *
find_family_const(const struct expo *e, const char *name)
{
	for (size_t i = 0; i < e->nfamilies; i++)
		if (strcmp(e->families[i]->name, name) == 0)
			return e->families[i];
	return NULL;
}

static struct family *
find_family(struct expo *e, const char *name)
{
	if (e->last < e->nfamilies && strcmp(e->families[e->last]->name, name) == 0)
		return e->families[e->last];
	for (size_t i = 0; i < e->nfamilies; i++) {
		if (strcmp(e->families[i]->name, name) == 0) {
			e->last = i;
			return e->families[i];
		}
	}
	return NULL;
}

static struct family *
add_family(struct expo *e, const char *name, enum expo_type type, const char *help)
{
	struct family *f = xcalloc(1, sizeof(*f));

	if (e->nfamilies > 0 && strcmp(e->families[e->nfamilies - 1]->name, name) >= 0)
		e->unsorted = true;

	f->name = xstrdup(name);
	f->help = xstrdup(help);
	f->type = type;
	if (e->nfamilies == e->cap) {
		e->cap = e->cap == 0 ? 16 : e->cap * 2;
		e->families = xrealloc(e->families, e->cap * sizeof(*e->families));
	}
	e->last = e->nfamilies;
	e->families[e->nfamilies++] = f;
	return f;
}

static int
cmp_sample(const void *a, const void *b)
{
	const struct sample *sa = *(const struct sample *const *)a;
	const struct sample *sb = *(const struct sample *const *)b;
	size_t n = sa->nlabels < sb->nlabels ? sa->nlabels : sb->nlabels;

	for (size_t i = 0; i < 2 * n; i++) {
		int c = strcmp(sa->labels[i], sb->labels[i]);
		if (c != 0)
			return c;
	}
	return sa->nlabels < sb->nlabels ? -1 : sa->nlabels > sb->nlabels;
}

/* Collectors mostly add in sorted order: checking each sample against the one before costs one
 * comparison and lets expo_sort() skip the families that are already in order. */
static void
push_sample(struct family *f, struct sample *s)
{
	if (f->nsamples > 0 && cmp_sample(&f->samples[f->nsamples - 1], &s) >= 0)
		f->unsorted = true;
	if (f->nsamples == f->cap) {
		f->cap = f->cap == 0 ? 8 : f->cap * 2;
		f->samples = xrealloc(f->samples, f->cap * sizeof(*f->samples));
	}
	f->samples[f->nsamples++] = s;
}

static int
fail(struct expo *e, int err)
{
	if (e->error == 0)
		e->error = err;
	return err;
}

/* True when the n bytes at s are all ASCII, which is valid UTF-8 as it is. */
static bool
is_ascii(const char *s, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, sizeof(w));
		acc |= w;
	}
	for (; i < n; i++)
		acc |= (unsigned char)s[i];
	return (acc & 0x8080808080808080ULL) == 0;
}

/* One sample in one allocation: header, label pointers, then the strings; label values made
 * valid UTF-8 (copied as they are when ASCII, the usual case). Caller frees. */
static struct sample *
new_sample(double value, const struct expo_label *labels, size_t nlabels)
{
	size_t text = 0;
	bool ascii = true;

	for (size_t i = 0; i < nlabels; i++) {
		size_t n = strlen(labels[i].value);
		if (ascii && !is_ascii(labels[i].value, n))
			ascii = false;
		text += strlen(labels[i].name) + 1 + (ascii ? n : utf8_clean_len(labels[i].value)) + 1;
	}
	struct sample *s = xmalloc(sizeof(struct sample) + 2 * nlabels * sizeof(char *) + text);
	s->value = value;
	s->nlabels = nlabels;
	s->text = text;
	char *p = (char *)&s->labels[2 * nlabels];
	for (size_t i = 0; i < nlabels; i++) {
		size_t n = strlen(labels[i].name) + 1;
		memcpy(p, labels[i].name, n);
		s->labels[2 * i] = p;
		p += n;
		s->labels[2 * i + 1] = p;
		if (ascii) {
			n = strlen(labels[i].value) + 1;
			memcpy(p, labels[i].value, n);
			p += n;
		} else {
			p = utf8_clean_copy(p, labels[i].value);
		}
	}
	return s;
}

/* True when the label names are those of s (already checked when s was added). */
static bool
same_names(const struct sample *s, const struct expo_label *labels, size_t nlabels)
{
	if (s->nlabels != nlabels)
		return false;
	for (size_t i = 0; i < nlabels; i++)
		if (labels[i].value == NULL || strcmp(s->labels[2 * i], labels[i].name) != 0)
			return false;
	return true;
}

int
expo_add(struct expo *e, const char *name, enum expo_type type, const char *help, double value,
	 const struct expo_label *labels, size_t nlabels)
{
	char *help_copy = NULL;
	int r = 0;

	if (!valid_name(name) || help == NULL || help[0] == '\0')
		return fail(e, -EINVAL);
	if ((type == EXPO_COUNTER) != has_suffix(name, "_total"))
		return fail(e, -EINVAL);
	struct family *f = find_family(e, name);
	/* Samples of a family mostly have the label names of the one before: those were checked. */
	if ((f == NULL || f->nsamples == 0 ||
	     !same_names(f->samples[f->nsamples - 1], labels, nlabels)) &&
	    check_labels(labels, nlabels) < 0)
		return fail(e, -EINVAL);
	/* Collectors pass HELP as a literal: the pointer that matched last time needs no second
	 * look (a family has thousands of samples on a big host, and HELP texts are long). */
	if (f != NULL && help == f->help_arg) {
		if (f->type != type)
			return fail(e, -EINVAL);
		push_sample(f, new_sample(value, labels, nlabels));
		return 0;
	}
	/* HELP is sanitised like label values (a collector may quote system text in it), before
	 * it is compared: the same invalid text must name the same family. */
	const char *clean_help = utf8_clean(help, &help_copy);
	if (f == NULL)
		f = add_family(e, name, type, clean_help);
	else if (f->type != type || strcmp(f->help, clean_help) != 0)
		r = fail(e, -EINVAL);
	if (r == 0)
		f->help_arg = help;
	if (r == 0)
		push_sample(f, new_sample(value, labels, nlabels));
	free(help_copy);
	return r;
}

static int
cmp_family(const void *a, const void *b)
{
	const struct family *fa = *(const struct family *const *)a;
	const struct family *fb = *(const struct family *const *)b;
	return strcmp(fa->name, fb->name);
}

size_t
expo_sort(struct expo *e)
{
	size_t dropped = 0;

	/* qsort's array must not be NULL even when empty; an empty builder has none. */
	if (e->unsorted && e->nfamilies > 1)
		qsort(e->families, e->nfamilies, sizeof(*e->families), cmp_family);
	e->unsorted = false;
	e->last = 0;
	for (size_t i = 0; i < e->nfamilies; i++) {
		struct family *f = e->families[i];
		/* Strictly increasing as added: sorted and free of repeats already. */
		if (!f->unsorted)
			continue;
		f->unsorted = false;
		qsort(f->samples, f->nsamples, sizeof(*f->samples), cmp_sample);
		size_t out = 0;
		for (size_t j = 0; j < f->nsamples; j++) {
			/* qsort is not stable: keep whichever sorts first, drop the rest. */
			if (out > 0 && cmp_sample(&f->samples[out - 1], &f->samples[j]) == 0) {
				free(f->samples[j]);
				dropped++;
				continue;
			}
			f->samples[out++] = f->samples[j];
		}
		f->nsamples = out;
	}
	return dropped;
}

bool
expo_can_merge(struct expo *dst, const struct expo *src)
{
	for (size_t i = 0; i < src->nfamilies; i++) {
		const struct family *sf = src->families[i];
		const struct family *df = find_family(dst, sf->name);
		if (df != NULL && (df->type != sf->type || strcmp(df->help, sf->help) != 0))
			return false;
	}
	return true;
}

size_t
expo_merge(struct expo *dst, struct expo *src)
{
	size_t dropped = 0;

	for (size_t i = 0; i < src->nfamilies; i++) {
		struct family *sf = src->families[i];
		struct family *df = find_family(dst, sf->name);
		if (df == NULL) {
			df = add_family(dst, sf->name, sf->type, sf->help);
		} else if (df->type != sf->type || strcmp(df->help, sf->help) != 0) {
			(void)fail(dst, -EINVAL);
			family_free(sf);
			dropped++;
			continue;
		}
		/* A sorted run appended to a sorted family keeps it sorted when it starts after it. */
		if (sf->unsorted || (df->nsamples > 0 && sf->nsamples > 0 &&
				     cmp_sample(&df->samples[df->nsamples - 1], &sf->samples[0]) >= 0))
			df->unsorted = true;
		if (df->cap - df->nsamples < sf->nsamples) {
			df->cap = df->nsamples + sf->nsamples;
			df->samples = xrealloc(df->samples, df->cap * sizeof(*df->samples));
		}
		if (sf->nsamples > 0)
			memcpy(df->samples + df->nsamples, sf->samples,
			       sf->nsamples * sizeof(*sf->samples));
		df->nsamples += sf->nsamples;
		sf->nsamples = 0;
		family_free(sf);
	}
	src->nfamilies = 0;
	src->last = 0;
	if (src->error != 0)
		(void)fail(dst, src->error);
	return dropped;
}

static struct expo_series
series_of(const struct sample *sm)
{
	return (struct expo_series){sm->value, sm->nlabels, sm->labels};
}

size_t
expo_each(const struct expo *e, const char *name,
	  bool (*fn)(const struct expo_series *series, void *arg), void *arg)
{
	const struct family *f = find_family_const(e, name);
	size_t n = 0;

	for (size_t i = 0; f != NULL && i < f->nsamples; i++) {
		struct expo_series s = series_of(f->samples[i]);
		n++;
		if (!fn(&s, arg))
			break;
	}
	return n;
}

const char *
expo_label(const struct expo_series *s, const char *name)
{
	for (size_t i = 0; i < s->nlabels; i++)
		if (strcmp(s->labels[2 * i], name) == 0)
			return s->labels[2 * i + 1];
	return NULL;
}

bool
expo_value(const struct expo *e, const char *name, const struct expo_label *match, size_t nmatch,
	   double *ret)
{
	const struct family *f = find_family_const(e, name);

	for (size_t i = 0; f != NULL && i < f->nsamples; i++) {
		struct expo_series s = series_of(f->samples[i]);
		size_t j = 0;
		while (j < nmatch) {
			const char *v = expo_label(&s, match[j].name);
			if (v == NULL || strcmp(v, match[j].value) != 0)
				break;
			j++;
		}
		if (j == nmatch) {
			*ret = s.value;
			return true;
		}
	}
	return false;
}

/* Writes m in decimal at dst; returns the number of digits. */
static size_t
put_digits(char *dst, uint64_t m)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m != 0);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

/* Powers of ten, exact as doubles and as integers. */
static const uint64_t pow10_int[16] = {
    1ULL,		  10ULL,	       100ULL,		    1000ULL,
    10000ULL,		  100000ULL,	       1000000ULL,	    10000000ULL,
    100000000ULL,	  1000000000ULL,       10000000000ULL,	    100000000000ULL,
    1000000000000ULL,	  10000000000000ULL,   100000000000000ULL,  1000000000000000ULL,
};

/* v (not an integer) as "%.15g" prints it, when v is the double nearest to a decimal m / 10^d
 * with m < 10^15 and v >= 1e-4 in magnitude: then that decimal is what "%.15g" prints (a
 * double's half ulp is below half the spacing of 15-digit decimals, so the decimal is the
 * correctly rounded 15 digits of v) and it parses back to v. m / 10^d is computed exactly (both
 * below 2^53) and correctly rounded like strtod(). Returns false, writing nothing, for any other
 * v: the caller falls back to printf. buf holds at least 32 bytes. */
static bool
format_decimal(double v, char *buf)
{
	double a = fabs(v);

	if (!(a >= 1e-4 && a < 1e15))
		return false;
	for (size_t d = 1; d < 16; d++) {
		double scaled = a * (double)pow10_int[d];
		if (scaled >= 1e15)
			return false;
		uint64_t m = (uint64_t)(scaled + 0.5);
		if ((double)m / (double)pow10_int[d] != a)
			continue;
		char *p = buf;
		if (v < 0)
			*p++ = '-';
		p += put_digits(p, m / pow10_int[d]);
		*p++ = '.';
		uint64_t frac = m % pow10_int[d];
		for (size_t k = d; k-- > 0;) {
			p[k] = (char)('0' + frac % 10);
			frac /= 10;
		}
		size_t n = d;
		while (n > 1 && p[n - 1] == '0')
			n--;
		p[n] = '\0';
		return true;
	}
	return false;
}

void
expo_format_value(double v, char *buf, size_t size)
{
	if (isnan(v)) {
		(void)snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		(void)snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	/* Integers below 2^53 are exact in a double: print every digit, never an exponent. */
	if (v == trunc(v) && fabs(v) < 9007199254740992.0) {
		char *p = buf;
		if (v < 0)
			*p++ = '-';
		p[put_digits(p, (uint64_t)fabs(v))] = '\0';
		return;
	}
	if (format_decimal(v, buf))
		return;
	for (int prec = 15; prec <= 17; prec++) {
		(void)snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}

/* Writes s at dst with backslash and newline escaped, and the double quote when quote (label
 * values; HELP only in OpenMetrics). dst has room for twice strlen(s). Returns the end. */
static char *
put_escaped(char *dst, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		char c = *s;
		if (c == '\\' || c == '\n' || (c == '"' && quote)) {
			*dst++ = '\\';
			c = c == '\n' ? 'n' : c;
		}
		*dst++ = c;
	}
	return dst;
}

static char *
put_str(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	return dst + n;
}

/* "# HELP name help\n" with name cut to name_len (OpenMetrics counters drop _total). */
static void
put_help(struct buf *out, const struct family *f, size_t name_len, bool om)
{
	size_t help_len = strlen(f->help);
	char *start = buf_room(out, name_len + 2 * help_len + 16);
	char *p = put_str(start, "# HELP ", 7);
	p = put_str(p, f->name, name_len);
	*p++ = ' ';
	p = put_escaped(p, f->help, om);
	*p++ = '\n';
	buf_used(out, (size_t)(p - start));
}

static void
put_type(struct buf *out, const struct family *f, size_t name_len)
{
	const char *type = f->type == EXPO_COUNTER ? "counter" : "gauge";
	size_t type_len = strlen(type);
	char *start = buf_room(out, name_len + type_len + 16);
	char *p = put_str(start, "# TYPE ", 7);
	p = put_str(p, f->name, name_len);
	*p++ = ' ';
	p = put_str(p, type, type_len);
	*p++ = '\n';
	buf_used(out, (size_t)(p - start));
}

/* One sample line, written in place: its bound is known from the lengths stored with it. */
static void
put_sample(struct buf *out, const struct family *f, size_t name_len, const struct sample *s)
{
	/* Each label adds '{' or ',', '="', '"' and its name and value, the value at most doubled
	 * by escaping; then '}', ' ', the value (32) and '\n'. */
	char *start = buf_room(out, name_len + 2 * s->text + 4 * s->nlabels + 40);
	char *p = put_str(start, f->name, name_len);

	for (size_t j = 0; j < s->nlabels; j++) {
		*p++ = j == 0 ? '{' : ',';
		p = put_str(p, s->labels[2 * j], strlen(s->labels[2 * j]));
		*p++ = '=';
		*p++ = '"';
		p = put_escaped(p, s->labels[2 * j + 1], true);
		*p++ = '"';
	}
	if (s->nlabels > 0)
		*p++ = '}';
	*p++ = ' ';
	expo_format_value(s->value, p, 32);
	p += strlen(p);
	*p++ = '\n';
	buf_used(out, (size_t)(p - start));
}

static void
render_family(const struct family *f, enum expo_format format, struct buf *out)
{
	bool om = format == EXPO_FORMAT_OPENMETRICS;
	size_t name_len = strlen(f->name);
	/* OpenMetrics names the counter family without _total; its samples keep it. */
	size_t meta_len = name_len - (om && f->type == EXPO_COUNTER ? strlen("_total") : 0);

	if (om) {
		put_type(out, f, meta_len);
		put_help(out, f, meta_len, true);
	} else {
		put_help(out, f, name_len, false);
		put_type(out, f, name_len);
	}
	for (size_t i = 0; i < f->nsamples; i++)
		put_sample(out, f, name_len, f->samples[i]);
}

void
expo_render(struct expo *e, enum expo_format format, struct buf *out)
{
	(void)expo_sort(e);
	for (size_t i = 0; i < e->nfamilies; i++) {
		/* Go clients omit families without samples; so do we, to keep output stable. */
		if (e->families[i]->nsamples > 0)
			render_family(e->families[i], format, out);
	}
	if (format == EXPO_FORMAT_OPENMETRICS)
		buf_puts(out, "# EOF\n");
}
