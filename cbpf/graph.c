/* cbpf/graph.c: not written yet */
typedef int sniff_stub_cbpf_graph_c;
