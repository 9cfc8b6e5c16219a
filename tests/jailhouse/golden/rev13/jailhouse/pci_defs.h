/*
 * jailhouse/pci_defs.h for Jailhouse config revision 13.
 *
 * Generated from tools/mica_jailhouse/jailhouse/abi.py by meta-mica-jailhouse,
 * do not edit. The layout matches Jailhouse's include/jailhouse/pci_defs.h of
 * that revision, with the same names, so that configs written for Jailhouse
 * compile unchanged against it. It declares only what configs use.
 */

#ifndef _JAILHOUSE_PCI_DEFS_H
#define _JAILHOUSE_PCI_DEFS_H

/* PCI capability IDs */
#define PCI_CAP_ID_PM                            0x01
#define PCI_CAP_ID_AGP                           0x02
#define PCI_CAP_ID_VPD                           0x03
#define PCI_CAP_ID_SLOTID                        0x04
#define PCI_CAP_ID_MSI                           0x05
#define PCI_CAP_ID_CHSWP                         0x06
#define PCI_CAP_ID_PCIX                          0x07
#define PCI_CAP_ID_HT                            0x08
#define PCI_CAP_ID_VNDR                          0x09
#define PCI_CAP_ID_DBG                           0x0a
#define PCI_CAP_ID_CCRC                          0x0b
#define PCI_CAP_ID_SHPC                          0x0c
#define PCI_CAP_ID_SSVID                         0x0d
#define PCI_CAP_ID_AGP3                          0x0e
#define PCI_CAP_ID_SECDEV                        0x0f
#define PCI_CAP_ID_EXP                           0x10
#define PCI_CAP_ID_MSIX                          0x11
#define PCI_CAP_ID_SATA                          0x12
#define PCI_CAP_ID_AF                            0x13
#define PCI_CAP_ID_EA                            0x14

/* PCI Express extended capability IDs */
#define PCI_EXT_CAP_ID_ERR                       0x01
#define PCI_EXT_CAP_ID_VC                        0x02
#define PCI_EXT_CAP_ID_DSN                       0x03
#define PCI_EXT_CAP_ID_PWR                       0x04
#define PCI_EXT_CAP_ID_RCLD                      0x05
#define PCI_EXT_CAP_ID_RCILC                     0x06
#define PCI_EXT_CAP_ID_RCEC                      0x07
#define PCI_EXT_CAP_ID_MFVC                      0x08
#define PCI_EXT_CAP_ID_VC9                       0x09
#define PCI_EXT_CAP_ID_RCRB                      0x0a
#define PCI_EXT_CAP_ID_VNDR                      0x0b
#define PCI_EXT_CAP_ID_CAC                       0x0c
#define PCI_EXT_CAP_ID_ACS                       0x0d
#define PCI_EXT_CAP_ID_ARI                       0x0e
#define PCI_EXT_CAP_ID_ATS                       0x0f
#define PCI_EXT_CAP_ID_SRIOV                     0x10
#define PCI_EXT_CAP_ID_MRIOV                     0x11
#define PCI_EXT_CAP_ID_MCAST                     0x12
#define PCI_EXT_CAP_ID_PRI                       0x13
#define PCI_EXT_CAP_ID_AMD_XXX                   0x14
#define PCI_EXT_CAP_ID_REBAR                     0x15
#define PCI_EXT_CAP_ID_DPA                       0x16
#define PCI_EXT_CAP_ID_TPH                       0x17
#define PCI_EXT_CAP_ID_LTR                       0x18
#define PCI_EXT_CAP_ID_SECPCI                    0x19
#define PCI_EXT_CAP_ID_PMUX                      0x1a
#define PCI_EXT_CAP_ID_PASID                     0x1b
#define PCI_EXT_CAP_ID_DPC                       0x1d
#define PCI_EXT_CAP_ID_L1SS                      0x1e
#define PCI_EXT_CAP_ID_PTM                       0x1f

#endif /* !_JAILHOUSE_PCI_DEFS_H */
