"""Editing through the workspace: live diagnostics at the right place, fixes, saves that never overwrite a
change made elsewhere, submission, history, images, and the hardening of every response."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

import generator
from generator.cli import main

from .conftest import OWNER, PASSWORD, PROJECT


def _draft(sources, report_id="r01"):
    return sources / "2022" / f"{report_id}.md"


def test_diagnostics_of_the_text_in_memory_name_line_col_and_editor_offsets(client_as, sources):
    text = _draft(sources).read_text(encoding="utf-8")
    lines = text.split("\n")
    number = next(index for index, line in enumerate(lines) if line.startswith("云岭")) + 1
    lines[number - 1] = "𠀀甲，" + lines[number - 1].replace("，", ",", 1)   # an astral character before it
    text = "\n".join(lines)
    data = json.loads(client_as("owner").post("/r/2022/r01/check", {"text": text}).content)
    expected = [item for item in generator.check_text(text, path=_draft(sources), config=_config(),
                                                      registry=_registry()) if item.code == "TXT403"]
    shown = [item for item in data["diagnostics"] if item["code"] == "TXT403"]
    assert expected and [(item["line"], item["col"]) for item in shown] == [(d.line, d.col) for d in expected]
    first = shown[0]
    assert first["line"] == number
    utf16 = text.encode("utf-16-le")
    assert utf16[2 * first["from"]:2 * first["to"]].decode("utf-16-le") == ","   # where the browser marks it
    # the fix, applied at the editor's offsets, is exactly what `check --fix` does to the text
    fixed = (utf16[:2 * first["fix"][0]["from"]] + first["fix"][0]["insert"].encode("utf-16-le")
             + utf16[2 * first["fix"][0]["to"]:]).decode("utf-16-le")
    assert fixed == generator.apply_fix(text, expected[0])
    assert "TXT403" not in [item.code for item in generator.check_text(
        fixed, path=_draft(sources), config=_config(), registry=_registry())]
    assert data["errors"] == sum(d.severity == generator.Severity.ERROR for d in generator.check_text(
        text, path=_draft(sources), config=_config(), registry=_registry()))


def _config():
    return generator.load_config(PROJECT / "reportgen.toml")


def _registry():
    return generator.load_registry(PROJECT / "reports_src" / "registry.yaml")


def test_a_save_over_a_change_made_elsewhere_is_refused_with_the_three_versions(client_as, sources):
    owner = client_as("owner")
    assert owner.get("/r/2022/r01/").status_code == 200
    path = _draft(sources)
    opened = path.read_text(encoding="utf-8")
    base = generator.file_hash(path)
    path.write_text(opened.replace("云岭公司", "云岭水泥公司", 1), encoding="utf-8")   # the CLI, git, another tab
    mine = opened + "\n我的新段落。\n"
    response = owner.post("/r/2022/r01/save", {"text": mine, "base": base})
    assert response.status_code == 409
    data = json.loads(response.content)
    assert data["base"] == opened and data["mine"] == mine and data["theirs"] == path.read_text(encoding="utf-8")
    assert "+我的新段落。" in data["mine_diff"] and "云岭水泥公司" in data["theirs_diff"]
    assert path.read_text(encoding="utf-8") == opened.replace("云岭公司", "云岭水泥公司", 1)   # nothing overwritten
    # the outside change is in the history as a revision of its own, by nobody in the workspace
    owner.get("/r/2022/r01/history/")
    from generator.web.models import Revision

    kinds = list(Revision.objects.filter(report__report_id="r01").order_by("id").values_list("kind", "author"))
    assert kinds == [("external", None), ("external", None)]
    response = owner.post("/r/2022/r01/save", {"text": mine, "base": data["current_hash"]})
    assert response.status_code == 200 and path.read_text(encoding="utf-8") == mine


def test_saving_writes_exactly_the_text_and_records_a_revision(client_as, sources):
    path = _draft(sources)
    text = path.read_text(encoding="utf-8").replace("云岭公司", "云岭公司 ", 1) + "\n  末尾空格 \n"
    response = client_as("owner").post("/r/2022/r01/save", {"text": text, "base": generator.file_hash(path)})
    assert response.status_code == 200
    assert path.read_bytes() == text.encode("utf-8")   # nothing reformatted, not even the spaces
    from generator.web.models import Revision

    revision = Revision.objects.get(pk=json.loads(response.content)["revision"])
    assert (revision.author.username, revision.kind, revision.text) == (OWNER, "saved", text)
    assert revision.content_hash == generator.file_hash(path)
    with pytest.raises(ValueError):
        revision.save()          # append-only
    with pytest.raises(ValueError):
        revision.delete()


def test_a_draft_saved_in_the_browser_builds_like_the_same_text_written_by_hand(client_as, sources, tmp_path):
    from tests.helpers import corpus_project

    text = _draft(sources).read_text(encoding="utf-8").replace("云岭公司", "云岭分公司", 1)
    assert client_as("owner").post("/r/2022/r01/save", {"text": text, "base": generator.file_hash(
        _draft(sources))}).status_code == 200
    by_hand = corpus_project(tmp_path, [])
    (by_hand / "reports_src" / "2022" / "r01.md").write_text(text, encoding="utf-8")
    assert (by_hand / "reports_src" / "2022" / "r01.md").read_bytes() == _draft(sources).read_bytes()
    for root in (PROJECT, by_hand):
        result = generator.run_build(generator.load_config(root / "reportgen.toml"), jobs=1, volume=False,
                                     paths=[root / "reports_src" / "2022" / "r01.md"], out=tmp_path / root.name)
        assert result.exit_status == 0
    assert (tmp_path / PROJECT.name / "2022" / "reports" / "r01.pdf").read_bytes() == \
        (tmp_path / by_hand.name / "2022" / "reports" / "r01.pdf").read_bytes()


def test_submit_only_without_errors_and_the_status_changes_in_the_file(client_as, sources):
    from generator.web.models import Transition

    path = _draft(sources)
    approved = path.read_text(encoding="utf-8")
    draft = approved.replace("status: 已审定", "status: 草稿", 1)
    broken = draft.replace("counselors: [周文博, 郑德华]", "counselors: [周文博, 无名氏]", 1)
    path.write_text(broken, encoding="utf-8")
    owner = client_as("owner")
    response = owner.post("/r/2022/r01/submit", {"base": generator.file_hash(path)})
    assert response.status_code == 400 and "错误" in json.loads(response.content)["error"]
    assert path.read_text(encoding="utf-8") == broken and not Transition.objects.exists()
    path.write_text(draft, encoding="utf-8")
    assert owner.post("/r/2022/r01/submit", {"base": "stale"}).status_code == 409
    response = owner.post("/r/2022/r01/submit", {"base": generator.file_hash(path)})
    assert response.status_code == 200
    assert path.read_text(encoding="utf-8") == draft.replace("status: 草稿", "status: 已提交", 1)
    transition = Transition.objects.get()
    assert (transition.from_status, transition.to_status, transition.actor.username) == ("草稿", "已提交", OWNER)
    assert transition.revision.text == path.read_text(encoding="utf-8")
    assert owner.post("/r/2022/r01/submit", {"base": generator.file_hash(path)}).status_code == 400   # once


def test_front_matter_pickers_change_one_value_and_refuse_names_not_in_the_registry(client_as, sources):
    text = _draft(sources).read_text(encoding="utf-8")
    owner = client_as("owner")
    data = json.loads(owner.post("/r/2022/r01/front-matter", {"text": text, "key": "company",
                                                             "value": "巴山西南水泥有限公司"}).content)
    assert data["text"] == text.replace("company: 云岭西南水泥有限公司", "company: 巴山西南水泥有限公司", 1)
    data = json.loads(owner.post("/r/2022/r01/front-matter", {"text": text, "key": "counselors",
                                                             "value": ["周文博", "李华清"]}).content)
    assert data["text"] == text.replace("[周文博, 郑德华]", "[周文博, 李华清]", 1)
    for key, value in (("company", "不存在公司"), ("counselors", "无名氏"), ("theme", "党建+别的"), ("title", "x")):
        assert owner.post("/r/2022/r01/front-matter", {"text": text, "key": key, "value": value}).status_code == 400


def _image(kind="PNG", size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


def test_images_are_sniffed_limited_named_safely_and_checked(client_as, sources, settings_override):
    from django.core.files.uploadedfile import SimpleUploadedFile

    owner = client_as("owner")
    data = json.loads(owner.post("/r/2022/r01/assets/", {"image": SimpleUploadedFile(
        "图表 (1).jpeg.png", _image("JPEG"))}).content)
    assert data["name"].startswith("r01-") and data["name"].endswith(".jpg")     # the content decides
    assert data["markdown"] == f"![](assets/{data['name']})"
    assert (sources / "2022" / "assets" / data["name"]).read_bytes() == _image("JPEG")
    for name, content in (("x.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>"), ("x.png", b"GIF89a broken"),
                          ("x.png", _image("PNG")[:60])):
        response = owner.post("/r/2022/r01/assets/", {"image": SimpleUploadedFile(name, content)})
        assert response.status_code == 400, name
    with settings_override(IMAGE_MAX_BYTES=1000):
        response = owner.post("/r/2022/r01/assets/", {"image": SimpleUploadedFile("big.png", _image(size=(400, 400)))})
        assert response.status_code == 400
    assert sorted(path.name for path in (sources / "2022" / "assets").iterdir() if path.name.startswith(
        ("upload-", "r01-"))) == [data["name"]]   # nothing refused was left behind


@pytest.fixture
def settings_override():
    from django.test import override_settings

    return override_settings


def test_history_shows_each_revision_with_its_diff_and_restores_it(client_as, sources):
    owner = client_as("owner")
    path = _draft(sources)
    original = path.read_text(encoding="utf-8")
    owner.get("/r/2022/r01/")
    owner.post("/r/2022/r01/save", {"text": original + "\n第二版。\n", "base": generator.file_hash(path)})
    page = owner.get("/r/2022/r01/history/").content.decode()
    from generator.web.models import Revision

    saved = Revision.objects.filter(report__report_id="r01", kind="saved").get()
    assert f"/r/2022/r01/history/{saved.pk}/" in page and OWNER in page
    diff = owner.get(f"/r/2022/r01/history/{saved.pk}/").content.decode()
    assert "+第二版。" in diff


def test_responses_are_hardened(client_as):
    client = client_as("owner")
    response = client.get("/r/2022/r01/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy and "frame-ancestors 'none'" in policy
    nonce = response.wsgi_request.csp_nonce
    assert f"style-src 'self' 'nonce-{nonce}'" in policy and client.get("/").wsgi_request.csp_nonce != nonce
    page = response.content.decode()
    assert "<script>" not in page and " on" + "click=" not in page    # no inline script at all
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(response.wsgi_request.user)
    assert strict.post("/r/2022/r01/save", {"text": "x", "base": ""}).status_code == 403   # no CSRF token
    login = Client().get("/login/")
    assert login.cookies["csrftoken"]["httponly"] and login.cookies["csrftoken"]["samesite"] == "Lax"


def test_login_with_argon2_and_attempts_are_rate_limited():
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings

    from generator.web.users import add_user

    from .conftest import ARGON2_HASHERS

    with override_settings(PASSWORD_HASHERS=ARGON2_HASHERS):
        add_user("counselor-a", role="counselor", registry_name=OWNER, password=PASSWORD)
        assert get_user_model().objects.get(username="counselor-a").password.startswith("argon2")
        client = Client()
        response = client.post("/login/", {"username": "counselor-a", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/"
        assert client.cookies["sessionid"]["httponly"] and client.cookies["sessionid"]["samesite"] == "Lax"
        attacker = Client()
        statuses = [attacker.post("/login/", {"username": "counselor-a", "password": "wrong"}).status_code
                    for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        assert attacker.post("/login/", {"username": "counselor-a", "password": PASSWORD}).status_code == 429


def test_the_interface_is_chinese_by_default_and_english_on_request(client_as):
    client = client_as("owner")
    assert "我的报告" in client.get("/").content.decode()
    response = client.post("/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert "My reports" in client.get("/").content.decode()
    assert client.post("/language/", {"language": "en", "next": "https://elsewhere.example/"})["Location"] == "/"
    text = "---\ntitle: x\n---\n\n正文\n"
    english = json.loads(client.post("/r/2022/r01/check", {"text": text}).content)["diagnostics"]
    chinese = json.loads(client_as("other").post("/r/2022/r02/check", {"text": text}).content)["diagnostics"]
    assert english and all(item["message"].isascii() or "“" in item["message"] for item in english)
    assert [item["code"] for item in english] == [item["code"] for item in chinese]
    assert english[0]["message"] != chinese[0]["message"] and not chinese[0]["message"].isascii()


def test_users_import_prints_one_time_links_that_set_a_password(capsys):
    from django.test import Client

    from generator.web.models import Account

    assert main(["users", "import", "--config", str(PROJECT / "reportgen.toml")]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    registry = _registry()
    assert len(lines) == len(registry.counselors)
    name, role, state, link = lines[0].split("\t")
    assert (name, role, state) == (registry.counselors[0].name, "counselor", "已创建")
    assert Account.objects.get(user__username=name).registry_name == name
    path = link.removeprefix("http://127.0.0.1:8000")
    client = Client()
    assert client.get(path).status_code == 200
    new = "a much longer secret 42"
    assert client.post(path, {"new_password1": new, "new_password2": new}).status_code == 302
    assert client.get(path).status_code == 400                         # one time only
    assert client.login(username=name, password=new)
    assert main(["users", "add", "desk", "--role", "reviewer", "--config", str(PROJECT / "reportgen.toml")]) == 0
    assert "\treviewer\t" in capsys.readouterr().out


def test_downloads_and_previews_are_the_real_report(client_as, sources):
    path = _draft(sources)
    config = _config()
    document = generator.parse_text(path.read_text(encoding="utf-8"), path=path, config=config)
    expected = generator.Renderer(config).pdf(document)
    response = client_as("reviewer").get("/r/2022/r01/download.pdf")
    assert response.content == expected.data and response["Content-Type"] == "application/pdf"
    assert 'filename="2022-r01.pdf"' in response["Content-Disposition"]
    owner = client_as("owner")
    text = path.read_text(encoding="utf-8")
    first = json.loads(owner.post("/r/2022/r01/preview", {"text": text, "line": "1"}).content)
    last_line = max(number for number, line in enumerate(text.split("\n"), start=1)
                    if line.strip() and not line.startswith("[^"))   # the last paragraph (footnotes go elsewhere)
    last = json.loads(owner.post("/r/2022/r01/preview", {"text": text, "line": str(last_line)}).content)
    assert first["pages"] == last["pages"] == expected.pages and first["page"] == 1
    assert last["page"] > expected.pages // 2
    assert last["image"].startswith("data:image/png;base64,") and last["image"] != first["image"]


def test_a_preview_fetches_nothing_a_draft_names(client_as, sources):
    import http.server
    import threading

    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        address = f"http://127.0.0.1:{server.server_port}"
        text = _draft(sources).read_text(encoding="utf-8") + (
            f"\n![图]({address}/image.png)\n\n<img src=\"{address}/raw.png\">\n\n"
            f"<link rel=\"stylesheet\" href=\"{address}/style.css\">\n\n[链接]({address}/page)\n")
        response = client_as("owner").post("/r/2022/r01/preview", {"text": text, "line": "1"})
        assert response.status_code == 200 and json.loads(response.content)["pages"] >= 1
    finally:
        server.shutdown()
    assert hits == []
