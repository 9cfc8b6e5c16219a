/* SPDX-License-Identifier: MIT */
/* Memory barriers between us and the other side of the shared memory. */
#ifndef MICA_BARRIER_H
#define MICA_BARRIER_H

#if defined(__aarch64__) && !defined(MICA_HOST_TEST)
/* Both sides map the shared memory inner-shareable write-back. */
#define mb()	__asm__ __volatile__("dmb ish" ::: "memory")
#define rmb()	__asm__ __volatile__("dmb ishld" ::: "memory")
#define wmb()	__asm__ __volatile__("dmb ishst" ::: "memory")
#else
#define mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#endif
