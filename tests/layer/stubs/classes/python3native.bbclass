# Stub of OE-core python3native.bbclass (see README.md).
PYTHON = "${STAGING_BINDIR_NATIVE}/python3-native/python3"
