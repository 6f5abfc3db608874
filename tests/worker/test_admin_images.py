"""Admin image routes: alternatives, override (URL and upload), revert, delete, re-analysis."""

from __future__ import annotations

from rewind_devkit.local_worker import LocalWorker
from tests.app.test_admin_images import (  # noqa: F401 - collected here, run against the Worker
    test_an_oversize_upload_is_413,
    test_delete_removes_row_and_object_and_the_next_get_starts_afresh,
    test_override_by_upload_replaces_the_old_extension,
    test_override_by_url_bumps_the_version_in_the_next_redirect,
    test_reanalyze_restores_missing_hashes_in_batches,
    test_revert_goes_back_to_the_sources_with_a_new_version,
)
from tests.helpers import assert_store_consistent


def test_store_is_consistent_after_admin_operations(worker: LocalWorker) -> None:
    assert_store_consistent(worker)
