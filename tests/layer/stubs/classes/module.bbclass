# Stub of OE-core module.bbclass (see README.md).
DEPENDS:append = " virtual/kernel"
