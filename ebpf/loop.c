/* ebpf/loop.c - filters with `protochain` for the kernel: the chain walked
 * in a loop instead of unrolled.
 *
 * Classic BPF has no backward jumps, so sniff_compile unrolls the walk into
 * ~2,800 instructions (cbpf/gen-protochain.c). eBPF has bounded loops: here
 * the generator emits the walk once (gen_opts.protochain_loop), with a counter in
 * M[] that ends it after as many rounds as the unrolled form has, so both
 * decide alike; eb_translate takes the backward `ja` with EB_F_LOOP and the
 * verifier sees the counter bound the loop. The program is not optimized
 * (the optimizer works on acyclic graphs; libpcap does not optimize
 * protochain either), and the classic form (-d, SO_ATTACH_FILTER, -r) stays
 * the unrolled one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf.h"
#include "../cbpf/cbpf.h"
#include "../cbpf/gen.h"

static int has_backward_ja(const struct sniff_prog *p)
{
	for (unsigned pc = 0; pc < p->len; pc++)
		if (p->insns[pc].code == (BPF_JMP | BPF_JA) && pc + 1 + p->insns[pc].k <= pc)
			return 1;
	return 0;
}

int eb_protochain_classic(const char *expr, int linktype, const struct sniff_compile_opts *opts,
			  struct sniff_prog *prog, struct sniff_error *err)
{
	struct sniff_compile_opts o;
	struct arena a = { 0 };
	struct names_ctx names;
	struct gen_opts go;
	struct node *ast = NULL;
	struct cb_graph g;
	int rc;

	if (err)
		memset(err, 0, sizeof(*err));
	prog->len = 0;
	prog->insns = NULL;
	if (!expr || !strstr(expr, "protochain"))
		return -ENOENT;
	if (cb_copy_compile_opts(opts, &o) < 0)
		return -EINVAL;
	rc = filter_parse(expr, &a, &ast, err);
	if (rc < 0)
		goto out;
	names.dir = o.names_dir;
	go = cb_gen_opts(&o, linktype, &names);
	go.protochain_loop = 1;
	rc = cb_gen(ast, &go, &g, err);
	if (rc < 0)
		goto out;
	rc = cb_graph_emit(&g, prog);
	cb_graph_free(&g);
	if (rc == 0 && !has_backward_ja(prog)) {
		/* "protochain" was a name, not the primitive */
		sniff_prog_free(prog);
		rc = -ENOENT;
	}
out:
	arena_free(&a);
	return rc;
}

int eb_protochain_compile(const char *expr, int linktype, const struct sniff_compile_opts *opts,
			  struct sniff_ebpf_prog *out, struct sniff_error *err)
{
	struct sniff_prog p = { 0 };
	int rc = eb_protochain_classic(expr, linktype, opts, &p, err);

	if (rc < 0)
		return rc;
	rc = eb_translate_ex(p.insns, p.len, EB_F_LOOP | EB_F_NO_DIRECT | eb_compile_flags(opts), out,
			     err);
	sniff_prog_free(&p);
	return rc;
}
