/*
 * json.h - the one JSON builder every EVE writer goes through.
 *
 * A reusable growable buffer; keys and strings are escaped per RFC 8259 and
 * bytes that are not valid UTF-8 are written as \u00XX of the byte value
 * (as Suricata does), so the output is always valid UTF-8 JSON. The all-zero
 * struct is a valid empty builder. Errors (allocation failure, nesting
 * deeper than JSON_MAX_DEPTH, misuse: closing more than was opened or the
 * wrong kind of container, a member without a key inside an object, a key
 * inside an array or at the top level, a second top-level value) set err
 * and make later calls no-ops; check err before using the text. The text
 * is one complete JSON value once every container is closed (depth 0).
 */
#ifndef SW_JSON_H
#define SW_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32

struct json_buf {
	char *buf;
	size_t len, cap;
	uint8_t first[JSON_MAX_DEPTH + 1]; /* no member written yet at this depth */
	int depth;
	int err;
	uint8_t is_array[JSON_MAX_DEPTH + 1]; /* container at this depth is an array */
	uint8_t top_used;                     /* the top-level value has begun */
};

void json_reset(struct json_buf *j);                 /* empty, keeps memory */
void json_free(struct json_buf *j);                  /* releases memory; zeroes */
void json_open_object(struct json_buf *j, const char *key); /* key NULL: top level / array element */
void json_close_object(struct json_buf *j);
void json_open_array(struct json_buf *j, const char *key);
void json_close_array(struct json_buf *j);
void json_set_str(struct json_buf *j, const char *key, const char *s);
void json_set_strn(struct json_buf *j, const char *key, const char *s, size_t n);
void json_set_uint(struct json_buf *j, const char *key, uint64_t v);
void json_set_int(struct json_buf *j, const char *key, int64_t v);
void json_set_bool(struct json_buf *j, const char *key, int v);
void json_append_str(struct json_buf *j, const char *s, size_t n); /* array element */
void json_append_uint(struct json_buf *j, uint64_t v);

/*
 * Writes ts_usec (microseconds since the epoch, UTC) in Suricata's format
 * "2026-11-24T02:32:06.123456+0000" into out. Returns the length, or -1 if
 * cap is too small (32 bytes always suffice).
 */
int json_ts_format(char *out, size_t cap, uint64_t ts_usec);

#endif
