/* errors.c - the library's one log path, error texts and version. */
#include "config.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *sniff_version(void)
{
	return STR(SNIFF_VERSION_MAJOR) "." STR(SNIFF_VERSION_MINOR) "." STR(SNIFF_VERSION_PATCH);
}

const char *sniff_strerror(int err)
{
	/* Callers pass either -errno (our return convention) or errno. */
	static _Thread_local char unknown[48];
	const char *s;

	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	/* strerrordesc_np never touches shared buffers and ignores the locale,
	 * so the text is stable for tests and safe from any thread. */
	s = strerrordesc_np(err);
	if (s)
		return s;
	snprintf(unknown, sizeof(unknown), "Unknown error %d", err);
	return unknown;
}

static void log_default(enum sniff_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level > SNIFF_LOG_WARN)
		return;
	fprintf(stderr, "sniff: %s%s\n", level == SNIFF_LOG_ERROR ? "" : "warning: ", msg);
}

static sniff_log_fn log_fn = log_default;
static void *log_ctx;
/* Worker threads log too (each its own socket's error, at the same moment):
 * the callback sees one message at a time, as from a single thread.
 * Recursive: a callback that calls back into the library may log again. */
static pthread_mutex_t log_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

void sniff_set_log(sniff_log_fn fn, void *ctx)
{
	pthread_mutex_lock(&log_mu);
	log_fn = fn ? fn : log_default;
	log_ctx = fn ? ctx : NULL;
	pthread_mutex_unlock(&log_mu);
}

void lib_log(enum sniff_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_mu);
	log_fn(level, msg, log_ctx);
	pthread_mutex_unlock(&log_mu);
	/* Logging must never change the errno a caller is about to return. */
	errno = saved;
}
