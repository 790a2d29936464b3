/* filters/arena.c: not written yet */
typedef int sniff_stub_filters_arena_c;
