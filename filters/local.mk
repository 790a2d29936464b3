# filters/: the pcap-filter(7) front end (lexer, parser, AST)
noinst_HEADERS += filters/filters.h
libsniff_core_la_SOURCES += \
	filters/arena.c \
	filters/error.c \
	filters/tokenize.c \
	filters/parse.c \
	filters/ast.c
