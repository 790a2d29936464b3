# filters/: the pcap-filter(7) front end (lexer, parser, AST)
noinst_HEADERS += filters/filters.h
libsniff_core_la_SOURCES += \
	filters/arena.c \
	filters/error.c \
	filters/tokenize.c \
	filters/parse.c \
	filters/ast.c

# Parser tests (owner: parser); tests/corpus.[ch] is the shared JSON-lines reader.
check_PROGRAMS += tests/test_parse
TESTS += tests/test_parse
tests_test_parse_SOURCES = tests/test_parse.c tests/corpus.c tests/corpus.h
tests_test_parse_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_parse_CFLAGS = $(TEST_CFLAGS)
tests_test_parse_LDADD = $(TEST_LIBS)
