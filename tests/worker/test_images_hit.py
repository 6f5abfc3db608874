"""The hit path under workerd: exact redirects through the runtime's header conversion, and a
version written straight into the real D1 reaching the cached hit path (its triggers feed the
change log). The same tests run in-process in tests/app/test_images_hit.py."""

from tests.app.test_images_hit import (  # noqa: F401 - collected here, run against the Worker
    test_a_no_image_record_is_a_404_not_a_broken_redirect,
    test_a_version_written_elsewhere_reaches_the_cached_hit_path,
    test_entity_id_segments_are_percent_encoded_in_the_location,
    test_head_answers_like_get_without_a_body,
    test_hit_redirects_to_the_exact_cdn_url_for_each_size,
)
