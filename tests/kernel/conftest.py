"""The kernel builds shared by the slow kernel tests (cached: instant once built)."""

from __future__ import annotations

import pytest

from mica_testbed.kernel import (
    SERIES,
    KernelBuild,
    KernelEnvironmentError,
    build_kernel,
    default_cache_dir,
)
from support import unavailable as missing


@pytest.fixture(scope="session", params=SERIES, ids=[f"linux-{s}" for s in SERIES])
def kernel_build(request: pytest.FixtureRequest) -> KernelBuild:
    """The layer's patches and fragment built into a small arm64 kernel from Debian's
    ``linux-source-<series>``, plus uio_ivshmem.ko; every test using it runs once per series.

    A cold build takes a few minutes on two cores; later sessions reuse the cache in
    ``<repo>/.cache/kernel``. A build that fails is a test failure with the log's tail.
    """
    try:
        return build_kernel(default_cache_dir(), series=request.param)
    except KernelEnvironmentError as err:
        missing(str(err))
