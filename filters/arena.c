/* arena.c - one compilation's tokens, nodes and strings live in one arena,
 * freed together, so the parser never tracks ownership on error paths. */
#include <errno.h>
#include <pthread.h>
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

/* A small filter's compile uses four arenas of a chunk or two each; a
 * malloc and a free for every one of them was a tenth of the whole compile.
 * So each thread keeps the small chunks it frees (bounded in number and
 * size) and hands them to the next arena; a thread's cache is freed when
 * the thread exits.  Sanitizer builds skip the cache, so that they still
 * see every use after free. */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_NO_CACHE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_NO_CACHE 1
#endif
#endif
#define ARENA_CACHE_CHUNKS 8
#define ARENA_CACHE_SIZE (4 * ARENA_CHUNK_MIN)

#ifndef ARENA_NO_CACHE
static __thread struct arena_chunk *chunk_cache;
static __thread unsigned chunk_cache_n;
static __thread int chunk_cache_armed;
static pthread_key_t chunk_cache_key;
static pthread_once_t chunk_cache_once = PTHREAD_ONCE_INIT;
static int chunk_cache_key_ok;

static void chunk_cache_release(void *unused)
{
	struct arena_chunk *c = chunk_cache;

	(void)unused;
	while (c) {
		struct arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	chunk_cache = NULL;
	chunk_cache_n = 0;
}

static void chunk_cache_key_init(void)
{
	chunk_cache_key_ok = pthread_key_create(&chunk_cache_key, chunk_cache_release) == 0;
}

/* A library that is unloaded must not leave threads a destructor that
 * points into it: their caches are then leaked instead (this thread's is
 * freed). */
__attribute__((destructor)) static void chunk_cache_unload(void)
{
	if (chunk_cache_key_ok)
		pthread_key_delete(chunk_cache_key);
	chunk_cache_key_ok = 0;
	chunk_cache_release(NULL);
}

/* A cached chunk of at least SIZE bytes, or NULL. */
static struct arena_chunk *chunk_cache_get(size_t size)
{
	struct arena_chunk **pc, *c;

	for (pc = &chunk_cache; (c = *pc); pc = &c->next)
		if (c->size >= size) {
			*pc = c->next;
			chunk_cache_n--;
			return c;
		}
	return NULL;
}

/* Keep C for this thread's next arena; 0 when it must be freed instead. */
static int chunk_cache_put(struct arena_chunk *c)
{
	if (c->size > ARENA_CACHE_SIZE || chunk_cache_n >= ARENA_CACHE_CHUNKS)
		return 0;
	if (!chunk_cache_armed) {
		/* the key's destructor frees the cache at thread exit: it runs
		 * only for threads that set a value */
		pthread_once(&chunk_cache_once, chunk_cache_key_init);
		if (!chunk_cache_key_ok || pthread_setspecific(chunk_cache_key, &chunk_cache))
			return 0;
		chunk_cache_armed = 1;
	}
	c->next = chunk_cache;
	chunk_cache = c;
	chunk_cache_n++;
	return 1;
}
#else
static struct arena_chunk *chunk_cache_get(size_t size)
{
	(void)size;
	return NULL;
}

static int chunk_cache_put(struct arena_chunk *c)
{
	(void)c;
	return 0;
}
#endif

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
	c = size <= ARENA_CACHE_SIZE ? chunk_cache_get(size) : NULL;
	if (!c) {
		c = malloc(sizeof(*c) + size);
		if (!c) {
			errno = ENOMEM;
			return NULL;
		}
		c->size = size;
	}
	size = c->size;
	c->next = a->head;
	a->head = c;
	a->cur = (char *)c->data + need;
	a->end = (char *)c->data + size;
	return c->data;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	/* not zeroed: every byte is written below */
	char *d = arena_alloc_raw(a, n + 1);

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

		if (!chunk_cache_put(c))
			free(c);
		c = next;
	}
	a->head = NULL;
	a->cur = a->end = NULL;
}
