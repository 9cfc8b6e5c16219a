# Stub of OE-core nativesdk.bbclass (see README.md).
