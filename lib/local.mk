# lib/: the capture engine and the rest of the public API
noinst_HEADERS += lib/lib.h
libsniff_core_la_SOURCES += \
	lib/errors.c \
	lib/linktype.c \
	lib/capture.c \
	lib/offline.c \
	lib/dumper.c
