"""The matter editor's form generated from the JSON Schema: render, parse, errors, list operations."""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import pytest
from jinja2 import Environment, FileSystemLoader
from werkzeug.datastructures import MultiDict

from conftest import CONFIG, matter_doc, needs_chromium
from daiban.admin.schema_form import SchemaForm, apply_operation
from daiban.catalog.schemas import check_schema, load_schema
from daiban.catalog.sources import find_files, read_source

MATTER_FILES = find_files(CONFIG / "matters")
CJK = re.compile(r"[\u4e00-\u9fff]")


class _FormData(HTMLParser):
    """Collects what a browser would submit: inputs, checked boxes, selected options, textareas."""

    def __init__(self):
        super().__init__()
        self.pairs: list[tuple[str, str]] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and "name" in a:
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select, self.options = a["name"], []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self.textarea = [a["name"], ""]

    def handle_endtag(self, tag):
        if tag == "select":
            chosen = [v for v, selected in self.options if selected] or [v for v, _ in self.options[:1]]
            self.pairs.append((self.select, chosen[-1]))
            self.select = None
        elif tag == "textarea":
            name, text = self.textarea
            # A browser drops one newline right after <textarea>; html.parser keeps it.
            self.pairs.append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data


def form_data(html) -> MultiDict:
    """The name/value pairs a browser would post for the rendered form."""
    parser = _FormData()
    parser.feed(str(html))
    parser.close()
    return MultiDict(parser.pairs)


def part(html, pointer: str) -> str:
    """The markup of the part with `data-pointer=pointer`, up to the next part."""
    html = str(html)
    start = html.index(f'data-pointer="{pointer}"')
    following = html.find("data-pointer=", start + 1)
    return html[start:following if following != -1 else None]


def texts(html, tag: str) -> list[str]:
    """The text of every `tag` element as seen (tags, the required star and words for screen
    readers only stripped)."""
    found = re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", str(html), re.S)
    seen = [re.sub(r'<span class="sr-only">[^<]*</span>', "", t) for t in found]
    return [re.sub(r"<[^>]+>", "", t).replace("*", "").strip() for t in seen]


@pytest.fixture(scope="module")
def form():
    return SchemaForm()


def group_field(**overrides) -> dict:
    """A field of type group with a nested group inside."""
    field = {
        "id": "family", "label": "家庭成员", "type": "group", "min_items": 1,
        "fields": [
            {"id": "member_name", "label": "姓名", "type": "text", "required": True},
            {"id": "jobs", "label": "工作经历", "type": "group",
             "fields": [{"id": "employer", "label": "单位", "type": "text"}]},
        ],
    }
    field.update(overrides)
    return field


# --- round trip ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", MATTER_FILES, ids=[p.name for p in MATTER_FILES])
def test_every_shipped_matter_survives_render_and_parse(form, path):
    doc = read_source(path).data
    assert form.parse(form_data(form.render(doc, []))) == doc


def test_parse_keeps_schema_key_order_and_writes_no_defaults(form):
    doc = matter_doc()
    back = form.parse(form_data(form.render(doc, {})))
    assert back == doc
    schema, _ = load_schema("matter")
    order = list(schema["properties"])
    assert list(back) == sorted(back, key=order.index)
    for absent in ("status", "channels", "visits_required", "proxy_allowed", "fees", "guide"):
        assert absent not in back


def test_textarea_keeps_leading_newline_and_browsers_crlf_is_normalised(form):
    doc = matter_doc(guide={"raw_text": "\n第一行\n第二行\n"}, notes="甲\n乙")
    data = form_data(form.render(doc))
    assert form.parse(data) == doc
    data["/notes"] = "甲\r\n乙"
    assert form.parse(data)["notes"] == "甲\n乙"


# --- labels -----------------------------------------------------------------------------------------


def _nodes(node, seen):
    if id(node) in seen:
        return
    seen.add(id(node))
    yield node
    for child in [*node.properties.values(), *([node.items] if node.items else [])]:
        yield from _nodes(child, seen)


def test_schema_annotations_cover_every_property_and_enum(form):
    for node in _nodes(form.root, set()):
        for key, child in node.properties.items():
            assert CJK.search(child.title), f"no Chinese title for {key}"
        if node.kind == "enum":
            assert set(node.labels) == set(node.choices), node.choices
            assert all(CJK.search(t) for t in node.labels.values()), node.labels


def test_labels_legends_and_options_are_chinese(form):
    doc = read_source(CONFIG / "matters" / "disability" / "CJR-0001.yaml").data
    html = form.render(doc)
    labels = texts(html, "label") + texts(html, "legend") + texts(html, "summary")
    assert "申请材料" in labels and "原件份数" in labels and "帮办代办受理层级" in labels
    assert "申请材料 3：《中华人民共和国残疾人证申请表》" in labels
    assert [t for t in labels if not CJK.search(t)] == []
    options = texts(html, "option")
    expected = {"嘎查村", "行政确认", "单行文本", "重复组", "未填", "未填（默认）", "是", "否", "窗口办理"}
    assert expected <= set(options + labels)
    assert [t for t in options if not CJK.search(t)] == []
    # Help text is Chinese only: the schemas' English descriptions are for developers.
    helps = texts(html, "small")
    assert helps and [t for t in helps if not CJK.search(t)] == []


# --- errors -----------------------------------------------------------------------------------------


def _broken() -> dict:
    doc = read_source(CONFIG / "matters" / "disability" / "CJR-0001.yaml").data
    doc = copy.deepcopy(doc)
    doc["materials"][2]["originals"] = "abc"
    doc["materials"][1]["orignals"] = 2
    doc["promised_limit"] = {"unit": "working_days"}
    doc["levels"] = []
    doc["conditions"][0].update(rule="hukou_ok", any_of=[{"id": "a", "text": "甲"}])
    del doc["code"]
    return doc


def test_errors_are_shown_beside_the_part_they_concern(form):
    doc = _broken()
    errors = check_schema("matter", doc)
    html = str(form.render(doc, errors))

    originals = part(html, "/materials/2/originals")
    assert 'class="form-control is-invalid" type="text" name="/materials/2/originals"' in originals
    assert 'value="abc"' in originals and 'type="text"' in originals  # kept, not blanked by a number box
    assert "这里应当是整数，实际是文本" in originals
    # A missing required key goes to its empty input, named by its title.
    assert "缺少必填项 “时长”" in part(html, "/promised_limit/amount")
    assert "缺少必填项 “事项编码”" in part(html, "/code")
    assert "is-invalid" in part(html, "/levels") and "列表不能为空" in part(html, "/levels")
    # Errors about an object are at the top of its fieldset, before the first input.
    assert "“rule” 与 “any_of” 不能同时出现" in part(html, "/conditions/0")
    assert "至少需要 2 项" in part(html, "/conditions/0/any_of")
    # An unknown key has no input: the error goes to the nearest rendered part.
    assert "不认识的键 “orignals”" in part(html, "/materials/1")
    assert html.count("invalid-feedback") == len(errors)


def test_no_error_is_lost(form):
    doc = matter_doc(materials="not a list", fields=[{"id": "x"}, "oops"], guide=[1], channels=["fax"])
    errors = check_schema("matter", doc) + [("/fields/9/label", "超出范围的位置"), ("no-slash", "根上的问题")]
    html = str(form.render(doc, {p: [m for q, m in errors if q == p] for p, _ in errors}))
    assert html.count('class="invalid-feedback') == len(errors)
    for _pointer, message in errors:
        assert message in html or message.startswith("缺少必填项")
    assert "超出范围的位置" in part(html, "/fields") and "根上的问题" in part(html, "")
    assert form.parse(form_data(html))["channels"] == ["fax"]  # an unknown choice stays chosen


def test_each_part_with_an_error_is_marked_invalid_and_described_by_its_messages(form):
    doc = _broken()
    errors = check_schema("matter", doc)
    html = str(form.render(doc, errors))
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    described = re.findall(r'<(input|select|textarea|fieldset)\b[^>]*?aria-invalid="true"[^>]*?'
                           r'aria-describedby="([^"]+)"', html)
    # Every message has an id that its input (or its fieldset) points at.
    messages = re.findall(r'<div class="invalid-feedback d-block" id="([^"]+)">', html)
    assert len(messages) == len(errors)
    pointed = {i for _, ids_ in described for i in ids_.split()}
    assert set(messages) <= pointed <= ids
    originals = part(html, "/materials/2/originals")
    assert ('aria-invalid="true" aria-describedby="sf/materials/2/originals-error-1 '
            'sf/materials/2/originals-help"') in originals  # the message, then the help (默认：0。)
    assert 'aria-invalid="true"' not in part(html, "/name")  # only where something is wrong


def test_required_is_in_the_name_not_only_a_red_star(form):
    html = str(form.render(matter_doc()))
    label = re.search(r'<label for="sf/code">(.*?)</label>', html).group(1)
    assert label.endswith('<span class="text-danger" aria-hidden="true">*</span>'
                          '<span class="sr-only">（必填）</span>')
    assert "（必填）" not in re.search(r'<label for="sf/everyday_name">(.*?)</label>', html).group(1)


def test_the_summary_links_each_problem_to_an_element_of_the_form(form):
    from daiban.admin.error_summary import schema_links

    doc = _broken()
    errors = check_schema("matter", doc)
    html = str(form.render(doc, errors))
    links = schema_links(form, doc, errors)
    assert len(links) == len(errors)
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert all(link.target in ids for link in links), [link for link in links if link.target not in ids]
    assert any(link.text == "申请材料 › 第 3 项 › 原件份数：这里应当是整数，实际是文本"
               and link.target == "sf/materials/2/originals" for link in links)
    assert any(link.target == "sf/code" and "事项编码" in link.text for link in links)


def test_unparseable_numbers_stay_strings_for_the_validator(form):
    data = form_data(form.render(matter_doc()))
    data["/version"] = "abc"
    data["/promised_limit/amount"] = " 12 "
    back = form.parse(data)
    assert back["version"] == "abc" and back["promised_limit"]["amount"] == 12
    assert ("/version", "这里应当是整数，实际是文本") in check_schema("matter", back)


# --- types --------------------------------------------------------------------------------------------


def test_values_are_converted_per_schema(form):
    doc = matter_doc()
    doc["fields"][0].update(type="decimal", min=0.5, max=100)
    data = form_data(form.render(doc))
    for name, value in {"/visits_required": "0", "/fields/0/min": "0.01", "/fields/0/max": "1e3",
                        "/fields/1/required": "false", "/fields/0/in_register": "true",
                        "/status": "withdrawn"}.items():
        data[name] = value
    data.setlist("/channels", ["online", "window"])
    data["/aliases"] = "老年津贴\r\n\r\n  高龄补贴  \n"
    back = form.parse(data)
    assert back["visits_required"] == 0 and back["status"] == "withdrawn"
    assert back["fields"][0]["min"] == 0.01 and back["fields"][0]["max"] == 1000.0
    assert back["fields"][1]["required"] is False and back["fields"][0]["in_register"] is True
    assert back["channels"] == ["online", "window"] and back["aliases"] == ["老年津贴", "高龄补贴"]
    data["/fields/0/max"] = "nan"
    assert form.parse(data)["fields"][0]["max"] == "nan"


def test_unset_optional_boolean_stays_absent(form):
    doc = matter_doc(proxy_allowed=False)
    html = form.render(doc)
    unset = '<option value="" selected>未填（默认）</option><option value="true">是</option>'
    assert unset in part(html, "/guardian_allowed")
    data = form_data(html)
    assert data["/guardian_allowed"] == "" and data["/proxy_allowed"] == "false"
    back = form.parse(data)
    assert "guardian_allowed" not in back and back["proxy_allowed"] is False
    data["/proxy_allowed"] = ""
    assert "proxy_allowed" not in form.parse(data)


def test_empty_required_text_is_kept_so_the_error_is_beside_it(form):
    data = form_data(form.render(matter_doc()))
    data["/name"] = "  "
    data["/fields/0/type"] = ""
    back = form.parse(data)
    assert back["name"] == "" and back["fields"][0]["type"] == ""
    assert ("/name", "不能为空") in check_schema("matter", back)


# --- list operations ------------------------------------------------------------------------------------


def test_list_buttons(form):
    doc = matter_doc(materials=[{"id": "a", "name": "甲"}, {"id": "b", "name": "乙"}])
    html = str(form.render(doc))
    assert 'name="op" value="add:/materials"' in html and ">添加申请材料</button>" in html
    assert re.search(r'value="up:/materials/0" disabled formnovalidate', html)
    assert re.search(r'value="down:/materials/1" disabled formnovalidate', html)
    assert 'value="remove:/materials/1" formnovalidate' in html
    assert 'name="op" value="add:/materials/0/alternatives"' in html
    assert html.count('data-item-of="/materials"') == 2


def three_materials() -> dict:
    return matter_doc(materials=[{"id": i, "name": n} for i, n in (("a", "甲"), ("b", "乙"), ("c", "丙"))])


def test_add_remove_and_reorder(form):
    doc = three_materials()
    original = copy.deepcopy(doc)
    ids = lambda d: [m["id"] for m in d["materials"]]  # noqa: E731
    assert ids(form.apply_operation(doc, "up:/materials/2")) == ["a", "c", "b"]
    assert ids(form.apply_operation(doc, "down:/materials/0")) == ["b", "a", "c"]
    assert ids(form.apply_operation(doc, "remove:/materials/1")) == ["a", "c"]
    added = form.apply_operation(doc, "add:/materials")
    assert added["materials"][-1] == {"id": "", "name": ""}
    assert form.apply_operation(doc, "add:/conditions")["conditions"][-1] == {"id": "", "text": ""}
    assert form.apply_operation(doc, "add:/fields")["fields"][-1] == {"id": "", "label": "", "type": ""}
    assert form.apply_operation(doc, "add:/materials/1/alternatives")["materials"][1]["alternatives"] == [
        {"id": "", "name": ""}]
    assert form.apply_operation(doc, "add:/guide/steps")["guide"] == {"steps": [{"name": ""}]}
    assert apply_operation(doc, "remove:/materials/0") == form.apply_operation(doc, "remove:/materials/0")
    assert doc == original


@pytest.mark.parametrize("op", [
    "", "save", "add", "add:", "add:/", "add:/name", "add:/nothing", "add:/guide",
    "add:/materials/9/alternatives", "remove:/materials/3", "remove:/materials/-1", "remove:/materials/x",
    "remove:/materials", "up:/materials/0",
    "down:/materials/2", "jump:/materials/1", "remove:/fields/0/id", "up:/levels/1", "remove:materials/0",
    "remove:/fees/0", "down:/guide/steps/0", "add:/materials/0/alternatives/0", None,
])
def test_invalid_operations_change_nothing(form, op):
    doc = three_materials()
    changed = form.apply_operation(doc, op)
    assert changed == doc and changed is not doc


def test_an_added_item_survives_the_next_post(form):
    doc = form.apply_operation(matter_doc(), "add:/materials")
    html = form.render(doc)
    assert 'name="/materials/1/id"' in html and "申请材料 2" in texts(html, "legend")
    back = form.parse(form_data(html))
    assert back == doc
    messages = dict(check_schema("matter", back))
    assert messages["/materials/1/id"] and messages["/materials/1/name"] == "不能为空"


def test_parse_orders_items_by_index(form):
    data = MultiDict([("/materials/10/id", "k"), ("/materials/10/name", "十"), ("/materials/2/id", "b"),
                      ("/materials/2/name", "二"), ("op", "save"), ("csrf_token", "x")])
    assert form.parse(data)["materials"] == [{"id": "b", "name": "二"}, {"id": "k", "name": "十"}]
    assert form.parse({"/code": "A-1", "/levels": ["village", "banner"]}) == {"code": "A-1",
                                                                              "levels": ["village", "banner"]}


# --- recursion -------------------------------------------------------------------------------------------


def test_group_fields_nest(form):
    doc = matter_doc(fields=[group_field()])
    assert check_schema("matter", doc) == []
    html = form.render(doc)
    nested = "/fields/0/fields/1/fields/0/label"
    assert f'name="{nested}" id="sf{nested}" value="单位"' in html
    assert "组内字段 2：工作经历" in texts(html, "legend")
    assert form.parse(form_data(html)) == doc
    added = form.apply_operation(doc, "add:/fields/0/fields/1/fields")
    assert added["fields"][0]["fields"][1]["fields"][-1] == {"id": "", "label": "", "type": ""}
    moved = form.apply_operation(doc, "down:/fields/0/fields/0")
    assert [f["id"] for f in moved["fields"][0]["fields"]] == ["jobs", "member_name"]


def test_time_limit_shows_amount_and_unit_and_material_shows_merged_core(form):
    deferrable = {"within": {"unit": "on_the_spot"}}
    html = form.render(matter_doc(materials=[{"id": "a", "name": "甲", "deferrable": deferrable}]))
    for name in ("/statutory_limit/amount", "/statutory_limit/unit", "/materials/0/deferrable/within/amount",
                 "/materials/0/originals", "/materials/0/fallback/copies", "/materials/0/alternatives"):
        assert f'data-pointer="{name}"' in html
    assert '<option value="on_the_spot" selected>即办</option>' in html


def test_other_schemas_work_too():
    org = SchemaForm(*load_schema("org"))
    for path in find_files(CONFIG / "org"):
        doc = read_source(path).data
        assert org.parse(form_data(org.render(doc))) == doc


def test_page_macro_wraps_the_form(form):
    from daiban.admin.error_summary import schema_links

    env = Environment(loader=FileSystemLoader(str(CONFIG.parent / "platform/daiban/web/templates")),
                      autoescape=True)
    macro = env.from_string('{% from "admin/schema_form.html" import schema_form %}'
                            "{{ schema_form(body, action='/x', csrf_token='t', errors_count=2) }}")
    html = macro.render(body=form.render(matter_doc()))
    assert html.index('name="op" value=""') < html.index('name="/code"') < html.index('value="save"')
    assert "有 2 处需要修改" in html
    assert form.parse(form_data(html)) == matter_doc()
    errors = [("/name", "不能为空"), ("/levels", "列表不能为空")]
    macro = env.from_string('{% from "admin/schema_form.html" import schema_form %}'
                            "{{ schema_form(body, summary=summary) }}")
    html = macro.render(body=form.render(matter_doc(), errors),
                        summary=schema_links(form, matter_doc(), errors))
    assert html.index("有 2 处需要修改") < html.index('href="#sf/name"') < html.index('href="#sf/levels"') \
        < html.index('name="/code"')


def test_absent_optional_objects_fold_away_until_they_matter(form):
    html = str(form.render(matter_doc()))
    assert '<details class="mb-3" data-pointer="/guide"><summary>办事指南（未填）</summary>' in html
    assert "<details" not in part(form.render(matter_doc(guide={"place": "大厅"})), "/guide")
    errors = [("/guide/result/name", "不能为空")]
    assert "<details" not in part(form.render(matter_doc(), errors), "/guide")


# --- the whole loop, as an editor page would run it --------------------------------------------------

PAGE = ('{% from "admin/schema_form.html" import schema_form %}<!doctype html><html><body>'
        "{{ schema_form(body, errors_count=count) }}</body></html>")


@pytest.fixture
def editor():
    """A one-page Flask app editing one matter with the generated form, as the admin view would."""
    from flask import Flask, redirect, render_template_string, request

    app = Flask(__name__, template_folder=str(CONFIG.parent / "platform/daiban/web/templates"))
    app.store = {"doc": matter_doc()}
    form = SchemaForm()

    @app.route("/", methods=["GET", "POST"])
    def edit():
        errors = []
        doc = app.store["doc"]
        if request.method == "POST":
            doc = form.parse(request.form)
            op = request.form.get("op", "")
            if op not in ("", "save"):
                doc = form.apply_operation(doc, op)
            else:
                errors = check_schema("matter", doc)
                if not errors:
                    app.store["doc"] = doc
                    return redirect("/")
        return render_template_string(PAGE, body=form.render(doc, errors), count=len(errors))

    return app


def test_editor_loop_with_plain_posts(editor):
    client = editor.test_client()
    data = form_data(client.get("/").get_data(as_text=True))
    data["op"] = "add:/materials"
    page = client.post("/", data=data).get_data(as_text=True)
    assert 'name="/materials/1/id"' in page and editor.store["doc"] == matter_doc()

    data = form_data(page)
    for name, value in {"/materials/1/id": "photo", "/materials/1/name": "照片", "/materials/1/copies": "x",
                        "op": "save"}.items():
        data[name] = value
    page = client.post("/", data=data).get_data(as_text=True)
    assert "有 1 处需要修改" in page and "这里应当是整数，实际是文本" in part(page, "/materials/1/copies")

    data = form_data(page)
    data["/materials/1/copies"], data["op"] = "2", "save"
    assert client.post("/", data=data).status_code == 302
    assert editor.store["doc"]["materials"][1] == {"id": "photo", "name": "照片", "copies": 2}


@pytest.mark.browser
@needs_chromium
def test_editor_works_in_a_browser_without_javascript(editor, browser, serve):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(serve(editor) + "/")
        page.get_by_role("button", name="添加表单字段").click()
        page.fill('[name="/fields/2/id"]', "phone")
        page.fill('[name="/fields/2/label"]', "联系电话")
        page.select_option('[name="/fields/2/type"]', label="电话号码")
        page.click('button[value="up:/fields/2"]')
        assert page.input_value('[name="/fields/1/id"]') == "phone"
        page.check('[name="/channels"][value="home_visit"]')
        page.press('[name="/everyday_name"]', "Enter")  # Enter saves; it presses no list button
        page.wait_for_load_state()
    finally:
        context.close()
    doc = editor.store["doc"]
    assert [f["id"] for f in doc["fields"]] == ["name", "phone", "id_number"]
    assert doc["fields"][1] == {"id": "phone", "label": "联系电话", "type": "phone"}
    assert doc["channels"] == ["home_visit"]
