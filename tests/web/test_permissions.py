"""Every URL of the workspace for every role, allowed and refused, and ids made to escape the year directory."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

import generator

from .conftest import OTHER, OWNER

ROLES = (None, "owner", "other", "reviewer", "admin")
LOGIN = 302  # not logged in: redirected to the login page
STAFF_ONLY = {None: LOGIN, "owner": 403, "other": 403, "reviewer": 200, "admin": 200}
COMPILED = "2022-20260101T000000-abcdef"   # conftest.finished_compile


def _png(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "PNG")
    return buffer.getvalue()


def _base(sources):
    return generator.file_hash(sources / "2022" / "r01.md")


def _text(sources):
    return (sources / "2022" / "r01.md").read_text(encoding="utf-8")


# (method, url, data(sources) or None, {role: expected status})
CASES = [
    ("get", "/", None, {None: LOGIN, "owner": 200, "other": 200, "reviewer": 200, "admin": 200}),
    ("get", "/new/", None, {None: LOGIN, "owner": 200, "other": 200, "reviewer": 200, "admin": 200}),
    ("get", "/r/2022/r01/", None, {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("post", "/r/2022/r01/check", lambda s: {"text": _text(s)},
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("post", "/r/2022/r01/front-matter", lambda s: {"text": _text(s), "key": "theme", "value": "党建+安全生产"},
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 403, "admin": 200}),
    ("post", "/r/2022/r01/save", lambda s: {"text": _text(s) + "\n补充一段。\n", "base": _base(s)},
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 403, "admin": 200}),
    # r01 is approved already: the owner and the admin may submit drafts, but this one is not a draft (400)
    ("post", "/r/2022/r01/submit", lambda s: {"base": _base(s)},
     {None: LOGIN, "owner": 400, "other": 403, "reviewer": 403, "admin": 400}),
    ("post", "/r/2022/r01/preview", lambda s: {"text": _text(s), "line": "20"},
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/r/2022/r01/download.pdf", None, {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/r/2022/r01/download.docx", None,
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/r/2022/r01/history/", None, {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("post", "/r/2022/r01/assets/", lambda s: {"image": _upload("chart.png", _png())},
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 403, "admin": 200}),
    ("get", "/r/2022/r02/assets/r02-hazards.png", None,   # r02 names 王建国; its chart is his to read
     {None: LOGIN, "owner": 403, "other": 200, "reviewer": 200, "admin": 200}),
    # compiling the year (issue 17): reviewers and admins only; COMPILED is `finished_compile`'s compile of 2022.
    # Starting one (POST /compile/<year>/start) is in test_compile.py, which waits for the build it starts.
    ("get", "/compile/", None, STAFF_ONLY),
    ("get", "/compile/2022/", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/status", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/volume.pdf", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/volume.docx", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/reports/r01.pdf", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/reports/r01.docx", None, STAFF_ONLY),
    ("get", f"/compile/2022/{COMPILED}/year.zip", None, STAFF_ONLY),
]


def _submitted(sources):
    """r01 made a submitted report again (each role's request starts from that state) and the hash to act on."""
    path = sources / "2022" / "r01.md"
    path.write_text(path.read_text(encoding="utf-8").replace("status: 已审定", "status: 已提交", 1)
                    .replace("status: 草稿", "status: 已提交", 1), encoding="utf-8")
    return _base(sources)


def _unordered(sources):
    """r01 without a volume order (each role's request starts from that state) and the hash to act on."""
    path = sources / "2022" / "r01.md"
    path.write_text("".join(line for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
                            if not line.startswith("volume_order:")), encoding="utf-8")
    return _base(sources)


# The publicity desk (issue 17): the README's permissions table, row by row
DESK_CASES = [
    ("get", "/desk/", None, {None: LOGIN, "owner": 403, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/desk/?status=已提交&sort=changed&dir=desc", None,
     {None: LOGIN, "owner": 403, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/desk/audit/", None, {None: LOGIN, "owner": 403, "other": 403, "reviewer": 403, "admin": 200}),
    ("get", "/desk/audit/?format=csv", None, {None: LOGIN, "owner": 403, "other": 403, "reviewer": 403, "admin": 200}),
    ("get", "/r/2022/r01/review/", None, {None: LOGIN, "owner": 403, "other": 403, "reviewer": 200, "admin": 200}),
    ("post", "/r/2022/r01/review/return", lambda s: {"base": _submitted(s), "comment": "请修改。"},
     {None: LOGIN, "owner": 403, "other": 403, "reviewer": 302, "admin": 302}),
    ("post", "/r/2022/r01/review/approve", lambda s: {"base": _submitted(s)},
     {None: LOGIN, "owner": 403, "other": 403, "reviewer": 302, "admin": 302}),
    ("post", "/r/2022/r01/review/order", lambda s: {"base": _unordered(s), "order": "2"},
     {None: LOGIN, "owner": 403, "other": 403, "reviewer": 302, "admin": 302}),
    ("post", "/r/2022/r01/comments", lambda s: {"body": "意见", "first_line": "3", "last_line": "4", "base": _base(s)},
     {None: LOGIN, "owner": 403, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/r/2022/r01/comments", None, {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("post", "/r/2022/r01/comments", lambda s: {"text": _text(s)},
     {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
    ("get", "/r/2022/r01/timeline/", None, {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}),
]
CASES += DESK_CASES


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize("method,url,data,expected", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_every_url_for_every_role(client_as, sources, finished_compile, method, url, data, expected):
    r02 = (sources / "2022" / "r02.md").read_text(encoding="utf-8")
    assert OTHER in r02.split("---")[1] and OWNER not in r02.split("---")[1]
    for role in ROLES:
        client = client_as(role)
        response = getattr(client, method)(url, data(sources) if data else None)
        assert response.status_code == expected[role], (role, response.status_code, response.content[:300])
        if role is None:
            assert response["Location"].startswith("/login/")


def test_refusals_are_pages_in_the_users_language(client_as):
    refused = client_as("other").get("/r/2022/r01/")
    assert refused.status_code == 403 and "您无权打开这份报告" in refused.content.decode()
    missing = client_as("other").get("/r/2022/nothing/")
    assert missing.status_code == 404 and "没有这个页面" in missing.content.decode()


def test_the_admin_site_is_for_admins_only(client_as):
    for role in ROLES:
        response = client_as(role).get("/admin/")
        if role == "admin":
            assert response.status_code == 200
        else:
            assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), role


def test_pages_without_a_draft_for_every_role(client_as):
    for role in ROLES:
        client = client_as(role)
        assert client.get("/login/").status_code == 200
        assert client.get("/set-password/MQ/not-a-token/").status_code == 400
        assert client.post("/language/", {"language": "en", "next": "/"}).status_code == 302
        assert client.get("/logout/").status_code == 405          # only by POST (with its CSRF token)
        assert client.post("/logout/").status_code == 302
        assert client.get("/").status_code == 302                  # logged out now


def test_revision_and_restore_for_every_role(client_as, sources):
    owner = client_as("owner")
    assert owner.get("/r/2022/r01/").status_code == 200   # records the file as the first revision
    original = _text(sources)
    assert owner.post("/r/2022/r01/save", {"text": original + "\n新段落。\n", "base": _base(sources)}).status_code == 200
    from generator.web.models import Revision

    first = Revision.objects.filter(report__report_id="r01").order_by("id").first()
    url = f"/r/2022/r01/history/{first.pk}/"
    for role, status in {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}.items():
        assert client_as(role).get(url).status_code == status, role
    for role, status in {None: LOGIN, "other": 403, "reviewer": 403}.items():
        assert client_as(role).post(url + "restore", {"base": _base(sources)}).status_code == status, role
    assert _text(sources) == original + "\n新段落。\n"
    assert owner.post(url + "restore", {"base": _base(sources)}).status_code == 302
    assert _text(sources) == original
    assert client_as("admin").post(url + "restore", {"base": _base(sources)}).status_code == 302


def test_a_counselor_sees_only_the_reports_naming_them(client_as):
    page = client_as("owner").get("/").content.decode()
    assert 'data-report="2022/r01"' in page and 'data-report="2022/r02"' not in page
    everything = client_as("reviewer").get("/").content.decode()
    assert 'data-report="2022/r01"' in everything and 'data-report="2022/r02"' in everything


def test_creating_a_report_names_the_creator(client_as, sources):
    form = {"year": "2022", "report_id": "r90", "company": "云岭西南水泥有限公司", "theme": "党建+安全生产",
            "counselors": [OWNER], "title": ""}
    assert client_as("other").post("/new/", form).status_code == 403        # a report not naming them
    assert client_as("reviewer").post("/new/", form).status_code == 403
    response = client_as("owner").post("/new/", form)
    assert response.status_code == 302 and response["Location"] == "/r/2022/r90/"
    path, text = generator.new_draft_text(generator.load_config(sources.parent / "reportgen.toml"),
                                          generator.load_registry(sources / "registry.yaml"), report_id="r90",
                                          year=2022, company=form["company"], counselors=[OWNER],
                                          theme=form["theme"])
    assert (sources / "2022" / "r90.md").read_text(encoding="utf-8") == text
    assert client_as("owner").post("/new/", form).status_code == 409        # never overwritten
    assert client_as("admin").post("/new/", {**form, "report_id": "r91", "counselors": [OTHER]}).status_code == 302
    assert client_as("owner").post("/new/", {**form, "report_id": "../r92"}).status_code == 400
    assert client_as("owner").post("/new/", {**form, "report_id": "r93", "counselors": [OWNER, "无名氏"]}
                                   ).status_code == 400


def test_uploading_a_markdown_file(client_as, sources):
    text = (sources / "2022" / "r01.md").read_text(encoding="utf-8")
    upload = _upload("r95.md", text.encode("utf-8"))
    assert client_as("other").post("/upload/", {"year": "2022", "file": upload}).status_code == 403
    upload = _upload("r95.md", ("\ufeff" + text).encode("utf-8"))
    response = client_as("owner").post("/upload/", {"year": "2022", "file": upload})
    assert response.status_code == 302 and (sources / "2022" / "r95.md").read_text(encoding="utf-8") == text
    assert client_as("owner").post("/upload/", {"year": "2022", "file": _upload("r96.md", b"\xff\xfe")}
                                   ).status_code == 400
    assert client_as("owner").post("/upload/", {"year": "2022", "report_id": "../x", "file": _upload(
        "x.md", text.encode("utf-8"))}).status_code == 404
    response = client_as("owner").post("/upload/", {"year": "2022", "file": _upload("../../r97.md", text.encode())})
    assert response.status_code == 302 and (sources / "2022" / "r97.md").is_file()   # the name's path dropped


@pytest.mark.parametrize("url", [
    "/r/2022/..%2F..%2Freportgen/", "/r/2022/%2e%2e/", "/r/2022/r01%00/", "/r/0/r01/", "/r/20221/r01/",
    "/r/2022/registry/", "/r/2022/_volume/", "/r/2022/r01/assets/..%2Fr01.md", "/r/2022/r01/assets/.hidden.png",
    "/r/2022/r01/assets/x.svg", "/r/2022/r01/download.exe", "/r/2022/r01/history/999999/",
])
def test_ids_and_names_escaping_the_year_directory_are_refused(client_as, url):
    for role in ("owner", "admin"):
        assert client_as(role).get(url).status_code == 404, (role, url)


def test_a_symlink_out_of_the_year_directory_is_no_draft(client_as, sources, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text((sources / "2022" / "r01.md").read_text(encoding="utf-8"), encoding="utf-8")
    os.symlink(secret, sources / "2022" / "evil.md")
    assert client_as("admin").get("/r/2022/evil/").status_code == 404
    assert client_as("owner").post("/r/2022/evil/save", {"text": "x", "base": ""}).status_code == 404


def test_roles_come_from_groups():
    from django.contrib.auth.models import AnonymousUser

    from generator.web import permissions
    from generator.web.users import add_user

    add_user("desk", role="reviewer", password="x" * 12)
    from django.contrib.auth import get_user_model

    desk = get_user_model().objects.get(username="desk")
    assert permissions.roles(desk) == {"reviewer"}
    assert permissions.can(desk, "view", ("谁",)) and not permissions.can(desk, "edit", ("谁",))
    assert not permissions.can(AnonymousUser(), "view", ())
    desk.is_active = False
    assert not permissions.can(desk, "view", ("谁",))


def test_resolving_a_comment_for_every_role(client_as, sources):
    from generator.web.models import Comment

    for role, status in {None: LOGIN, "owner": 200, "other": 403, "reviewer": 200, "admin": 200}.items():
        response = client_as("reviewer").post("/r/2022/r01/comments", {"body": "意见", "first_line": "3",
                                                                       "last_line": "3", "base": _base(sources)})
        number = response.json()["id"]
        answer = client_as(role).post(f"/r/2022/r01/comments/{number}/resolve")
        assert answer.status_code == status, role
        assert (Comment.objects.get(pk=number).resolved is not None) == (status == 200), role
    assert client_as("owner").post("/r/2022/r01/comments/999999/resolve").status_code == 404


def test_a_reviewer_given_the_text_permission_may_edit_and_upload_but_not_submit(client_as, sources):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.get(username="publicity")
    user.user_permissions.add(Permission.objects.get(codename="edit_counselor_text"))
    reviewer = client_as("reviewer")
    assert reviewer.post("/r/2022/r01/save", {"text": _text(sources) + "\n补。\n", "base": _base(sources)}
                         ).status_code == 200
    assert reviewer.post("/r/2022/r01/assets/", {"image": _upload("c.png", _png())}).status_code == 200
    assert reviewer.post("/r/2022/r01/front-matter", {"text": _text(sources), "key": "theme",
                                                     "value": "党建+安全生产"}).status_code == 200
    assert reviewer.post("/r/2022/r01/submit", {"base": _base(sources)}).status_code == 403
    assert reviewer.get("/desk/audit/").status_code == 403
    # the rest of the column is the reviewer's: the permission adds text, nothing else
    for url in ("/desk/", "/r/2022/r01/", "/r/2022/r01/review/", "/r/2022/r01/timeline/", "/r/2022/r01/history/",
                "/r/2022/r01/comments", "/r/2022/r01/download.pdf"):
        assert reviewer.get(url).status_code == 200, url
    assert reviewer.post("/r/2022/r01/comments", {"body": "意见", "first_line": "2", "last_line": "2",
                                                  "base": _base(sources)}).status_code == 200
    number = reviewer.post("/r/2022/r01/comments", {"body": "再一条", "first_line": "3", "last_line": "3",
                                                    "base": _base(sources)}).json()["id"]
    assert reviewer.post(f"/r/2022/r01/comments/{number}/resolve").status_code == 200
    for action in ("return", "approve"):
        data = {"base": _submitted(sources), "comment": "请修改。"}
        assert reviewer.post(f"/r/2022/r01/review/{action}", data).status_code == 302, action
