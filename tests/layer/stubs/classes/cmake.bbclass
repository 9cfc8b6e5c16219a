# Stub of OE-core cmake.bbclass (see README.md).
