#!/bin/bash
# make check: static checks of the series.
#  1. checkpatch --strict: no errors; warnings only if allow-listed.
#  2. git am of the series on base, and a kernel build at every step.
#  3. sparse (C=2) on the touched .c files: no warnings beyond the base's.
#  4. headers_install with the touched uAPI headers.
. "$(dirname "$0")/lib.sh"

W=$BUILD/linux
C=$BUILD/check
fail=0
bad() { say "FAIL: $*"; fail=1; }
allow=$TOP/check/checkpatch.allow

# allowed PATCH TYPE: an allow-list line "<part of the patch file name> <TYPE>"
allowed() {
	local part type
	while read -r part type _; do
		case "$part" in '' | \#*) continue ;; esac
		[[ "$1" == *"$part"* ]] && [ "$2" = "$type" ] && return 0
	done <"$allow"
	return 1
}

say "== checkpatch --strict"
for f in $(series_files); do
	p=$(basename "$f")
	out=$(PATH=/usr/bin:$PATH "$W/scripts/checkpatch.pl" --strict --terse --show-types \
		--no-summary "$f" 2>&1 || true)
	while IFS= read -r l; do
		[ -n "$l" ] || continue
		type=$(sed -nE 's/.*(ERROR|WARNING|CHECK):([A-Z_0-9]+):.*/\2/p' <<<"$l")
		if grep -q ': ERROR:' <<<"$l"; then
			bad "$(basename "$f"): $l"
		elif allowed "$p" "$type"; then
			say "   allowed: $(basename "$f"): $l"
		else
			bad "$(basename "$f"): $l"
		fi
	done <<<"$out"
done

say "== git am + build at every step"
# A worktree of its own, kept between runs so its objects stay warm.
git -C "$W" worktree prune
[ -d "$C/.git" ] || [ -f "$C/.git" ] || git -C "$W" worktree add -q --detach "$C" base
git -C "$C" am --abort >/dev/null 2>&1 || true
git -C "$C" checkout -q -f --detach base
for f in $(series_files); do
	git -C "$C" am -q "$f" || { bad "git am $(basename "$f")"; break; }
	say "   $(git -C "$C" log -1 --format=%s)"
	[ -f "$C/obj/.config" ] || { mkdir -p "$C/obj"; cp "$W/obj/.config" "$C/obj/.config"; }
	make -s -C "$C" O=obj CC="ccache gcc" -j"$(nproc)" olddefconfig bzImage \
		>"$BUILD/check-build.log" 2>&1 ||
		{ bad "build fails after $(basename "$f")"; tail -20 "$BUILD/check-build.log" >&2; }
done

say "== sparse on touched files"
files=$(git -C "$W" diff --name-only base..HEAD -- '*.c' | grep -vE '^tools/' || true)
for f in $files; do
	o=${f%.c}.o
	n_base=0
	if git -C "$C" cat-file -e "base:$f" 2>/dev/null; then
		git -C "$C" show "base:$f" >"$C/$f"
		n_base=$(make -s -C "$C" O=obj CC="ccache gcc" C=2 "$o" 2>&1 | grep -c 'warning:' || true)
		git -C "$C" checkout -q HEAD -- "$f"
	fi
	n_head=$(make -s -C "$C" O=obj CC="ccache gcc" C=2 "$o" 2>&1 | tee "$BUILD/sparse.log" | grep -c 'warning:' || true)
	say "   $f: base $n_base, series $n_head sparse warnings"
	[ "$n_head" -le "$n_base" ] || { bad "new sparse warnings in $f"; cat "$BUILD/sparse.log" >&2; }
done

say "== headers_install"
if git -C "$W" diff --name-only base..HEAD | grep -q '^include/uapi/'; then
	make -s -C "$C" O=obj headers_install >/dev/null 2>"$BUILD/headers.log" ||
		{ bad "headers_install"; cat "$BUILD/headers.log" >&2; }
else
	say "   no uAPI header touched"
fi
[ $fail -eq 0 ] && say "make check: clean"
exit $fail
