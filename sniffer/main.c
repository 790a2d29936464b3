#include <stdio.h>
int main(void) { puts("sniff: not written yet"); return 1; }
