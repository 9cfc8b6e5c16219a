# Stub of OE-core systemd.bbclass (see README.md).
