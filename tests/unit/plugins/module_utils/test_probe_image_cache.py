"""The probe image cache: present by ID; removed only when labelled and unused."""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils import _probe_image_cache

A, B, C = ("sha256:" + c * 64 for c in "abc")


def test_present_means_the_engine_reports_that_id(engine) -> None:
    assert not _probe_image_cache.is_present(engine.cli, A)
    engine.write("image-" + A)
    assert _probe_image_cache.is_present(engine.cli, A)
    assert _probe_image_cache.IMAGE_ID.match(A) and not _probe_image_cache.IMAGE_ID.match(A[:-1])
    assert _probe_image_cache.load_command("docker", "/r/a.tar") == [
        "docker", "load", "--input", "/r/a.tar"]


def test_podman_prints_the_id_without_its_prefix(engine) -> None:
    # Podman 4.3's `image inspect --format {{.Id}}` prints the hex alone (measured).
    engine.write("image-" + A, A[len("sha256:"):] + "\n")
    assert _probe_image_cache.is_present(engine.cli, A, "podman")
    assert not _probe_image_cache.is_present(engine.cli, A)  # never so for Docker
    engine.write("image-" + B, B + "\n")
    assert _probe_image_cache.is_present(engine.cli, B, "podman")
    engine.write("image-" + C, "c" * 63 + "\n")  # not an ID: not this image
    assert not _probe_image_cache.is_present(engine.cli, C, "podman")


def test_only_labelled_unused_images_are_removed(engine) -> None:
    engine.write("images", "%s\n%s\n%s\n%s\n" % (A, B, C, A))
    for image in (A, B):
        engine.write("image-" + image)
        engine.write("image-label-" + image, "true\n")
    engine.write("image-label-" + C, "false\n")  # listed, but its label does not read back
    engine.write("users-ancestor=" + B, "d00d\n")
    assert _probe_image_cache.probe_images(engine.cli, None) == [A, B]
    assert _probe_image_cache.probe_images(engine.cli, B) == [B]
    assert _probe_image_cache.remove_images(engine.cli, None, check_mode=True) == ([A], [B])
    assert not any(call.startswith("image rm") for call in engine.calls())
    assert _probe_image_cache.remove_images(engine.cli, None, check_mode=False) == ([A], [B])
    assert "image rm " + A in engine.calls()
    assert not _probe_image_cache.is_present(engine.cli, A)
