"""The Worker boots under workerd and answers with the error envelope everywhere: the
in-process tests of tests/app/test_foundation.py, through the runtime's own request and
response conversions."""

from tests.app.test_foundation import (  # noqa: F401 - collected here, run against the Worker
    test_head_has_headers_and_no_body,
    test_health_reports_service_and_version,
    test_unknown_path_is_a_404_envelope,
    test_wrong_method_is_a_405_envelope_with_allow,
)
