/* corpus.h - a small reader for the test corpus' JSON-lines files
 * (/work/shared/corpus: filters/accept.jsonl, reject.jsonl, apply.jsonl).
 *
 *   struct corpus_file *f = corpus_open("filters/accept.jsonl");
 *   const struct corpus_case *c;
 *   while ((c = corpus_next(f)) != NULL) {
 *           const char *expr = corpus_str(c, "expr");
 *           long long opt;
 *           if (corpus_int(c, "optimize", &opt) == 0) ...
 *   }
 *   corpus_close(f);
 *
 * A case stays valid until the next corpus_next() or corpus_close().
 * Strings come back unescaped (\n, \t, \", \\, \uXXXX as UTF-8).
 */
#ifndef SNIFF_TESTS_CORPUS_H
#define SNIFF_TESTS_CORPUS_H

#include <stddef.h>

struct corpus_file;
struct corpus_case;

/* The corpus folder: $CORPUS, else SRCDIR "/../shared/corpus". */
const char *corpus_dir(void);

/* Open NAME relative to corpus_dir() (or an absolute path). NULL + errno. */
struct corpus_file *corpus_open(const char *name);
/* The next case, or NULL at the end or on a line that is not a JSON object
 * (corpus_error() then says which line and why). Blank lines are skipped. */
const struct corpus_case *corpus_next(struct corpus_file *f);
/* NULL while there has been no error, else "line N: what". */
const char *corpus_error(const struct corpus_file *f);
/* 1-based line number of the last case returned. */
int corpus_line(const struct corpus_file *f);
void corpus_close(struct corpus_file *f);

/* Field access. A missing field and JSON null both count as absent. */
int corpus_has(const struct corpus_case *c, const char *key);
/* The string value, or NULL when absent or not a string. */
const char *corpus_str(const struct corpus_case *c, const char *key);
/* 0 and *v for a number (or true/false as 1/0); -1 when absent or not one. */
int corpus_int(const struct corpus_case *c, const char *key, long long *v);
/* Arrays: the length (0 when absent or not an array) and the elements. */
size_t corpus_array_len(const struct corpus_case *c, const char *key);
const char *corpus_array_str(const struct corpus_case *c, const char *key, size_t i);
int corpus_array_int(const struct corpus_case *c, const char *key, size_t i, long long *v);

#endif /* SNIFF_TESTS_CORPUS_H */
