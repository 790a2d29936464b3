# ebpf/: classic -> eBPF translation, loader, eBPF dumps
noinst_HEADERS += ebpf/ebpf.h
libsniff_core_la_SOURCES += \
	ebpf/translate.c \
	ebpf/load.c \
	ebpf/dump.c
