# Stub of OE-core base.bbclass (see README.md).
PYTHON = "${STAGING_BINDIR_NATIVE}/python3-native/python3"

# OE-core's logging.bbclass (inherited by base): what shell tasks log with.
bbnote() {
	echo "NOTE: $*"
}
