/* SPDX-License-Identifier: GPL-2.0 */
/* memfd and madvise values the rig's guest programs use, if libc lacks them. */
#ifndef RIG_MEMFD_H
#define RIG_MEMFD_H

#include <sys/mman.h>

#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MFD_MF_KEEP_UE_MAPPED
#define MFD_MF_KEEP_UE_MAPPED 0x0020U
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif

#endif
