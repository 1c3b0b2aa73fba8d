// SPDX-License-Identifier: GPL-2.0
/* make test DEMO_FAIL=hang: never finish (the rig's timeout must fire). */
#include <unistd.h>

int main(void)
{
	for (;;)
		pause();
}
