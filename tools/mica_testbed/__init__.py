"""Test and demo rigs of meta-mica-jailhouse: not part of the generator.

Why a package apart: the boot harness, the test-kernel build, the demo and the C compiler
of generated cell configs exist to exercise what ``mica_jailhouse`` generates. They depend on
``mica_jailhouse``; ``mica_jailhouse`` never imports them, and the layer's native recipe
(``mica-jailhouse-tools-native``) installs only the generator.
"""
