"""Compile Jailhouse C configs to `.cell` files, against C headers rendered from the ABI.

Why here and not in the generator: the layer builds generated configs with Jailhouse's own
headers; these headers and the compiler exist so that the tests can check, without a Jailhouse
tree, that the C we generate compiles to the bytes our encoder writes.
"""
