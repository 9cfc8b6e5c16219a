# Stub of OE-core update-rc.d.bbclass (see README.md).
