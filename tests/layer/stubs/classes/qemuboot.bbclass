# Stub of OE-core qemuboot.bbclass (see README.md): the task our image class hooks.
QB_MEM ?= "-m 256"
QB_KERNEL_CMDLINE_APPEND:append = " swiotlb=0"
python do_write_qemuboot_conf() {
}
addtask do_write_qemuboot_conf after do_rootfs before do_image
