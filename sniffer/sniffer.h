/* sniffer.h */
#ifndef SNIFF_SNIFFER_H
#define SNIFF_SNIFFER_H
#endif
