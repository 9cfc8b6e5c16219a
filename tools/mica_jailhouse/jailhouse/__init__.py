"""Jailhouse's binary config ABI: layout and `.cell` reader/encoder.

Why a package of its own: a `.cell` file is a packed C structure whose layout changed
between config revisions (13 for openEuler's Jailhouse and MICA's micad, 14 for Jailhouse
master). ``abi`` describes that layout once; ``codec`` derives Python struct codecs from it,
and ``cellfile`` reads and writes `.cell` files as the frozen dataclasses of ``raw``. (The C
headers rendered from ``abi``, for the tests' compiler, are in ``mica_testbed.jailhouse``.)
"""
