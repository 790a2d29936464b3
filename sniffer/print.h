/* print.h - printer context */
#ifndef SNIFF_PRINT_H
#define SNIFF_PRINT_H
#endif
