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
