#!/bin/sh
# embed.sh NAME FILE... - print a C file defining
#   const char *const NAME[] = { "<FILE1 text>", "<FILE2 text>", ..., 0 };
# The files are the numbered migrations, in order; migration N is NAME[N-1].
name=$1; shift
echo "/* Generated from schema/ by schema/embed.sh; do not edit. */"
echo "const char *const $name[] = {"
for f in "$@"; do
	echo "/* $f */"
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$f"
	echo ","
done
echo "0 };"
