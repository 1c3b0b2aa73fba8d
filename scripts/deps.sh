#!/bin/bash
# Install what the rig needs from Debian (idempotent, quiet when present).
. "$(dirname "$0")/lib.sh"
pkgs="qemu-system-x86 busybox-static ccache sparse flex bison bc libelf-dev
libssl-dev cpio gzip python3 python3-ply python3-git git make gcc libc6-dev file"
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	grep -q 'ok installed' || echo "$p"; done)
[ -z "$missing" ] && exit 0
say "installing: $missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y $missing >&2 || { apt-get update >&2 && apt-get install -y $missing >&2; }
