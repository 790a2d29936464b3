/* lib.h - capture engine internals */
#ifndef SNIFF_LIB_H
#define SNIFF_LIB_H
#include "sniff.h"
#endif
