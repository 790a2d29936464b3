# cbpf/: classic BPF (generation, optimizer, validator, interpreter, dumps)
noinst_HEADERS += cbpf/cbpf.h
libsniff_core_la_SOURCES += \
	cbpf/graph.c \
	cbpf/gen.c \
	cbpf/names.c \
	cbpf/opt.c \
	cbpf/validate.c \
	cbpf/interp.c \
	cbpf/dump.c \
	cbpf/asm.c \
	cbpf/compile.c

# optimizer internals and tests (owner: graph.c/opt.c)
noinst_HEADERS += cbpf/opt.h
libsniff_core_la_SOURCES += cbpf/opt-vn.c cbpf/opt-fwd.c cbpf/opt-bwd.c \
	cbpf/opt-chain.c
check_PROGRAMS += tests/test_opt
TESTS += tests/test_opt
tests_test_opt_SOURCES = tests/test_opt.c
tests_test_opt_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_opt_CFLAGS = $(TEST_CFLAGS)
tests_test_opt_LDADD = $(TEST_LIBS)

# the optimizer built with -DSNIFF_OPT_CHECK: every pass it would skip is run
# and must find nothing (its objects stand in for the library's)
check_PROGRAMS += tests/test_opt_closed
TESTS += tests/test_opt_closed
tests_test_opt_closed_SOURCES = tests/test_opt_closed.c tests/corpus.c tests/corpus.h \
	cbpf/opt.c cbpf/opt-vn.c cbpf/opt-fwd.c cbpf/opt-bwd.c cbpf/opt-chain.c
tests_test_opt_closed_CPPFLAGS = $(TEST_CPPFLAGS) -DSNIFF_OPT_CHECK
tests_test_opt_closed_CFLAGS = $(TEST_CFLAGS)
tests_test_opt_closed_LDADD = $(TEST_LIBS)

# cbpf tools tests (validator, interpreter, dumps, assembler)
check_PROGRAMS += tests/test_cbpf
TESTS += tests/test_cbpf
tests_test_cbpf_SOURCES = tests/test_cbpf.c
tests_test_cbpf_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_cbpf_CFLAGS = $(TEST_CFLAGS)
tests_test_cbpf_LDADD = $(TEST_LIBS)

# code generator (owner: gen): AST -> graph, names, sniff_compile()
noinst_HEADERS += cbpf/gen.h
libsniff_core_la_SOURCES += \
	cbpf/gen-load.c \
	cbpf/gen-link.c \
	cbpf/gen-ip.c \
	cbpf/gen-ports.c \
	cbpf/gen-lists.c \
	cbpf/gen-arith.c \
	cbpf/gen-encap.c \
	cbpf/gen-protochain.c
check_PROGRAMS += tests/test_gen
TESTS += tests/test_gen
tests_test_gen_SOURCES = tests/test_gen.c tests/corpus.c tests/corpus.h tests/packets.c tests/packets.h
tests_test_gen_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_gen_CFLAGS = $(TEST_CFLAGS)
tests_test_gen_LDADD = $(TEST_LIBS)
