/* filters/ast.c: not written yet */
typedef int sniff_stub_filters_ast_c;
