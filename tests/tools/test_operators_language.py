"""The operators' language (issue 22): the year's report, the demo's summary and every operator's table read in
Chinese by default and in English beside it, with numbers, amounts and dates formatted for each; a rejection names
the same fields in both languages while its messages differ.

The year here is a small one written by hand in the shape the services announce it (the whole demo runs in
tests/e2e/test_demo_cycle.py); the tables are rendered from answers shaped as the read APIs give them."""

from __future__ import annotations

import ast
import io
import os
import string
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.catalog.cli import projects_tables
from services.catalog.domain import District
from services.catalog.handlers import subscriptions as catalog_subscriptions
from services.evaluation.cli import operator_report
from services.evaluation.domain.monitoring import overview
from services.matching.cli import awards_by_state, fair_tables
from services.registration.cli import render_census
from services.training_grading.cli import progress_table
from shared import i18n
from shared.contracts.common import DEFAULT_DEPARTMENTS, DEFAULT_STREETS
from shared.tables import render, render_all
from tests.handlers.support import deliver
from tests.handlers.test_catalog_handlers import InMemoryProjects, proposal
from tests.unit.test_evaluation_view import contract, evaluated
from tools import dlq, health
from tools.demo.cycle import SMALL, CycleRecord, new_record
from tools.demo.report import figures, html_report, summary
from tools.messages import read_catalog
from tools.suite import SUITE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def speak() -> Iterator[Callable[[str], None]]:
    """Switch the process's language for one test; the suite's own (English) comes back after it."""
    before = i18n.current()
    yield i18n.use
    i18n.use(before)


def in_both(speak: Callable[[str], None], render_it: Callable[[], str]) -> tuple[str, str]:
    speak("zh_CN")
    chinese = render_it()
    speak("en")
    return chinese, render_it()


# --- the year's report and the demo's summary ---------------------------------------------------------------


def event(type_: str, **data: Any) -> dict[str, Any]:
    return {"type": type_, "data": data}


@pytest.fixture(scope="module")
def year() -> CycleRecord:
    """Two projects, two organizations, one contract delivered and rated, one challenge upheld, one unawarded."""
    record = new_record(SMALL)
    record.run = "r22"
    purchaser = {"kind": "street", "name": "玉林街道"}
    record.projects = {
        "P1": {"project_id": "P1", "category": "助老", "budget_fen": 12_345_600, "purchaser": purchaser, "new": True},
        "P2": {"project_id": "P2", "category": "济困", "budget_fen": 5_000_000, "purchaser": purchaser, "new": False},
    }
    record.organizations = {"O1": {"org_id": "O1", "name": "玉林颐养中心", "street": "玉林街道", "new": True},
                            "O2": {"org_id": "O2", "name": "芳草社工", "street": "玉林街道", "new": True}}
    record.census = {"streets": [{"street": "玉林街道", "communities": [{"community": "黉门街社区", "active": 2}]}],
                     "below_minimum": []}
    record.people_added = 4
    record.completions = [event("training.course.completed", org_id="O1", audience="finance")]
    record.grades = [event("grading.grade.assigned", grade="4A")]
    record.fair = event("matching.fair.opened", invited=["O1", "O2"])
    record.interests = [
        event("matching.interest.recorded"),
        {"type": "matching.interest.rejected",
         "data": {"errors": [{"field": "org_id", "message": "grade 2A is below the project's minimum 3A "
                                                            "(rule: min_grade)"}]}},
    ]
    record.schedule = event("matching.schedule.decided", unscheduled=[], meetings=[
        {"org_id": "O1", "table": 1, "slot": 1, "purchaser": purchaser}])
    award = {"award_id": "A1", "contract_id": "C1", "project_id": "P1", "org_id": "O1", "title": "居家养老服务",
             "category": "助老", "purchaser": purchaser, "amount_fen": 12_000_000, "budget_fen": 12_345_600,
             "fit_score": 80.5, "price_points": 2.8, "value_score": 83.3, "standstill_ends": "2027-01-12",
             "breakdown": {"domain": {"points": 25.0}, "finance_trained": {"points": 10.0}}}
    record.proposals = [event("matching.award.proposed", **award)]
    record.awards = [event("matching.contract.awarded", **award)]
    record.unawarded = [event("matching.project.unawarded", project_id="P2",
                              reason="no organization expressed interest")]
    record.challenges = [{"outcome": "dismissed", "award": award,
                          "complaint": event("matching.complaint.registered", org_id="O2", filed_on="2027-01-05"),
                          "then": [], "decision": event("matching.complaint.decided", standstill_ends="2027-01-12")}]
    record.drill = [event("clock.moved", today="2027-01-13")]
    record.drills = ["2027-02-01", "2027-12-16"]
    record.payments = [event("evaluation.payment.released", contract_id="C1", category="助老", purchaser=purchaser,
                             amount_fen=9_000_000),
                       event("evaluation.payment.withheld", contract_id="C1", category="助老", purchaser=purchaser,
                             amount_fen=1_000_000)]
    record.evaluations = [event("evaluation.contract.evaluated", contract_id="C1", org_id="O1", score="86.5",
                                rating="good")]
    record.status_changes = [event("catalog.project.status_changed", project_id="P1", status="evaluated")]
    record.seconds = {"seed": 1.25, "fair": 2.5}
    return record


def report_in(language: str, speak: Callable[[str], None], record: CycleRecord) -> tuple[str, str]:
    speak(language)
    f = figures(record, target=40)
    return summary(record, f), html_report(record, f)


def test_the_report_is_chinese_by_default_and_english_beside_it(
    speak: Callable[[str], None], year: CycleRecord,
) -> None:
    _, chinese = report_in("zh_CN", speak, year)
    _, english = report_in("en", speak, year)

    assert "<html lang=zh-CN>" in chinese and "<h2>购买了哪些服务</h2>" in chinese
    assert "<h2>项目对接会：一对一洽谈排期</h2>" in chinese and "<h2>谁承接了哪些项目，依据是什么</h2>" in chinese
    assert "各类别预算（万元）" in chinese and "<th>时段 1</th>" in chinese and "服务领域 25.0" in chinese
    assert "<td>良好</td>" in chinese and "2027年1月12日" in chinese and "123,456.00" in chinese
    assert "What was bought" not in chinese and "Who got what" not in chinese

    assert "<html lang=en>" in english and "<h2>What was bought</h2>" in english
    assert "<h2>The fair: one-to-one schedule</h2>" in english and "<h2>Who got what, and why</h2>" in english
    assert "Budget per category (10,000 yuan)" in english and "<th>slot 1</th>" in english
    assert "finance staff trained 10.0" in english and "Jan 12, 2027" in english and "123,456.00" in english
    assert "购买了哪些服务" not in english


def test_the_demos_summary_is_printed_in_chinese_by_default(
    speak: Callable[[str], None], year: CycleRecord,
) -> None:
    assert i18n.chosen_language({}) == "zh_CN"
    chinese, _ = report_in("zh_CN", speak, year)
    english, _ = report_in("en", speak, year)

    lines = chinese.splitlines()
    assert lines[0] == "全区年度购买服务周期（运行 r22，批次 2015-1）"
    assert "发布项目 2 个，预算 173,456.00 元（本次由目录服务发布 1 个，从其查询接口读取 1 个）" in chinese
    assert "已培训 1 人，目标 40 人（2.5%）：财务人员 1" in chinese
    assert "按节点拨付：已拨付 90,000.00 元，暂扣 10,000.00 元，待拨付 20,000.00 元" in chinese
    assert "公示期满（日期调至2027年1月13日）" in chinese and "自2027年2月1日至2027年12月16日共演练 2 次" in chinese
    assert "min_grade: 1" in chinese and "良好 1" in chinese
    assert not any(word in chinese for word in ("projects published", "people trained", "released"))

    assert english.splitlines()[0] == "District annual cycle (run r22, batch 2015-1)"
    assert "2 projects published, budget 173,456.00 yuan" in english and "1 of 40 people trained (2.5%)" in english
    assert "released 90,000.00 yuan, withheld 10,000.00 yuan, still due 20,000.00 yuan" in english
    assert "(day moved to Jan 13, 2027)" in english and "2 drills from Feb 1, 2027 to Dec 16, 2027" in english


# --- the operators' tables ----------------------------------------------------------------------------------


def test_the_census_in_both_languages(speak: Callable[[str], None]) -> None:
    census = {"active": 1234, "suspended": 1, "minimum": 2, "streets": [
        {"street": "浆洗街街道", "active": 1234, "suspended": 1,
         "communities": [{"community": "黉门街社区", "active": 1234, "suspended": 1}]}],
        "below_minimum": [{"street": "望江路街道", "community": "望江楼社区", "active": 0, "suspended": 1}]}
    chinese, english = in_both(speak, lambda: render_census(census, "http://registration"))

    assert chinese.splitlines()[0] == "社会组织登记统计（数据来源 http://registration）：正常 1,234 家，暂停 1 家"
    assert chinese.splitlines()[2].split() == ["街道", "/", "社区", "正常", "暂停"]
    assert ["浆洗街街道", "1,234", "1"] in [line.split() for line in chinese.splitlines()]
    assert "  望江路街道 / 望江楼社区：正常 0 家，暂停 1 家" in chinese.splitlines()
    assert english.splitlines()[0] == ("Registration census from http://registration: 1,234 active and 1 suspended "
                                       "organizations")
    assert "  望江路街道 / 望江楼社区: 0 active, 1 suspended" in english.splitlines()


def test_the_projects_in_both_languages(speak: Callable[[str], None]) -> None:
    projects = [{"category": "助老", "status": "published", "budget_fen": 123_456_789,
                 "purchaser": {"name": "玉林街道"}}]
    chinese, english = in_both(speak, lambda: render_all(projects_tables(projects, "2015-1")))

    assert chinese.splitlines()[0] == "批次 2015-1的项目：共 1 个"
    assert chinese.splitlines()[1].split() == ["类别", "已发布", "已成交", "已评估", "已撤回", "合计"]
    assert "各购买主体预算（元）" in chinese and "1,234,567.89" in chinese
    assert english.splitlines()[0] == "Projects of batch 2015-1: 1"
    assert english.splitlines()[1].split() == ["category", "published", "awarded", "evaluated", "withdrawn", "total"]
    assert "Budget per purchaser (yuan)" in english and "1,234,567.89" in english


def test_the_training_progress_in_both_languages(speak: Callable[[str], None]) -> None:
    report = {"target": 1150, "counted_roles": ["leader", "finance"], "people_completed": 1001,
              "percent_of_target": "87.0", "not_counted": 3, "by_audience": {"leader": 600, "finance": 401},
              "by_street": {"玉林街道": 1001}}
    chinese, english = in_both(speak, lambda: render(progress_table(report)))

    assert chinese.splitlines()[0] == "全区培训目标完成进度"
    assert "目标        1,150 人（负责人，财务人员）" in chinese and "1,001 人（87.0%）" in chinese
    assert english.splitlines()[0] == "Training progress toward the district's target"
    assert "1,150 people (leader, finance)" in english and "1,001 people (87.0%)" in english


def test_the_evaluation_report_in_both_languages(speak: Callable[[str], None]) -> None:
    view = overview([contract("C-1"), evaluated("C-2", 95)], date(2026, 2, 1))
    chinese, english = in_both(speak, lambda: operator_report(view))

    titles = [block.splitlines()[0] for block in chinese.split("\n\n")]
    assert titles == ["截至2026年2月1日的逾期节点", "各合同资金（元；有逾期节点的排在前面）", "按类别统计的资金（元）",
                      "按购买主体统计的资金（元）", "履约监管中的合同", "按类别统计的评估等次", "按街道统计的评估等次"]
    assert "C-1   O-C-1     玉林街道  启动  2026-01-31         1  未提交报告" in chinese.splitlines()
    assert "助老       2  20,000.00  7,000.00  0.00  13,000.00" in chinese.splitlines()
    assert english.split("\n\n")[0].splitlines()[0] == "Overdue milestones on Feb 1, 2026"
    assert "C-1       O-C-1         玉林街道  start      2026-01-31             1  no report" in english.splitlines()


def test_the_fair_and_its_awards_in_both_languages(speak: Callable[[str], None]) -> None:
    fair = {"fair_ref": "wuhou-2014-11-19", "batch": "2015-1", "date": "2014-11-19", "slot_minutes": 15,
            "names": {"O1": "玉林颐养中心"}, "invitations": [{"org_id": "O1", "fit_score": 80.5, "project_id": "P1"}]}
    schedule = {"names": {"O1": "玉林颐养中心"}, "slots_used": 1, "slots": 6, "unscheduled": [], "meetings": [
        {"org_id": "O1", "table": 1, "slot": 1, "purchaser": {"name": "玉林街道"}}]}
    award = {"award_id": "A1", "title": "居家养老服务", "org_id": "O1", "amount_fen": 1_234_567_89,
             "fit_score": 80.5, "price_points": 2.8, "value_score": 83.3, "status": "proposed",
             "standstill_ends": "2014-12-01", "proposed_on": "2014-11-20", "complaints": []}
    awards = {"decided_on": "2014-11-20", "awards": [award], "current": [award], "unawarded": [], "names": {}}
    page = {"items": [award], "names": {"O1": "玉林颐养中心"}}
    chinese, english = in_both(speak, lambda: render_all([*fair_tables(fair, schedule, awards),
                                                          *awards_by_state(page, i18n._("fair {fair}").format(
                                                              fair="wuhou-2014-11-19"))]))

    assert "对接会 wuhou-2014-11-19（批次 2015-1，2014年11月19日）：邀请 1 家，按匹配度从高到低排列" in chinese
    assert "洽谈排期（第 1 版）：共 1 场，占用 6 个时段中的 1 个，每个时段 15 分钟（* 已锁定，! 必须洽谈）" in chinese
    assert "时段 1" in chinese
    assert "2014年11月20日确定中标结果：拟中标 1 项" in chinese and "公示至 2014-12-01" in chinese
    assert "1,234,567.89" in chinese and "对接会 wuhou-2014-11-19：公示中（1）" in chinese
    assert "Fair wuhou-2014-11-19 (batch 2015-1, Nov 19, 2014): 1 invited, best fit first" in english
    assert "Schedule (revision 1): 1 meetings in 1 of 6 slots of 15 minutes (* locked, ! must)" in english
    assert "slot 1" in english
    assert "Awards decided on Nov 20, 2014: 1 proposed" in english and "standing still to 2014-12-01" in english
    assert "fair wuhou-2014-11-19: standing still (1)" in english


def test_the_dead_letters_and_health_in_both_languages(speak: Callable[[str], None]) -> None:
    letter = dlq.DeadLetter(service="catalog", message_id="m-1", routing_key="intake.project.proposed",
                            queue="catalog.intake", reason="failed on 5 deliveries: boom", deaths=5,
                            dead_lettered_at="2026-11-30T10:00:00+00:00", not_replayable="personal data taken out")
    ready = [(SUITE[0], 200, "broker ok, database ok"), (SUITE[1], 0, "no answer (refused)")]

    def printed() -> str:
        out = io.StringIO()
        with redirect_stdout(out):
            dlq._print([letter], ["catalog"])
        return out.getvalue() + health.health_table(ready)

    chinese, english = in_both(speak, printed)
    assert "catalog.dlq：1 条消息" in chinese and "失败 5 次" in chinese and "来自 catalog.intake：" in chinese
    assert "不可重发：personal data taken out" in chinese
    assert chinese.splitlines()[-3].split() == ["服务", "url", "就绪", "详情"]
    assert chinese.splitlines()[-1].split()[2] == "否"
    assert "catalog.dlq: 1 message(s)" in english and "deaths 5" in english and "from catalog.intake:" in english
    assert english.splitlines()[-3].split() == ["service", "url", "ready", "detail"]
    assert english.splitlines()[-1].split()[2] == "NO"


# --- a rejection: the same fields, messages in each language ------------------------------------------------


async def test_a_rejection_names_the_same_fields_in_both_languages_through_the_catalogs_handler(
    speak: Callable[[str], None],
) -> None:
    from services.catalog.handlers import Catalog

    refused = proposal(budget_fen=0, purchaser={"kind": "street", "name": "火星街道"},
                       period={"start": "2015-01-01", "end": "2019-12-31"})
    answers = {}
    for language in ("zh_CN", "en"):
        speak(language)
        catalog = Catalog(InMemoryProjects(), District(DEFAULT_STREETS, DEFAULT_DEPARTMENTS))  # type: ignore[arg-type]
        emitted = await deliver(catalog_subscriptions, catalog, "intake.project.proposed", refused)
        [rejection] = [e for e in emitted if e.type == "catalog.project.rejected"]
        answers[language] = rejection.data["errors"]

    chinese, english = answers["zh_CN"], answers["en"]
    assert [e["field"] for e in chinese] == [e["field"] for e in english] == [
        "purchaser.name", "budget_fen", "period.end"]
    assert [e["message"] for e in chinese] != [e["message"] for e in english]
    assert chinese[0]["message"] == "'火星街道' 不是本区 13 个街道之一"
    assert english[0]["message"] == "'火星街道' is not one of the district's 13 sub-districts"
    assert chinese[1]["message"] == "必须大于 0" and "财政部令第102号" in chinese[2]["message"]
    assert "Ministry of Finance Order 102" in english[2]["message"]


# --- one run in English: LANG=en ----------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "said"), [
    ({}, "census: http://127.0.0.1:9 无响应"),
    ({"LANG": "en"}, "census: no answer from http://127.0.0.1:9"),
    ({"LANG": "en_US.UTF-8"}, "census: no answer from http://127.0.0.1:9"),
], ids=["default", "LANG=en", "LANG=en_US"])
def test_an_operators_command_speaks_chinese_unless_run_with_lang_en(language: dict[str, str], said: str) -> None:
    """The command as `make census` runs it, as a process of its own, with nothing listening where it asks."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DISTRICT_LANGUAGE", "LANG", "LC_ALL")}
    environment |= {"REGISTRATION_URL": "http://127.0.0.1:9", "DISTRICT_ENV": "development", **language}
    ran = subprocess.run([sys.executable, "-m", "services.registration.cli"], cwd=ROOT, env=environment,
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 1 and ran.stderr.startswith(said), ran.stderr


def test_no_message_hides_inside_an_f_string_where_the_catalogs_extraction_cannot_see_it() -> None:
    """`_("...")` written inside an f-string's braces is translated at run time but never extracted, so it would
    stay English with no test noticing; every message must stand outside f-strings."""
    hidden = []
    for folder in ("shared", "services", "tools"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FormattedValue):
                    hidden += [f"{path.relative_to(ROOT)}:{call.lineno}" for call in ast.walk(node.value)
                               if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                               and call.func.id in ("_", "N_") and call.args
                               and isinstance(call.args[0], ast.Constant)]
    assert hidden == []


@pytest.mark.parametrize(("given", "passed"), [
    ([], ""), (["LANG=en"], "en"), (["LANG=en_US.UTF-8"], "en_US.UTF-8"), (["LANG=C.UTF-8"], ""),
], ids=["nothing", "LANG=en", "LANG=en_US", "LANG=C"])
def test_make_hands_a_lang_given_on_its_command_line_to_every_target(given: list[str], passed: str) -> None:
    """`make census LANG=en`: the Makefile passes an English (or Chinese) LANG on to the tools as DISTRICT_LANGUAGE,
    over the environment's; what it does not recognise as a language it leaves alone."""
    environment = {k: v for k, v in os.environ.items() if k not in ("DISTRICT_LANGUAGE", "LANG", "LC_ALL")}
    shown = subprocess.run(["make", "-s", "--no-print-directory", "--eval",
                            'shown-language: ; @echo "[$$DISTRICT_LANGUAGE]"', "shown-language", *given],
                           cwd=ROOT, env={**environment, "DISTRICT_LANGUAGE": "zh_CN" if given else ""},
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    expected = passed or ("zh_CN" if given else "")
    assert shown.stdout.strip() == f"[{expected}]"


def test_every_message_formatted_in_the_code_is_given_each_of_its_placeholders() -> None:
    """`_("... {name} ...").format(...)` without `name=` raises only when that refusal or line is produced; here
    every such call is checked once, and every Chinese translation uses only its message's placeholders."""
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    missing = []
    for folder in ("shared", "services", "tools"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "format" and isinstance(node.func.value, ast.Call)):
                    continue
                inner = node.func.value
                name = inner.func.id if isinstance(inner.func, ast.Name) else getattr(inner.func, "attr", "")
                if name != "_" or not inner.args or not isinstance(inner.args[0], ast.Constant):
                    continue
                given = {k.arg for k in node.keywords}
                if None not in given and placeholders(inner.args[0].value) - given:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert missing == []
    catalog = read_catalog("zh_CN")
    wrong = [m.id for m in catalog if m.id and m.string and placeholders(str(m.string)) - placeholders(str(m.id))]
    assert wrong == []
