# Stub of OE-core deploy.bbclass (see README.md).
DEPLOYDIR = "${WORKDIR}/deploy-${PN}"
