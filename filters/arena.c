/* arena.c - one compilation's tokens, nodes and strings live in one arena,
 * freed together, so the parser never tracks ownership on error paths. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "filters/filters.h"

#define ARENA_CHUNK_MIN 4096
#define ARENA_CHUNK_MAX (1u << 20)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	/* max_align_t keeps the payload aligned for any node type */
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_raw(a, n);

	if (p)
		memset(p, 0, n);
	return p;
}

/* A new chunk for N bytes, which becomes the one arena_alloc_raw() takes
 * from (the rest of the previous one is left unused). */
void *arena_alloc_chunk(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	/* doubling chunks: a 10,000-host filter takes a few dozen mallocs */
	size_t size = c ? 2 * c->size : ARENA_CHUNK_MIN;

	if (need < n) {
		errno = ENOMEM;
		return NULL;
	}
	if (size > ARENA_CHUNK_MAX)
		size = ARENA_CHUNK_MAX;
	if (size < need)
		size = need;
	c = malloc(sizeof(*c) + size);
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->size = size;
	c->next = a->head;
	a->head = c;
	a->cur = (char *)c->data + need;
	a->end = (char *)c->data + size;
	return c->data;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_alloc(a, n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

struct arena *arena_new(void)
{
	struct arena tmp = { 0 };
	struct arena *a = arena_alloc(&tmp, sizeof(*a));

	if (a)
		*a = tmp;
	return a;
}

void arena_delete(struct arena *a)
{
	struct arena tmp;

	if (!a)
		return;
	tmp = *a;	/* A lives in its own first chunk */
	arena_free(&tmp);
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;

	while (c) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
	a->cur = a->end = NULL;
}
