#!/bin/bash
# kernel.sh linux|base|kasan: build bzImage of build/linux, of the unpatched
# base in build/base, or of build/linux with KASAN and UBSAN (objects in
# build/linux/obj-kasan, config/kasan/ on top), from allnoconfig +
# config/*.config, with ccache. Output: build/bzImage-<which>.
. "$(dirname "$0")/lib.sh"

which=${1:-linux}
src=$BUILD/$which
objdir=obj
if [ "$which" = kasan ]; then
	src=$BUILD/linux
	objdir=obj-kasan
fi
if [ "$which" = base ]; then
	[ -d "$BUILD/linux/.git" ] || die "run 'make tree' first"
	if [ ! -d "$src" ]; then
		say "creating build/base (unpatched base worktree)"
		git -C "$BUILD/linux" worktree add -q --detach "$src" base
	fi
fi
[ -f "$src/Makefile" ] || die "$src missing: run 'make tree' first"

# The object dir is a direct subdirectory of the source, so kbuild uses
# srctree=.. and command lines are the same in every tree and every clone:
# ccache hits across the base, the patched tree and fresh clones.
obj=$src/$objdir
mkdir -p "$obj" "$CCACHE_DIR"
frags=$(ls "$TOP"/config/*.config)
[ "$which" != kasan ] || frags+=" $(ls "$TOP"/config/kasan/*.config)"
# series.config holds options that only the patched tree has.
[ "$which" != base ] || frags=$(echo "$frags" | grep -v '/series\.config$')
cat $frags | sha1sum >"$obj/.frags.new"
if ! cmp -s "$obj/.frags.new" "$obj/.frags" || [ ! -f "$obj/.config" ]; then
	make -s -C "$src" O=$objdir allnoconfig >/dev/null
	"$src"/scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" $frags >/dev/null
	make -s -C "$src" O=$objdir olddefconfig >/dev/null
	# Every =y asked for must survive olddefconfig (unmet dependencies).
	missing=$(grep -h '^CONFIG_.*=y' $frags | while read -r l; do
		grep -qx "$l" "$obj/.config" || echo "$l"; done)
	[ -z "$missing" ] || die "config options dropped by Kconfig: $missing"
	mv "$obj/.frags.new" "$obj/.frags"
fi
make -s -C "$src" O=$objdir CC="ccache gcc" -j"$(nproc)" bzImage
cp "$obj/arch/x86/boot/bzImage" "$BUILD/bzImage-$which"
say "built $BUILD/bzImage-$which ($(cat "$BUILD/linux/.git/base-version") $(git -C "$src" describe --always --tags))"
