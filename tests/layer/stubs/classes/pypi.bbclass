# Stub of OE-core pypi.bbclass (see README.md).
