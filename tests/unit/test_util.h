/*
 * test_util.h - helpers for sipwire's cmocka unit tests.
 *
 * guard_copy() places a copy of the input so that its last byte sits right
 * before a PROT_NONE page: a parser reading even one byte too far crashes
 * the test instead of passing by luck (picohttpparser's test.c trick).
 */
#ifndef SW_TEST_UTIL_H
#define SW_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

struct guard_buf {
	uint8_t *map;
	size_t map_len;
	const char *data; /* len bytes ending at the guard page */
	size_t len;
};

static inline const char *guard_copy(struct guard_buf *g, const void *src, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (len + pg - 1) / pg;
	if (data_pages == 0)
		data_pages = 1;
	g->map_len = (data_pages + 1) * pg;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	assert_int_equal(mprotect(g->map + data_pages * pg, pg, PROT_NONE), 0);
	uint8_t *dst = g->map + data_pages * pg - len;
	if (len)
		memcpy(dst, src, len);
	g->data = (const char *)dst;
	g->len = len;
	return g->data;
}

static inline void guard_free(struct guard_buf *g)
{
	if (g->map)
		munmap(g->map, g->map_len);
	memset(g, 0, sizeof(*g));
}

/* Reads a whole file; returns malloc'd bytes (caller frees) or NULL. */
static inline char *slurp_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

#endif
