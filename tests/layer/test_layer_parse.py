"""Every file of meta-mica-jailhouse parses with bitbake's own parser, and the
MCS_FEATURES gate holds: without "jailhouse" the layer changes nothing."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from .conftest import LAYER, layer_files

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TEST_IMAGE = FIXTURES / "test-image.bb"
FIRMWARE = {"MICA_CLIENT_FIRMWARE": "file:///firmware/qemu-zephyr-ivshmem.elf"}
ENABLED = {"MCS_FEATURES": "jailhouse", **FIRMWARE}

# Recipes that exist whatever MCS_FEATURES says: they collide with nothing.
UNGATED = {"python3-fdt_0.3.3.bb", "mica-jailhouse-tools-native_0.1.bb"}
OWN_RECIPES = layer_files(".bb")


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(LAYER)) for p in paths]


def test_the_layer_has_what_the_tests_expect() -> None:
    names = {p.name for p in layer_files(".bb", ".bbclass", ".conf")}
    assert {"layer.conf", "jailhouse_git.bb", "mica_git.bb", "mica-jailhouse-config_1.0.bb",
            "mica_jailhouse.bbclass", "packagegroup-mica-jailhouse.bb",
            "mica-jailhouse-image.bb"} <= names


# What a .bbappend of the layer is applied to here: a stub of the OE-core recipe.
APPEND_BASES = {"linux-%.bbappend": FIXTURES / "linux-yocto_6.6.bb",
                "rpi-cmdline.bbappend": FIXTURES / "rpi-cmdline.bb"}


@pytest.mark.parametrize("recipe", layer_files(".bb"), ids=ids(layer_files(".bb")))
def test_recipe_parses_enabled(bbparse: Any, recipe: Path) -> None:
    config = bbparse.configure(ENABLED)
    for variant, d in bbparse.parse_recipe(recipe, config).items():
        assert d.getVar("__SKIPPED") is None, f"{recipe.name} {variant}: {d.getVar('__SKIPPED')}"
        assert d.getVar("LICENSE"), recipe.name


@pytest.mark.parametrize("append", layer_files(".bbappend"), ids=ids(layer_files(".bbappend")))
def test_bbappend_parses_and_is_gated(bbparse: Any, append: Path) -> None:
    """Applied to a stub of its base recipe: parses when enabled, and without
    "jailhouse" changes nothing but where files are looked up."""
    base = APPEND_BASES.get(append.name)
    assert base is not None, f"add a stub base recipe for {append.name} to APPEND_BASES"
    bbparse.parse_recipe(base, bbparse.configure(ENABLED), [append])
    config = bbparse.configure({"MCS_FEATURES": "openamp"})
    before = _comparable(bbparse.parse_recipe(base, config)[""])
    after = _comparable(bbparse.parse_recipe(base, config, [append])[""])
    lookups = {"FILESEXTRAPATHS", "FILESPATH"}
    assert sorted(k for k in before if k not in lookups and before[k] != after.get(k)) == []


@pytest.mark.parametrize("path", layer_files(".bbclass", ".inc"),
                         ids=ids(layer_files(".bbclass", ".inc")))
def test_class_and_include_parse(bbparse: Any, path: Path) -> None:
    bbparse.parse_include(path, bbparse.configure(ENABLED))


def test_layer_conf(bbparse: Any) -> None:
    d = bbparse.configure()
    assert d.getVar("BBFILE_COLLECTIONS").split() == ["mica-jailhouse"]
    assert d.getVar("BBFILE_PATTERN_mica-jailhouse") == f"^{LAYER}/"
    assert d.getVar("LAYERSERIES_COMPAT_mica-jailhouse") == "scarthgap"
    assert d.getVar("LAYERDEPENDS_mica-jailhouse").split() == [
        "core", "meta-python", "openamp-layer"]
    assert d.getVar("MICA_JAILHOUSE_SRCDIR") == str(LAYER.parent)
    assert (Path(d.getVar("MICA_JAILHOUSE_SRCDIR")) / "tools" / "mica-jailhouse").is_file()


def test_openeuler_provides_openamp(bbparse: Any) -> None:
    d = bbparse.configure({"BBFILE_COLLECTIONS": "openeuler"})
    assert "openamp-layer" not in d.getVar("LAYERDEPENDS_mica-jailhouse").split()


@pytest.mark.parametrize("features", ["", "openamp", "xen", "openamp xen"])
def test_recipes_absent_without_jailhouse(bbparse: Any, features: str) -> None:
    config = bbparse.configure({"MCS_FEATURES": features, **FIRMWARE})
    for recipe in OWN_RECIPES:
        for variant, d in bbparse.parse_recipe(recipe, config).items():
            reason = d.getVar("__SKIPPED")
            if recipe.name in UNGATED:
                assert reason is None, f"{recipe.name} {variant}"
            else:
                assert reason == 'needs "jailhouse" in MCS_FEATURES (meta-mica-jailhouse)'


def _comparable(d: Any) -> dict[str, Any]:
    """Every variable and flag of a datastore, expanded, as bitbake would use it."""
    out: dict[str, Any] = {}
    for key in d:
        if key.startswith("__") or key in ("BBINCLUDED", "FILE", "BBPATH"):
            continue
        out[key] = (d.getVar(key), {
            f: d.getVarFlag(key, f) for f in (d.getVarFlags(key) or {})
            if not f.startswith("_") and f not in ("filename", "lineno")})
    return out


@pytest.mark.parametrize("features", ["", "openamp"])
def test_without_jailhouse_images_are_unchanged(bbparse: Any, features: str) -> None:
    """The same image parsed without the layer and with it (MCS_FEATURES without
    jailhouse): every variable and task flag that exists without the layer is
    identical, except the two hooks the layer installs (INHERIT, IMAGE_CLASSES)."""
    local = {"MCS_FEATURES": features} if features else {}
    without = bbparse.parse_recipe(TEST_IMAGE, bbparse.configure(local, with_layer=False))[""]
    with_layer = bbparse.parse_recipe(TEST_IMAGE, bbparse.configure(local))[""]
    before, after = _comparable(without), _comparable(with_layer)
    hooks = {"INHERIT", "IMAGE_CLASSES", "IMGCLASSES"}
    changed = sorted(k for k in before if k not in hooks and before[k] != after.get(k))
    assert changed == []
    # The gated variables, explicitly:
    for d in (without, with_layer):
        assert d.getVar("IMAGE_INSTALL") == "packagegroup-core-boot"
        assert not d.getVarFlag("do_write_qemuboot_conf", "prefuncs")
        assert not d.getVarFlag("do_write_qemuboot_conf", "depends")
        assert d.getVar("QB_KERNEL_CMDLINE_APPEND") == " swiotlb=0"


def _raw(d: Any) -> dict[str, Any]:
    """Every variable and flag of a datastore, unexpanded: what task signatures hash."""
    out: dict[str, Any] = {}
    for key in d:
        if key.startswith("__") or key in ("BBINCLUDED", "FILE", "BBPATH"):
            continue
        out[key] = (d.getVar(key, False), {
            f: d.getVarFlag(key, f, False) for f in (d.getVarFlags(key) or {})
            if not f.startswith("_") and f not in ("filename", "lineno")})
    return out


# A recipe and an image as OE-core's would be (on the stubs), with the layer's
# .bbappend that matches them applied when the layer is there.
GATED = [(FIXTURES / "linux-yocto_6.6.bb", [LAYER / "recipes-kernel/linux/linux-%.bbappend"]),
         (TEST_IMAGE, [])]


@pytest.mark.parametrize("features", ["", "openamp", "xen"])
@pytest.mark.parametrize(("recipe", "appends"), GATED, ids=[r.name for r, _ in GATED])
def test_without_jailhouse_no_task_signature_changes(bbparse: Any, features: str,
                                                     recipe: Path, appends: list[Path]) -> None:
    """Parsed without the layer and with it (and its bbappends): bitbake's base hash
    of every task is the same, and so is the unexpanded value of every variable
    (a DISTROOVERRIDES:append of an empty string would change it: FACTS), but for
    the two hooks and where files are looked up (never in a signature)."""
    local = {"MCS_FEATURES": features} if features else {}
    without = bbparse.parse_recipe(recipe, bbparse.configure(local, with_layer=False))[""]
    with_layer = bbparse.parse_recipe(recipe, bbparse.configure(local), appends)[""]
    assert bbparse.task_hashes(with_layer) == bbparse.task_hashes(without)
    before, after = _raw(without), _raw(with_layer)
    allowed = {"INHERIT", "IMAGE_CLASSES", "FILESEXTRAPATHS", "FILESPATH"}
    assert sorted(k for k in before if k not in allowed and before[k] != after.get(k)) == []


def test_with_jailhouse_the_override_is_set(bbparse: Any) -> None:
    """The check above can fail: enabling the layer changes image signatures."""
    off, on = bbparse.configure({"MCS_FEATURES": "openamp"}), bbparse.configure(ENABLED)
    assert off.getVar("DISTROOVERRIDES") == "poky"
    assert on.getVar("DISTROOVERRIDES") == "poky:mcs-jailhouse"
    assert "mcs-jailhouse" in on.getVar("OVERRIDES").split(":")
    image_off = bbparse.parse_recipe(TEST_IMAGE, off)[""]
    image_on = bbparse.parse_recipe(TEST_IMAGE, on)[""]
    assert bbparse.task_hashes(image_on)["do_rootfs"] != bbparse.task_hashes(image_off)[
        "do_rootfs"]


def test_with_jailhouse_images_get_the_stack(bbparse: Any) -> None:
    d = bbparse.parse_recipe(TEST_IMAGE, bbparse.configure(ENABLED))[""]
    assert d.getVar("IMAGE_INSTALL").split() == [
        "packagegroup-core-boot", "packagegroup-mica-jailhouse"]
    assert d.getVarFlag("do_write_qemuboot_conf", "prefuncs").split() == [
        "mica_jailhouse_qemuboot"]
    assert d.getVarFlag("do_write_qemuboot_conf", "depends").split() == [
        "mica-jailhouse-config:do_deploy"]


def _fatal_messages(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)


def test_openamp_and_jailhouse_refused_once_configured(
        bbparse: Any, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(bbparse.ConfigError):
        bbparse.configure({"MCS_FEATURES": "openamp jailhouse"})
    assert ('MCS_FEATURES = "openamp jailhouse" selects both openamp and jailhouse'
            in _fatal_messages(caplog))


def test_openamp_and_jailhouse_refused_by_recipes(
        bbparse: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # As if the handler had not run (bitbake -e RECIPE, or another tool).
    monkeypatch.setattr(bbparse.bb.event, "fire", lambda *args, **kwargs: None)
    config = bbparse.configure({"MCS_FEATURES": "jailhouse openamp", **FIRMWARE})
    with pytest.raises(bbparse.ConfigError):
        bbparse.parse_recipe(LAYER / "recipes-extended/jailhouse/jailhouse_git.bb", config)
    assert "selects both openamp and jailhouse" in _fatal_messages(caplog)


@pytest.mark.parametrize("features", ["openampjailhouse", "openamp openampjailhouse",
                                      "jailhouse jailhouse-ng"])
def test_a_word_that_merely_contains_jailhouse_is_refused(
        bbparse: Any, caplog: pytest.LogCaptureFixture, features: str) -> None:
    """openEuler's docs write MCS_FEATURES:append = "jailhouse": no space, so
    "openamp" + "jailhouse" = "openampjailhouse", which must not build silently."""
    with pytest.raises(bbparse.ConfigError):
        bbparse.configure({"MCS_FEATURES": features})
    glued = next(f for f in features.split() if "jailhouse" in f and f != "jailhouse")
    assert (f'MCS_FEATURES = "{features}": "{glued}" is not a feature (":append" adds no '
            'space: write MCS_FEATURES:append = " jailhouse", with the leading space, or '
            'MCS_FEATURES += "jailhouse").') in _fatal_messages(caplog)


def test_unknown_revision_refused(bbparse: Any, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(bbparse.ConfigError):
        bbparse.configure({**ENABLED, "JAILHOUSE_CONFIG_REVISION": "12"})
    assert ('JAILHOUSE_CONFIG_REVISION = "12" is not supported: use 13 or 14'
            in _fatal_messages(caplog))


def test_revision_selects_jailhouse_and_micad(bbparse: Any) -> None:
    jailhouse = LAYER / "recipes-extended/jailhouse/jailhouse_git.bb"
    mica = LAYER / "recipes-mica/mica/mica_git.bb"
    rev13 = bbparse.configure(ENABLED)
    assert bbparse.parse_recipe(jailhouse, rev13)[""].getVar("SRCREV") == (
        "76aa7ef29366c0f3e4746dbe0021e2d026b60ca1")
    assert bbparse.parse_recipe(mica, rev13)[""].getVar("__SKIPPED") is None
    rev14 = bbparse.configure({**ENABLED, "JAILHOUSE_CONFIG_REVISION": "14"})
    assert bbparse.parse_recipe(jailhouse, rev14)[""].getVar("SRCREV") == (
        "e57d1eff6d55aeed5f977fe4e2acfb6ccbdd7560")
    assert bbparse.parse_recipe(mica, rev14)[""].getVar("__SKIPPED").startswith(
        'micad accepts only Jailhouse cell revision 13, but JAILHOUSE_CONFIG_REVISION = "14"')


def test_machine_without_default_system(bbparse: Any) -> None:
    config = bbparse.configure({**ENABLED, "MACHINE": "myboard"})
    d = bbparse.parse_recipe(
        LAYER / "recipes-bsp/mica-jailhouse-config/mica-jailhouse-config_1.0.bb", config)[""]
    assert d.getVar("__SKIPPED") == (
        'MICA_SYSTEM is empty for MACHINE "myboard": set MICA_SYSTEM to a built-in system '
        "(qemu-a53, qemu-a72, rpi4) or to a system description YAML")


def test_firmware_must_be_given(bbparse: Any) -> None:
    config = bbparse.configure({"MCS_FEATURES": "jailhouse"})
    d = bbparse.parse_recipe(
        LAYER / "recipes-mica/mica-client-firmware/mica-client-firmware_1.0.bb", config)[""]
    assert d.getVar("__SKIPPED").startswith(
        "MICA_CLIENT_FIRMWARE is not set, so images get the reference client "
        "(mica-reference-client) as mica-client-firmware: set MICA_CLIENT_FIRMWARE to ")


CONFIG_RECIPE = LAYER / "recipes-bsp/mica-jailhouse-config/mica-jailhouse-config_1.0.bb"


@pytest.mark.parametrize(("system", "uri", "argument"), [
    ("qemu-a53", "", "qemu-a53"),
    ("/srv/boards/my-board.yaml", "file:///srv/boards/my-board.yaml",
     "/srv/boards/my-board.yaml"),
    ("my-board.yaml", "file://my-board.yaml", "{WORKDIR}/my-board.yaml"),
])
def test_system_travels_through_src_uri(bbparse: Any, system: str, uri: str,
                                        argument: str) -> None:
    config = bbparse.configure({**ENABLED, "MICA_SYSTEM": system})
    d = bbparse.parse_recipe(CONFIG_RECIPE, config)[""]
    assert d.getVar("SRC_URI").split() == ([uri] if uri else [])
    argv = bbparse.bb.utils.better_eval("mica_jailhouse_generate_argv(d)", {"d": d})
    assert argv == [
        d.getVar("PYTHON"), d.getVar("STAGING_DATADIR_NATIVE")
        + "/mica-jailhouse/tools/mica-jailhouse", "generate",
        argument.format(WORKDIR=d.getVar("WORKDIR")), "-o", d.getVar("WORKDIR") + "/mica-jailhouse",
        "--revision", "13", "--cell-dir", "/usr/share/jailhouse/cells",
        "--firmware-dir", "/lib/firmware"]


def test_qemuboot_prefunc_reads_the_generated_settings(bbparse: Any, tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    (deploy / "mica-jailhouse").mkdir(parents=True)
    (deploy / "mica-jailhouse" / "manifest.json").write_text(
        '{"system": "qemu-a53", "files": {"qemuboot": "qemuboot.conf"}}')
    (deploy / "mica-jailhouse" / "qemuboot.conf").write_text(
        '# generated from systems/qemu-a53.yaml, do not edit\n'
        'QB_MACHINE = "-machine virt,gic-version=3,virtualization=on,its=off"\n'
        'QB_CPU = "-cpu cortex-a53"\nQB_SMP = "-smp 4"\nQB_MEM = "-m 2048"\n'
        'QB_DTB = "qemu-jailhouse.dtb"\nQB_KERNEL_CMDLINE_APPEND = "mem=780M"\n')
    d = bbparse.parse_recipe(TEST_IMAGE, bbparse.configure(ENABLED))[""]
    d.setVar("DEPLOY_DIR_IMAGE", str(deploy))
    d.setVar("T", str(tmp_path))
    bbparse.bb.build.exec_func("mica_jailhouse_qemuboot", d)
    assert d.getVar("QB_MACHINE") == "-machine virt,gic-version=3,virtualization=on,its=off"
    assert d.getVar("QB_CPU") == "-cpu cortex-a53"
    assert d.getVar("QB_SMP") == "-smp 4"
    assert d.getVar("QB_MEM") == "-m 2048"
    assert d.getVar("QB_DTB") == "qemu-jailhouse.dtb"
    assert d.getVar("QB_KERNEL_CMDLINE_APPEND").split() == ["swiotlb=0", "mem=780M"]


def test_qemuboot_refuses_other_lines(bbparse: Any, caplog: pytest.LogCaptureFixture) -> None:
    d = bbparse.parse_recipe(TEST_IMAGE, bbparse.configure(ENABLED))[""]
    with pytest.raises(bbparse.bb.BBHandledException):
        bbparse.bb.utils.better_eval("mica_jailhouse_parse_qemuboot(text)",
                                     {"d": d, "text": 'QB_MEM = "-m 1G"\nmem=780M\n'})
    assert 'generated qemuboot.conf line 2 is not QB_NAME = "value": mem=780M' in (
        _fatal_messages(caplog))


def test_no_layer_class_is_named_like_a_stub() -> None:
    # The stubs must stay stubs: an OE-core class of the same name in the layer
    # would be silently replaced in these tests.
    stubs = {p.name for p in (Path(__file__).parent / "stubs" / "classes").glob("*.bbclass")}
    assert not stubs & {p.name for p in layer_files(".bbclass")}


def test_kernel_bbappend_adds_patches_only_when_enabled(bbparse: Any, tmp_path: Path) -> None:
    append = LAYER / "recipes-kernel" / "linux" / "linux-%.bbappend"
    base = APPEND_BASES[append.name]
    enabled = bbparse.parse_recipe(base, bbparse.configure(ENABLED), [append])[""]
    uris = enabled.getVar("SRC_URI").split()
    assert [u for u in uris if u.startswith("file://")] == [
        "file://jailhouse.cfg",
        "file://0001-mm-vmalloc-export-__get_vm_area_caller.patch",
        "file://0002-mm-vmalloc-export-ioremap_page_range.patch",
        "file://0003-mm-vmalloc-let-ioremap_page_range-create-executable-mappings.patch",
        "file://0004-arm64-export-__hyp_stub_vectors.patch",
    ]
    # openEuler's 5.10 already carries its own Jailhouse export patch: only the fragment.
    old = tmp_path / "linux-openeuler_5.10.bb"
    old.write_text(base.read_text().replace('"6.6.50"', '"5.10.0"'))
    uris = bbparse.parse_recipe(old, bbparse.configure(ENABLED), [append])[""] \
        .getVar("SRC_URI").split()
    assert [u for u in uris if u.startswith("file://")] == ["file://jailhouse.cfg"]
    disabled = bbparse.parse_recipe(base, bbparse.configure({"MCS_FEATURES": "openamp"}),
                                    [append])[""]
    assert "jailhouse.cfg" not in disabled.getVar("SRC_URI")


@pytest.mark.parametrize(("recipe", "module"), [
    ("recipes-kernel/uio-ivshmem/uio-ivshmem_1.0.bb", "kernel-module-uio-ivshmem"),
    ("recipes-extended/jailhouse/jailhouse_git.bb", "kernel-module-jailhouse"),
])
def test_module_recipes_provide_their_kernel_module(bbparse: Any, recipe: str,
                                                    module: str) -> None:
    """Otherwise bitbake plans kernel-module-* from the kernel's PACKAGES_DYNAMIC and the
    module recipe is never built (seen with a real `bitbake -g` on poky scarthgap)."""
    for d in bbparse.parse_recipe(LAYER / recipe, bbparse.configure(ENABLED)).values():
        assert module in d.getVar(f"RPROVIDES:{d.getVar('PN')}").split()


@pytest.mark.parametrize(("local", "provider"), [
    ({}, "mica-reference-client"),
    (FIRMWARE, "mica-client-firmware"),
    ({"MICA_CLIENT_FIRMWARE[qemu-zephyr-ivshmem]": "file:///z.elf"}, "mica-client-firmware"),
    ({"PREFERRED_RPROVIDER_mica-client-firmware": "my-zephyr"}, "my-zephyr"),
])
def test_the_image_always_has_a_client(bbparse: Any, local: dict[str, str],
                                       provider: str) -> None:
    """Nothing set: the reference client provides mica-client-firmware (and the
    wrapper recipe is skipped); MICA_CLIENT_FIRMWARE selects the wrapper."""
    d = bbparse.configure({"MCS_FEATURES": "jailhouse", **local})
    assert d.getVar("PREFERRED_RPROVIDER_mica-client-firmware") == provider
    packagegroup = LAYER / "recipes-core/packagegroups/packagegroup-mica-jailhouse.bb"
    assert "mica-client-firmware" in bbparse.parse_recipe(packagegroup, d)[""].getVar(
        "RDEPENDS:packagegroup-mica-jailhouse").split()
    # The preferred provider exists, with the runtime name (bitbake needs both).
    recipes = {"mica-reference-client": "recipes-mica/mica-reference-client/"
                                        "mica-reference-client_0.1.bb",
               "mica-client-firmware": "recipes-mica/mica-client-firmware/"
                                       "mica-client-firmware_1.0.bb"}
    if provider in recipes:
        chosen = bbparse.parse_recipe(LAYER / recipes[provider], d)[""]
        assert chosen.getVar("__SKIPPED") is None
        assert provider == "mica-client-firmware" or "mica-client-firmware" in chosen.getVar(
            f"RPROVIDES:{provider}").split()
    wrapper = bbparse.parse_recipe(LAYER / recipes["mica-client-firmware"], d)[""]
    assert (wrapper.getVar("__SKIPPED") is None) == (provider == "mica-client-firmware")


def test_client_firmware_package_overrides(bbparse: Any) -> None:
    config = bbparse.configure({"MCS_FEATURES": "jailhouse",
                                "MICA_CLIENT_FIRMWARE_PACKAGE": "zephyr-image"})
    packagegroup = LAYER / "recipes-core/packagegroups/packagegroup-mica-jailhouse.bb"
    rdepends = bbparse.parse_recipe(packagegroup, config)[""].getVar(
        "RDEPENDS:packagegroup-mica-jailhouse").split()
    assert "zephyr-image" in rdepends
    assert "mica-client-firmware" not in rdepends


MICA = LAYER / "recipes-mica/mica/mica_git.bb"
OPENEULER_MCS = ["mcs-linux", "mcsctl", "mcs-tools"]


def test_beside_openeuler_mica_replaces_its_mcs_packages(bbparse: Any) -> None:
    """openEuler's mcs-linux/mcsctl/mcs-tools ship micad, micad.service and the mica
    CLI from the same mcs tree: mica provides, replaces and conflicts with them, and
    is their preferred runtime provider, so no file is shipped twice."""
    config = bbparse.configure({**ENABLED, "BBFILE_COLLECTIONS": "openeuler mica-jailhouse"})
    for name in OPENEULER_MCS:
        assert config.getVar(f"PREFERRED_RPROVIDER_{name}") == "mica"
    d = bbparse.parse_recipe(MICA, config)[""]
    for var in ("RPROVIDES", "RREPLACES", "RCONFLICTS"):
        assert d.getVar(f"{var}:mica").split() == OPENEULER_MCS, var


def test_without_openeuler_mica_replaces_nothing(bbparse: Any) -> None:
    config = bbparse.configure(ENABLED)
    assert all(config.getVar(f"PREFERRED_RPROVIDER_{name}") is None for name in OPENEULER_MCS)
    d = bbparse.parse_recipe(MICA, config)[""]
    for var in ("RREPLACES", "RCONFLICTS"):
        assert not (d.getVar(f"{var}:mica") or "").split(), var
    assert not set(OPENEULER_MCS) & set((d.getVar("RPROVIDES:mica") or "").split())


def test_openeuler_without_jailhouse_is_untouched(bbparse: Any) -> None:
    config = bbparse.configure({"MCS_FEATURES": "openamp",
                                "BBFILE_COLLECTIONS": "openeuler mica-jailhouse"})
    assert config.getVar("PREFERRED_RPROVIDER_mcs-linux") is None
    assert config.getVar("DISTROOVERRIDES") == "poky"


def test_libmica_is_packaged_as_an_unversioned_library(bbparse: Any) -> None:
    """mcs installs libmica.so without a version: OE's way (dev manual, pre-built
    libraries) is SOLIBS = ".so" and FILES_SOLIBSDEV = "" (not INSANE_SKIP)."""
    d = bbparse.parse_recipe(MICA, bbparse.configure(ENABLED))[""]
    assert d.getVar("SOLIBS") == ".so"
    assert d.getVar("FILES_SOLIBSDEV") == ""
    assert "dev-so" not in (d.getVar("INSANE_SKIP:mica") or "")
