/*
 * common.h - types and helpers shared by every sipwire module.
 *
 * sw_str is the zero-copy view used by every parser: a pointer into the
 * caller's packet or reassembly buffer plus a length. It is never
 * NUL-terminated; compare with the helpers below.
 */
#ifndef SW_COMMON_H
#define SW_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SW_MAX(a, b) ((a) > (b) ? (a) : (b))
#define sw_likely(x) __builtin_expect(!!(x), 1)
#define sw_unlikely(x) __builtin_expect(!!(x), 0)
#define SW_UNUSED __attribute__((unused))

/* A view into someone else's buffer. The all-zero value is the empty view. */
typedef struct sw_str {
	const char *p;
	uint32_t len;
} sw_str;

#define SW_STR_LIT(s) ((sw_str){ (s), (uint32_t)(sizeof(s) - 1) })

static inline sw_str sw_str_make(const void *p, size_t len)
{
	sw_str s = { (const char *)p, (uint32_t)len };
	return s;
}

/* 1 if s equals the NUL-terminated lit exactly (case-sensitive). */
static inline int sw_str_eq(sw_str s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* 1 if s equals lit ignoring ASCII case. */
int sw_str_eq_ci(sw_str s, const char *lit);
/* 1 if a and b are equal ignoring ASCII case. */
int sw_str_eq_str_ci(sw_str a, sw_str b);
/* Trims SP/HTAB/CR/LF from both ends. */
sw_str sw_str_trim(sw_str s);
/*
 * Parses an unsigned decimal number filling the whole view. Returns 0 and
 * stores it in *out, or -1 on empty input, a non-digit or overflow past max.
 */
int sw_str_to_u64(sw_str s, uint64_t max, uint64_t *out);

/* Packet time: microseconds since the Unix epoch, always from the packet. */
typedef uint64_t sw_time;
#define SW_USEC_PER_SEC 1000000ULL

/* An IPv4 or IPv6 address. IPv4 lives in a[0..3]; the rest stays zero. */
typedef struct sw_addr {
	uint8_t family; /* 0 = none, 4 or 6 */
	uint8_t a[16];
} sw_addr;

static inline int sw_addr_eq(const sw_addr *x, const sw_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, 16) == 0;
}

/* Writes the textual form (inet_ntop style) into out; returns out. */
char *sw_addr_str(const sw_addr *a, char *out, size_t cap);
#define SW_ADDR_STRLEN 46
/* Parses a textual IPv4/IPv6 address (IPv6 may be in [brackets]). 0 or -1. */
int sw_addr_parse(sw_str s, sw_addr *out);

/* 64-bit FNV-1a, used for hash tables and deterministic ids. */
static inline uint64_t sw_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = (const uint8_t *)p;
	if (h == 0)
		h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Final avalanche so low bits are usable as a bucket index. */
static inline uint64_t sw_hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * Copies at most cap-1 bytes of s into out and NUL-terminates; returns the
 * number of bytes copied. Used where state must outlive the packet.
 */
size_t sw_str_copy(char *out, size_t cap, sw_str s);

#endif
