#!/bin/sh
# Generate ./configure from configure.ac and Makefile.am (needs autoconf,
# automake, libtool and pkg-config).
set -e
cd "$(dirname "$0")"
autoreconf --install --force
