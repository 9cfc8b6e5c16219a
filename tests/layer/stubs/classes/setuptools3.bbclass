# Stub of OE-core setuptools3.bbclass (see README.md).
