"""Voice prompts through the API: list, upload, and every way an upload can be wrong."""

from __future__ import annotations

import pytest
from audio_samples import MP3_SAMPLE, read_wav, wav_bytes
from support import count_rows

from outreach.languages import LANGUAGES
from outreach.models import AuditEvent, Recording

URL = "/api/v1/prompts/hiv-testing/start/ps"


@pytest.fixture
def coordinator(api, make_user):
    return api(make_user("coordinator", ["pk-isb"]))


def put_audio(client, url, data, content_type="audio/wav"):
    headers = {**client.headers, "Content-Type": content_type}
    return client.client.put(url, data=data, headers=headers)


def test_list_every_prompt_of_a_topic_in_a_language(coordinator):
    answer = coordinator.get("/api/v1/prompts?topic=hiv-testing&language=ps")
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert [i["prompt"] for i in items] == ["start", "details", "where", "voicemail"]
    start = items[0]
    assert set(start) == {"topic", "prompt", "language", "text", "recording", "tts", "url"}
    assert (start["topic"], start["language"], start["recording"], start["tts"]) == (
        "hiv-testing",
        "ps",
        "placeholder",
        False,
    )
    assert "{mrc_name}" in start["text"] and start["url"].startswith("/audio/")
    assert coordinator.client.get(start["url"]).status_code == 200


def test_the_whole_list_has_every_prompt_in_every_language(coordinator):
    items = coordinator.get("/api/v1/prompts").get_json()["items"]
    assert len(items) == (10 + 3 * 4) * len(LANGUAGES)
    common = coordinator.get("/api/v1/prompts?topic=common&language=en").get_json()["items"]
    assert {i["prompt"] for i in common} >= {"goodbye", "opt_out_confirm", "hotline_welcome"}


def test_unknown_filters_are_clear_errors(coordinator):
    assert coordinator.get("/api/v1/prompts?topic=legal-aid").status_code == 404
    bad = coordinator.get("/api/v1/prompts?language=de")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "validation_failed"
    twice = coordinator.get("/api/v1/prompts?language=en&language=ru")
    assert twice.status_code == 422


def test_upload_a_wav_then_an_mp3_replacing_it(coordinator):
    first = put_audio(coordinator, URL, wav_bytes(2.0))
    assert first.status_code == 200
    item = first.get_json()
    assert (item["topic"], item["prompt"], item["language"], item["recording"]) == (
        "hiv-testing",
        "start",
        "ps",
        "uploaded",
    )
    served = coordinator.client.get(item["url"])
    assert served.status_code == 200 and served.mimetype == "audio/wav"
    assert read_wav(served.data)[:3] == (1, 2, 8000)

    second = put_audio(coordinator, URL, MP3_SAMPLE.read_bytes(), "audio/mpeg").get_json()
    assert second["recording"] == "uploaded" and second["url"] != item["url"]
    assert count_rows(Recording) == 1
    listed = coordinator.get("/api/v1/prompts?topic=hiv-testing&language=ps").get_json()
    assert listed["items"][0]["url"] == second["url"]
    assert count_rows(AuditEvent, AuditEvent.action == "prompt.upload") == 2


def test_a_counsellor_may_neither_list_nor_upload(api, make_user):
    counsellor = api(make_user("counsellor", ["pk-isb"]))
    for answer in (counsellor.get("/api/v1/prompts"), put_audio(counsellor, URL, wav_bytes())):
        assert answer.status_code == 403
        assert answer.get_json()["error"]["code"] == "forbidden"
    assert count_rows(Recording) == 0


def test_an_admin_may_upload(api, make_user):
    admin = api(make_user("admin", []))
    assert put_audio(admin, "/api/v1/prompts/common/goodbye/en", wav_bytes()).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/prompts/legal-aid/start/en",
        "/api/v1/prompts/hiv-testing/welcome/en",
        "/api/v1/prompts/hiv-testing/start/de",
        "/api/v1/prompts/common/start/en",
        "/api/v1/prompts/hiv-testing/start/" + "x" * 5000,
    ],
)
def test_an_unknown_topic_prompt_or_language_is_404(coordinator, url):
    answer = put_audio(coordinator, url, wav_bytes())
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def bad_audio(answer, words):
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] == "bad_audio" and words in error["message"], error
    assert count_rows(Recording) == 0


def test_a_text_file_named_wav_is_not_audio(coordinator):
    text = b"This is the script for the studio, not a recording.\n" * 10
    bad_audio(put_audio(coordinator, URL, text), "not a WAV or MP3")


def test_a_body_not_declared_as_audio(coordinator):
    bad_audio(put_audio(coordinator, URL, wav_bytes(), "text/plain"), "audio/wav or audio/mpeg")
    bad_audio(coordinator.put(URL, json={"audio": "base64…"}), "audio/wav or audio/mpeg")


def test_a_6_mb_file(coordinator):
    one_second = wav_bytes(1.0, rate=8000, channels=1)
    big = one_second + b"\0" * (6 * 1024 * 1024 - len(one_second))  # size refuses it first
    bad_audio(put_audio(coordinator, URL, big), "the limit is 5 MB")


def test_a_4_minute_wav(coordinator):
    bad_audio(
        put_audio(coordinator, URL, wav_bytes(240, rate=8000, channels=1, width=1)),
        "4.0 minutes; the limit is 3 minutes",
    )


def test_an_empty_or_truncated_wav(coordinator):
    bad_audio(put_audio(coordinator, URL, b""), "not a WAV or MP3")
    bad_audio(put_audio(coordinator, URL, wav_bytes(1.0)[:30]), "not a readable WAV")


def test_the_openapi_document_lists_the_prompt_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/prompts"]) == {"get"}
    put = paths["/api/v1/prompts/{topic}/{prompt}/{language}"]["put"]
    assert set(put["requestBody"]["content"]) == {"audio/wav", "audio/mpeg"}
    assert {"200", "403", "404", "422"} <= set(put["responses"])
