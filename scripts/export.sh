#!/bin/bash
# make export: patches/ := base..HEAD of build/linux, reproducibly
# (zeroed commit ids, no signature, author dates from the commits).
. "$(dirname "$0")/lib.sh"
W=$BUILD/linux
[ -d "$W/.git" ] || die "no build/linux: run 'make tree'"
[ -z "$(git -C "$W" status --porcelain -uno)" ] ||
	die "build/linux has uncommitted changes: commit them first"
tmp=$(mktemp -d)
git -C "$W" format-patch -q --zero-commit --no-signature --no-cover-letter \
	--subject-prefix=PATCH -o "$tmp" base..HEAD
find "$TOP/patches" -name '[0-9]*.patch' ! -name '0000-*' -delete
mv "$tmp"/*.patch "$TOP/patches/" 2>/dev/null || true
rmdir "$tmp"
tree_patch_ids "$W" >"$W/.git/exported-ids"
say "exported $(series_files | wc -l) patches to patches/"
