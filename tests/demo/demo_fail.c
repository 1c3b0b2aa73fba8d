// SPDX-License-Identifier: GPL-2.0
/* make test DEMO_FAIL=fail: a test written to fail. */
#include "kselftest_harness.h"

TEST(written_to_fail)
{
	ASSERT_EQ(1, 2);
}

TEST_HARNESS_MAIN
