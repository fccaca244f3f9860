/*
 * json.c - the EVE JSON builder (json.h): a growable buffer, RFC 8259
 * escaping with invalid UTF-8 bytes written as \u00XX, and a small
 * container stack that turns misuse into err instead of invalid JSON.
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int grow(struct json_buf *j, size_t need)
{
	size_t ncap;
	char *nb;
	if (j->err)
		return -1;
	if (j->len + need + 1 <= j->cap)
		return 0;
	ncap = j->cap ? j->cap : 1024;
	while (ncap < j->len + need + 1) {
		if (ncap > ((size_t)1 << 30)) {
			j->err = 1;
			return -1;
		}
		ncap *= 2;
	}
	nb = realloc(j->buf, ncap);
	if (!nb) {
		j->err = 1;
		return -1;
	}
	j->buf = nb;
	j->cap = ncap;
	return 0;
}

/* Records are built from many small pieces: the common case (room left)
 * stays inline, growing is the exception. */
static inline void put(struct json_buf *j, const char *s, size_t n)
{
	if (j->err || j->len + n + 1 > j->cap) {
		if (grow(j, n) != 0)
			return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static inline void putc1(struct json_buf *j, char c)
{
	if (j->err || j->len + 2 > j->cap) {
		if (grow(j, 1) != 0)
			return;
	}
	j->buf[j->len++] = c;
	j->buf[j->len] = '\0';
}

/* 1 for the bytes a JSON string can hold as they are (printable ASCII but
 * '"' and '\\'). */
static const uint8_t json_plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1, [0x7f] = 1,
};

/* 1 if the 8 bytes at s are all plain (json_plain), tested a word at a
 * time: no byte below 0x20 or above 0x7f, none '"' or '\\'. */
static inline int plain8(const unsigned char *s)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t x, q, b;
	memcpy(&x, s, 8);
	q = x ^ (ones * '"');
	b = x ^ (ones * '\\');
	/* (v - ones * k) & ~v & highs is nonzero iff some byte of v is below k
	 * (k <= 0x80); a byte equal to c is a zero byte of x ^ (ones * c). */
	return !(((x - ones * 0x20) & ~x & highs) | (x & highs) | ((q - ones) & ~q & highs) |
	         ((b - ones) & ~b & highs));
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		if (n >= 2 && (s[1] & 0xc0) == 0x80)
			return 2;
		return 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0) /* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0) /* surrogates */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90) /* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90) /* > U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

static void put_escaped(struct json_buf *j, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	putc1(j, '"');
	while (i < n) {
		unsigned c = s[i];
		size_t l;
		if (json_plain[c]) {
			/* Copy runs of plain ASCII in one go. */
			run = i;
			while (n - i >= 8 && plain8(s + i))
				i += 8;
			while (i < n && json_plain[s[i]])
				i++;
			put(j, (const char *)s + run, i - run);
			continue;
		}
		switch (c) {
		case '"':
			put(j, "\\\"", 2);
			i++;
			continue;
		case '\\':
			put(j, "\\\\", 2);
			i++;
			continue;
		case '\n':
			put(j, "\\n", 2);
			i++;
			continue;
		case '\r':
			put(j, "\\r", 2);
			i++;
			continue;
		case '\t':
			put(j, "\\t", 2);
			i++;
			continue;
		default:
			break;
		}
		l = c < 0x20 ? 0 : utf8_len(s + i, n - i);
		if (l == 0) {
			char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			put(j, e, 6);
			i++;
		} else {
			put(j, (const char *)s + i, l);
			i += l;
		}
	}
	putc1(j, '"');
}

/* "key": for keys, nearly always short plain literals: copied as they are
 * in one pass when plain, escaped like any string otherwise. */
static void put_key(struct json_buf *j, const char *key)
{
	size_t n = 0;
	while (key[n] && json_plain[(unsigned char)key[n]])
		n++;
	if (key[n]) {
		put_escaped(j, key, strlen(key));
		putc1(j, ':');
		return;
	}
	if (j->err || j->len + n + 4 > j->cap) {
		if (grow(j, n + 3) != 0)
			return;
	}
	char *o = j->buf + j->len;
	o[0] = '"';
	memcpy(o + 1, key, n);
	o[n + 1] = '"';
	o[n + 2] = ':';
	o[n + 3] = '\0';
	j->len += n + 3;
}

/* Comma and key before a member (or before an array element). */
static void member(struct json_buf *j, const char *key)
{
	if (j->err)
		return;
	/* Objects take keyed members, arrays and the top level bare values;
	 * the top level holds one value. Anything else would be invalid JSON. */
	int want_key = j->depth > 0 && !j->is_array[j->depth];
	if ((key != NULL) != want_key || (j->depth == 0 && j->top_used)) {
		j->err = 1;
		return;
	}
	if (j->depth == 0)
		j->top_used = 1;
	if (j->depth > 0) {
		if (!j->first[j->depth])
			putc1(j, ',');
		j->first[j->depth] = 0;
	}
	if (key)
		put_key(j, key);
}

void json_reset(struct json_buf *j)
{
	j->len = 0;
	j->depth = 0;
	j->err = 0;
	j->top_used = 0;
	if (j->buf)
		j->buf[0] = '\0';
}

void json_free(struct json_buf *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

static void open_any(struct json_buf *j, const char *key, char c)
{
	member(j, key);
	if (j->err)
		return;
	if (j->depth >= JSON_MAX_DEPTH) {
		j->err = 1;
		return;
	}
	putc1(j, c);
	j->depth++;
	j->first[j->depth] = 1;
	j->is_array[j->depth] = c == '[';
}

static void close_any(struct json_buf *j, char c)
{
	if (j->err)
		return;
	if (j->depth <= 0 || j->is_array[j->depth] != (c == ']')) {
		j->err = 1;
		return;
	}
	putc1(j, c);
	j->depth--;
}

void json_open_object(struct json_buf *j, const char *key)
{
	open_any(j, key, '{');
}

void json_close_object(struct json_buf *j)
{
	close_any(j, '}');
}

void json_open_array(struct json_buf *j, const char *key)
{
	open_any(j, key, '[');
}

void json_close_array(struct json_buf *j)
{
	close_any(j, ']');
}

void json_set_strn(struct json_buf *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	if (!j->err)
		put_escaped(j, s ? s : "", s ? n : 0);
}

void json_set_str(struct json_buf *j, const char *key, const char *s)
{
	json_set_strn(j, key, s, s ? strlen(s) : 0);
}

/* Decimal digits of v at the end of b[0..24); returns where they start
 * (records are mostly numbers: snprintf's format parsing showed in profiles). */
static char *u64_dec(char b[24], uint64_t v)
{
	char *p = b + 24;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

void json_set_uint(struct json_buf *j, const char *key, uint64_t v)
{
	char b[24], *p = u64_dec(b, v);
	member(j, key);
	if (!j->err)
		put(j, p, (size_t)(b + 24 - p));
}

void json_set_int(struct json_buf *j, const char *key, int64_t v)
{
	char b[24], *p = u64_dec(b, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
	if (v < 0)
		*--p = '-';
	member(j, key);
	if (!j->err)
		put(j, p, (size_t)(b + 24 - p));
}

void json_set_bool(struct json_buf *j, const char *key, int v)
{
	member(j, key);
	if (j->err)
		return;
	if (v)
		put(j, "true", 4);
	else
		put(j, "false", 5);
}

void json_append_str(struct json_buf *j, const char *s, size_t n)
{
	json_set_strn(j, NULL, s, n);
}

void json_append_uint(struct json_buf *j, uint64_t v)
{
	json_set_uint(j, NULL, v);
}

int json_ts_format(char *out, size_t cap, uint64_t ts_usec)
{
	/* The date and time of day change once a second; the records of one
	 * second share them (per thread). */
	static __thread uint64_t cached_sec = UINT64_MAX;
	static __thread char cached[32];
	static __thread int cached_n;
	uint64_t sec = ts_usec / 1000000ULL;
	unsigned us = (unsigned)(ts_usec % 1000000ULL);
	if (sec != cached_sec) {
		time_t t = (time_t)sec;
		struct tm tm;
		if (!gmtime_r(&t, &tm))
			memset(&tm, 0, sizeof(tm));
		cached_n = snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d.",
		                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		                    tm.tm_min, tm.tm_sec);
		if (cached_n < 0 || cached_n >= (int)sizeof(cached))
			return -1;
		cached_sec = sec;
	}
	/* + 6 digits of microseconds + "+0000" + NUL */
	if ((size_t)cached_n + 12 > cap)
		return -1;
	memcpy(out, cached, (size_t)cached_n);
	for (int i = 5; i >= 0; i--) {
		out[cached_n + i] = (char)('0' + us % 10);
		us /= 10;
	}
	memcpy(out + cached_n + 6, "+0000", 6);
	return cached_n + 11;
}
