# Stub of OE-core base.bbclass (see README.md).
PYTHON = "${STAGING_BINDIR_NATIVE}/python3-native/python3"
