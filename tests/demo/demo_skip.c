// SPDX-License-Identifier: GPL-2.0
/* make test DEMO_FAIL=skip: a test that skips, which the patched run refuses. */
#include "kselftest_harness.h"

TEST(skips)
{
	SKIP(return, "written to skip");
}

TEST_HARNESS_MAIN
