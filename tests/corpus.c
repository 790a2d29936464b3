/* corpus.c - JSON-lines reader for the test corpus (see corpus.h).
 * Each line is parsed into a small tree of values; nested objects and
 * arrays are read so any line parses, but only top-level fields are looked up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/corpus.h"

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype type;
	long long num;
	char *str;
	size_t n;            /* ARR/OBJ: element count */
	struct jval *items;  /* ARR/OBJ elements */
	char **keys;         /* OBJ keys */
};

struct corpus_case {
	struct jval obj;
};

struct corpus_file {
	FILE *fp;
	char *line;
	size_t cap;
	int lineno;
	struct corpus_case cur;
	char err[160];
};

static void jfree(struct jval *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	memset(v, 0, sizeof(*v));
}

static void skip_ws(const char **s)
{
	while (**s == ' ' || **s == '\t' || **s == '\r' || **s == '\n')
		(*s)++;
}

static void put_utf8(char **o, unsigned cp)
{
	if (cp < 0x80) {
		*(*o)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*o)++ = (char)(0xc0 | cp >> 6);
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*o)++ = (char)(0xe0 | cp >> 12);
		*(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*o)++ = (char)(0x80 | (cp & 0x3f));
	}
}

static int parse_string(const char **s, char **out)
{
	const char *p = *s + 1;
	char *buf, *o;

	/* the unescaped text is never longer than the escaped one */
	buf = malloc(strlen(p) + 1);
	if (!buf)
		return -1;
	o = buf;
	while (*p && *p != '"') {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'r': *o++ = '\r'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'u': {
			unsigned cp = 0;
			int i;

			for (i = 1; i <= 4; i++) {
				char c = p[i];

				cp <<= 4;
				if (c >= '0' && c <= '9')
					cp |= (unsigned)(c - '0');
				else if (c >= 'a' && c <= 'f')
					cp |= (unsigned)(c - 'a' + 10);
				else if (c >= 'A' && c <= 'F')
					cp |= (unsigned)(c - 'A' + 10);
				else
					goto bad;
			}
			put_utf8(&o, cp);
			p += 4;
			break;
		}
		case '\0':
			goto bad;
		default: /* \" \\ \/ */
			*o++ = *p;
			break;
		}
		p++;
	}
	if (*p != '"')
		goto bad;
	*o = '\0';
	*out = buf;
	*s = p + 1;
	return 0;
bad:
	free(buf);
	return -1;
}

static int parse_value(const char **s, struct jval *v, int depth);

static int parse_container(const char **s, struct jval *v, int depth, char close)
{
	size_t cap = 0;

	(*s)++;
	skip_ws(s);
	if (**s == close) {
		(*s)++;
		return 0;
	}
	for (;;) {
		if (v->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct jval *items = realloc(v->items, ncap * sizeof(*items));

			if (!items)
				return -1;
			v->items = items;
			if (close == '}') {
				char **keys = realloc(v->keys, ncap * sizeof(*keys));

				if (!keys)
					return -1;
				v->keys = keys;
			}
			cap = ncap;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (close == '}') {
			v->keys[v->n] = NULL;
			skip_ws(s);
			if (**s != '"' || parse_string(s, &v->keys[v->n]) < 0) {
				v->n++;
				return -1;
			}
			skip_ws(s);
			if (**s != ':') {
				v->n++;
				return -1;
			}
			(*s)++;
		}
		v->n++;
		if (parse_value(s, &v->items[v->n - 1], depth + 1) < 0)
			return -1;
		skip_ws(s);
		if (**s == ',') {
			(*s)++;
			continue;
		}
		if (**s == close) {
			(*s)++;
			return 0;
		}
		return -1;
	}
}

static int parse_value(const char **s, struct jval *v, int depth)
{
	char *end;

	if (depth > 64)
		return -1;
	skip_ws(s);
	switch (**s) {
	case '"':
		v->type = J_STR;
		return parse_string(s, &v->str);
	case '{':
		v->type = J_OBJ;
		return parse_container(s, v, depth, '}');
	case '[':
		v->type = J_ARR;
		return parse_container(s, v, depth, ']');
	case 't':
		v->type = J_BOOL;
		v->num = 1;
		if (strncmp(*s, "true", 4))
			return -1;
		*s += 4;
		return 0;
	case 'f':
		v->type = J_BOOL;
		if (strncmp(*s, "false", 5))
			return -1;
		*s += 5;
		return 0;
	case 'n':
		v->type = J_NULL;
		if (strncmp(*s, "null", 4))
			return -1;
		*s += 4;
		return 0;
	default:
		v->type = J_NUM;
		errno = 0;
		v->num = strtoll(*s, &end, 10);
		if (end == *s || errno)
			return -1;
		/* fractions and exponents are kept as their integer part */
		if (*end == '.' || *end == 'e' || *end == 'E')
			strtod(*s, &end);
		*s = end;
		return 0;
	}
}

const char *corpus_dir(void)
{
	const char *d = getenv("CORPUS");

	if (d && *d)
		return d;
#ifdef SRCDIR
	return SRCDIR "/../shared/corpus";
#else
	return "../shared/corpus";
#endif
}

struct corpus_file *corpus_open(const char *name)
{
	struct corpus_file *f = calloc(1, sizeof(*f));
	char path[4096];

	if (!f)
		return NULL;
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", corpus_dir(), name);
	f->fp = fopen(path, "r");
	if (!f->fp) {
		int e = errno;

		free(f);
		errno = e;
		return NULL;
	}
	return f;
}

const struct corpus_case *corpus_next(struct corpus_file *f)
{
	ssize_t n;

	jfree(&f->cur.obj);
	while ((n = getline(&f->line, &f->cap, f->fp)) >= 0) {
		const char *s = f->line;

		f->lineno++;
		skip_ws(&s);
		if (!*s)
			continue;
		if (*s != '{' || parse_value(&s, &f->cur.obj, 0) < 0 ||
		    (skip_ws(&s), *s != '\0')) {
			jfree(&f->cur.obj);
			snprintf(f->err, sizeof(f->err), "line %d: not a JSON object", f->lineno);
			return NULL;
		}
		return &f->cur;
	}
	return NULL;
}

const char *corpus_error(const struct corpus_file *f)
{
	return f->err[0] ? f->err : NULL;
}

int corpus_line(const struct corpus_file *f)
{
	return f->lineno;
}

void corpus_close(struct corpus_file *f)
{
	if (!f)
		return;
	jfree(&f->cur.obj);
	if (f->fp)
		fclose(f->fp);
	free(f->line);
	free(f);
}

static const struct jval *field(const struct corpus_case *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->obj.n; i++)
		if (strcmp(c->obj.keys[i], key) == 0)
			return c->obj.items[i].type == J_NULL ? NULL : &c->obj.items[i];
	return NULL;
}

int corpus_has(const struct corpus_case *c, const char *key)
{
	return field(c, key) != NULL;
}

const char *corpus_str(const struct corpus_case *c, const char *key)
{
	const struct jval *v = field(c, key);

	return v && v->type == J_STR ? v->str : NULL;
}

static int jint(const struct jval *v, long long *out)
{
	if (!v || (v->type != J_NUM && v->type != J_BOOL))
		return -1;
	*out = v->num;
	return 0;
}

int corpus_int(const struct corpus_case *c, const char *key, long long *v)
{
	return jint(field(c, key), v);
}

size_t corpus_array_len(const struct corpus_case *c, const char *key)
{
	const struct jval *v = field(c, key);

	return v && v->type == J_ARR ? v->n : 0;
}

const char *corpus_array_str(const struct corpus_case *c, const char *key, size_t i)
{
	const struct jval *v = field(c, key);

	if (!v || v->type != J_ARR || i >= v->n || v->items[i].type != J_STR)
		return NULL;
	return v->items[i].str;
}

int corpus_array_int(const struct corpus_case *c, const char *key, size_t i, long long *out)
{
	const struct jval *v = field(c, key);

	if (!v || v->type != J_ARR || i >= v->n)
		return -1;
	return jint(&v->items[i], out);
}
