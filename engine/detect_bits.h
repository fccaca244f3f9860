/*
 * detect_bits.h - the xbits table (flowbits live in struct flow); the
 * keywords themselves register through detect_bits_register().
 */
#ifndef SW_DETECT_BITS_H
#define SW_DETECT_BITS_H

#include <stdint.h>

struct xbits_table;

/* A table of at most max bits (NULL when out of memory). */
struct xbits_table *xbits_table_create(uint32_t max);
void xbits_table_free(struct xbits_table *t);
/* Bits dropped to make room (the oldest set first). */
uint64_t xbits_table_evicted(struct xbits_table *t);

#endif
