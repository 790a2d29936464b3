/* compile.c - sniff_compile(): parse, generate, optimize, emit, validate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cbpf.h"

/* libbpf's rule for sized option structs: fields past the caller's sz read
 * as 0, and bytes we do not know must be 0 (a newer caller asking for a
 * feature this library lacks must not be silently ignored). */
int cb_copy_compile_opts(const struct sniff_compile_opts *in, struct sniff_compile_opts *out)
{
	memset(out, 0, sizeof(*out));
	if (!in)
		return 0;
	if (in->sz < sizeof(size_t))
		return -EINVAL;
	if (in->sz > sizeof(*out)) {
		const unsigned char *p = (const unsigned char *)in;

		for (size_t i = sizeof(*out); i < in->sz; i++)
			if (p[i])
				return -EINVAL;
	}
	memcpy(out, in, in->sz < sizeof(*out) ? in->sz : sizeof(*out));
	return 0;
}

static int fail(struct sniff_error *err, int rc, const char *msg)
{
	if (err) {
		memset(err, 0, sizeof(*err));
		strncpy(err->msg, msg, sizeof(err->msg) - 1);
	}
	return rc;
}

struct gen_opts cb_gen_opts(const struct sniff_compile_opts *o, int linktype,
			    const struct names_ctx *names)
{
	struct gen_opts go = {
		.linktype = linktype,
		.snaplen = o->snaplen ? o->snaplen : SNIFF_DEFAULT_SNAPLEN,
		.netmask = o->netmask ? o->netmask : SNIFF_NETMASK_UNKNOWN,
		.mode = o->mode,
		.names = names,
	};

	return go;
}

SNIFF_API int sniff_compile(const char *expr, int linktype,
			    const struct sniff_compile_opts *opts,
			    struct sniff_prog *prog, struct sniff_error *err)
{
	struct sniff_compile_opts o;
	struct names_ctx names;
	struct gen_opts go;
	struct arena a = { 0 };
	struct node *ast = NULL;
	struct cb_graph g;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!prog)
		return fail(err, -EINVAL, "no program to fill");
	prog->len = 0;
	prog->insns = NULL;
	if (cb_copy_compile_opts(opts, &o) < 0)
		return fail(err, -EINVAL, "compile options: unknown fields set (sz too large)");
	rc = filter_parse(expr ? expr : "", &a, &ast, err);
	if (rc < 0)
		goto out;
	names.dir = o.names_dir;
	go = cb_gen_opts(&o, linktype, &names);
	go.optimize = o.optimize;
	rc = cb_gen(ast, &go, &g, err);
	if (rc < 0)
		goto out;
	if (o.optimize) {
		rc = cb_optimize(&g);
		if (rc < 0) {
			cb_graph_free(&g);
			fail(err, rc, "optimizer failed");
			goto out;
		}
	}
	rc = cb_graph_emit(&g, prog);
	cb_graph_free(&g);
	if (rc < 0) {
		fail(err, rc, "cannot lay out the program (too large?)");
		goto out;
	}
	/* libpcap refuses an optimized filter that can match nothing */
	if (o.optimize && prog->len == 1 && prog->insns[0].code == (BPF_RET | BPF_K) &&
	    prog->insns[0].k == 0 && ast) {
		rc = filter_error(err, ast->pos, ast->len, "expression rejects all packets");
		sniff_prog_free(prog);
		goto out;
	}
	rc = cb_validate_max(prog->insns, prog->len, SNIFF_MAX_INSNS, err);
	if (rc < 0)
		sniff_prog_free(prog);
out:
	arena_free(&a);
	return rc;
}

SNIFF_API void sniff_prog_free(struct sniff_prog *prog)
{
	if (!prog)
		return;
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}
