# Stub of OE-core native.bbclass (see README.md).
