#include "common.h"

#include <arpa/inet.h>
#include <stdio.h>

static inline int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int sw_str_eq_ci(sw_str s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)s.p[i]) != lower((unsigned char)lit[i]))
			return 0;
	return 1;
}

int sw_str_eq_str_ci(sw_str a, sw_str b)
{
	if (a.len != b.len)
		return 0;
	for (uint32_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return 0;
	return 1;
}

static inline int is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

sw_str sw_str_trim(sw_str s)
{
	while (s.len && is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}

int sw_str_to_u64(sw_str s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s.len == 0)
		return -1;
	for (uint32_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9)
			return -1;
		if (d > max || v > (max - d) / 10) /* d > max: max - d would wrap */
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

char *sw_addr_str(const sw_addr *a, char *out, size_t cap)
{
	if (a->family == 4) {
		/* By hand: inet_ntop formats IPv4 with sprintf, and every EVE
		 * record prints two addresses. */
		char b[16];
		size_t n = 0;
		for (unsigned i = 0; i < 4; i++) {
			unsigned v = a->a[i];
			if (i)
				b[n++] = '.';
			if (v >= 100)
				b[n++] = (char)('0' + v / 100);
			if (v >= 10)
				b[n++] = (char)('0' + v / 10 % 10);
			b[n++] = (char)('0' + v % 10);
		}
		if (n < cap) {
			memcpy(out, b, n);
			out[n] = '\0';
		} else {
			snprintf(out, cap, "?");
		}
	} else if (a->family == 6) {
		if (!inet_ntop(AF_INET6, a->a, out, (socklen_t)cap))
			snprintf(out, cap, "?");
	} else if (cap) {
		out[0] = '\0';
	}
	return out;
}

int sw_addr_parse(sw_str s, sw_addr *out)
{
	char buf[64];
	memset(out, 0, sizeof(*out));
	if (s.len >= 2 && s.p[0] == '[' && s.p[s.len - 1] == ']') {
		s.p++;
		s.len -= 2;
	}
	if (s.len == 0 || s.len >= sizeof(buf))
		return -1;
	memcpy(buf, s.p, s.len);
	buf[s.len] = '\0';
	if (inet_pton(AF_INET, buf, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -1;
}

size_t sw_str_copy(char *out, size_t cap, sw_str s)
{
	size_t n;
	if (cap == 0)
		return 0;
	n = s.len < cap - 1 ? s.len : cap - 1;
	if (n)
		memcpy(out, s.p, n);
	out[n] = '\0';
	return n;
}
