/*
 * jailhouse/types.h for Jailhouse config revision 14.
 *
 * Generated from tools/mica_jailhouse/jailhouse/abi.py by meta-mica-jailhouse,
 * do not edit. The layout matches Jailhouse's include/jailhouse/types.h of
 * that revision, with the same names, so that configs written for Jailhouse
 * compile unchanged against it. It declares only what configs use.
 */

#ifndef _JAILHOUSE_TYPES_H
#define _JAILHOUSE_TYPES_H

typedef signed char s8;
typedef unsigned char u8;
typedef s8 __s8;
typedef u8 __u8;
_Static_assert(sizeof(__u8) == 1, "sizeof(__u8) == 1");

typedef signed short s16;
typedef unsigned short u16;
typedef s16 __s16;
typedef u16 __u16;
_Static_assert(sizeof(__u16) == 2, "sizeof(__u16) == 2");

typedef signed int s32;
typedef unsigned int u32;
typedef s32 __s32;
typedef u32 __u32;
_Static_assert(sizeof(__u32) == 4, "sizeof(__u32) == 4");

typedef signed long long s64;
typedef unsigned long long u64;
typedef s64 __s64;
typedef u64 __u64;
_Static_assert(sizeof(__u64) == 8, "sizeof(__u64) == 8");

#endif /* !_JAILHOUSE_TYPES_H */
