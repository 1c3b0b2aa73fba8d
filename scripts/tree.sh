#!/bin/bash
# make tree: build/linux = pristine base (tag "base") + one commit per patch.
. "$(dirname "$0")/lib.sh"

install_base() {
	[ "$(base_version)" = "$BASE_VER" ] && [ -f "$TARBALL" ] && return
	say "installing $BASE_PKG=$BASE_VER"
	if ! apt-get install -y "$BASE_PKG=$BASE_VER" >&2; then
		apt-get update >&2 || true
		if ! apt-get install -y "$BASE_PKG=$BASE_VER" >&2; then
			say "NOTICE: $BASE_PKG $BASE_VER has left the mirror;"
			say "NOTICE: falling back to the newest $BASE_PKG available."
			apt-get install -y "$BASE_PKG" >&2
		fi
	fi
}

# $1 = directory to create with the pristine base committed and tagged.
make_base_repo() {
	local dir=$1 tmp
	tmp=$(mktemp -d "$BUILD/extract.XXXXXX")
	say "extracting $TARBALL"
	tar -C "$tmp" -xf "$TARBALL"
	mv "$tmp"/linux-source-6.12 "$dir"
	rmdir "$tmp"
	git -C "$dir" init -q -b master
	git -C "$dir" config core.autocrlf false
	git -C "$dir" config gc.auto 0
	# Debian's top-level .gitignore ignores everything, hence -f.
	git -C "$dir" add -f -A .
	GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
		git -C "$dir" commit -q -m "Debian $BASE_PKG $(base_version)"
	git -C "$dir" tag base
	base_version >"$dir/.git/base-version"
}

apply_series() {
	local dir=$1 f
	for f in $(series_files); do
		git -C "$dir" am -q --keep-cr --committer-date-is-author-date "$f" ||
			die "git am failed on $(basename "$f")"
	done
	tree_patch_ids "$dir" >"$dir/.git/exported-ids"
}

mkdir -p "$BUILD"
install_base
W=$BUILD/linux
if [ ! -d "$W/.git" ]; then
	[ -e "$W" ] && die "$W exists but is not a git tree; move it away"
	make_base_repo "$W"
	apply_series "$W"
	say "build/linux: base $(cat "$W/.git/base-version") + $(series_files | wc -l) patches"
	exit 0
fi

# Existing tree: only move it if everything in it is already in patches/.
[ -z "$(git -C "$W" status --porcelain -uno)" ] ||
	die "build/linux has uncommitted changes: commit them and run 'make export' first"
have=$(tree_patch_ids "$W")
want=$(for f in $(series_files); do git patch-id --stable <"$f" | cut -d' ' -f1; done)
if [ "$have" = "$want" ]; then
	say "build/linux is up to date with patches/ ($(series_files | wc -l) patches)"
	exit 0
fi
[ "$have" = "$(cat "$W/.git/exported-ids" 2>/dev/null)" ] ||
	die "build/linux has commits that are not in patches/: run 'make export' first (or remove build/linux)"
say "patches/ changed: re-applying the series on base"
git -C "$W" reset -q --hard base
apply_series "$W"
