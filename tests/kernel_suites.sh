#!/bin/busybox sh
# The kernel's own selftests of the paths the series changes (hugetlb
# freeing and faults, memory failure, memfd), built from the tree under test
# and run in the guest on the base and on the patched kernel, before any
# test of the series. As run_vmtests.sh does, each program is one TAP
# result from its exit code (0 pass, 4 skip, anything else fail) and the
# setup it needs; its own output is kept as "# " comments.
# Usage: kernel_suites [all|safe|destructive]
#   safe: everything that does not poison memory; destructive: the two
#   tests that do (soft offline and read of a poisoned hugepage).
cd /tests/ks || exit 1
which=${1:-all}
nr=/proc/sys/vm/nr_hugepages
n=0
failed=0
run() {	# name, then the command
	name=$1
	shift
	n=$((n + 1))
	t0=$(date +%s)
	{ "$@"; echo $? >/tmp/ks.rc; } 2>&1 | sed 's/^/# /'
	rc=$(cat /tmp/ks.rc)
	echo "# $name: exit $rc after $(($(date +%s) - t0)) s"
	# A test that fails on the unpatched base too, for a reason of its own
	# (tests/kernel_suites.xfail), is a TAP TODO: reported, not counted.
	todo=$(sed -n "s/^$name  *# *//p" ./xfail)
	case $rc in
	0) echo "ok $n $name" ;;
	4) echo "ok $n $name # SKIP exit 4" ;;
	*)
		echo "not ok $n $name # ${todo:+TODO $todo; }exit=$rc"
		[ -n "$todo" ] || failed=1
		;;
	esac
}

safe() {
	run hugepage-mmap ./hugepage-mmap
	run map_hugetlb ./map_hugetlb
	run hugepage-mremap ./hugepage-mremap
	run hugepage-vmemmap ./hugepage-vmemmap
	run hugetlb-madvise ./hugetlb-madvise
	run hugetlb_dio ./hugetlb_dio
	# These two want one and only one 2 MiB hugepage in the pool.
	saved=$(cat $nr)
	echo 1 >$nr
	run hugetlb_fault_after_madv ./hugetlb_fault_after_madv
	run hugetlb_madv_vs_map ./hugetlb_madv_vs_map
	echo "$saved" >$nr
	[ "$(cat $nr)" = "$saved" ] || echo "# nr_hugepages restored to $(cat $nr), not $saved"
	run gup_longterm ./gup_longterm
	run memfd_test ./memfd_test
	run memfd_test_hugetlbfs ./memfd_test hugetlbfs
}

destructive() {
	saved=$(cat $nr)
	soft=$(cat /proc/sys/vm/enable_soft_offline)
	echo 8 >$nr
	run hugetlb-soft-offline ./hugetlb-soft-offline
	echo "$saved" >$nr
	echo "$soft" >/proc/sys/vm/enable_soft_offline
	run hugetlb-read-hwpoison ./hugetlb-read-hwpoison
}

echo "TAP version 13"
case $which in
all) echo "1..13"; safe; destructive ;;
safe) echo "1..11"; safe ;;
destructive) echo "1..2"; destructive ;;
*) echo "1..0 # unknown argument $which"; exit 1 ;;
esac
exit $failed
