/* error.c - errors that point at the place in the filter text. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "filters/filters.h"

int filter_error(struct sniff_error *err, int pos, int len, const char *fmt, ...)
{
	va_list ap;

	/* sniff_compile() accepts a NULL err: the caller only wants -EINVAL */
	if (!err)
		return -EINVAL;
	err->column = pos >= 0 ? pos + 1 : 0;
	err->length = pos >= 0 ? (len > 0 ? len : 1) : 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

SNIFF_API void sniff_error_print(FILE *out, const char *prefix, const char *expr,
				 const struct sniff_error *err)
{
	int col, len, i, n;

	if (!out || !err)
		return;
	if (!prefix)
		prefix = "sniff";
	if (err->column <= 0 || !expr) {
		fprintf(out, "%s: %s\n", prefix, err->msg);
		return;
	}
	fprintf(out, "%s: filter error at column %d: %s\n", prefix, err->column, err->msg);
	fprintf(out, "  %s\n  ", expr);
	n = (int)strlen(expr);
	col = err->column - 1;
	len = err->length > 0 ? err->length : 1;
	/* Tabs stay tabs so the caret lines up under the same glyphs. */
	for (i = 0; i < col; i++)
		fputc(i < n && expr[i] == '\t' ? '\t' : ' ', out);
	for (i = 0; i < len; i++)
		fputc('^', out);
	fputc('\n', out);
}
