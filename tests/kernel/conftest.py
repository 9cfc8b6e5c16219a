"""The kernel build shared by the slow kernel tests (cached: instant once built)."""

from __future__ import annotations

import pytest

from mica_testbed.kernel import (
    KernelBuild,
    KernelEnvironmentError,
    build_kernel,
    default_cache_dir,
)
from support import unavailable as missing


@pytest.fixture(scope="session")
def kernel_build() -> KernelBuild:
    """The layer's patches and fragment built into a small arm64 kernel, plus uio_ivshmem.ko.

    A cold build takes a few minutes on two cores; later sessions reuse the cache in
    ``<repo>/.cache/kernel``. A build that fails is a test failure with the log's tail.
    """
    try:
        return build_kernel(default_cache_dir())
    except KernelEnvironmentError as err:
        missing(str(err))
