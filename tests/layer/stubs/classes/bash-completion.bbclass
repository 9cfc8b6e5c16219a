# Stub of OE-core bash-completion.bbclass (see README.md).
