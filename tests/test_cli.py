"""The searchkit command, run as a user runs it (a subprocess of the installed script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import SAMPLE_IDS
from hypothesis import HealthCheck, example, given, settings
from test_query_lenient import QUERY_WITH_A_WORD

SEARCHKIT = [sys.executable, "-m", "searchkit.cli"]


def run(*args: str, cwd: Path | None = None, columns: int = 200) -> subprocess.CompletedProcess:
    env = dict(os.environ, COLUMNS=str(columns), NO_COLOR="1")
    return subprocess.run([*SEARCHKIT, *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory) -> Path:
    from conftest import SAMPLE_CORPUS

    index_dir = tmp_path_factory.mktemp("cli") / "index"
    done = run("index", str(SAMPLE_CORPUS), "--index", str(index_dir), "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert "2 added" in done.stdout
    return index_dir


def test_query_prints_ranked_highlighted_hits(cli_index):
    done = run("query", "nông thôn mới", "--index", str(cli_index))
    assert done.returncode == 0, done.stderr
    assert "Đổi mới tư duy, hành động quyết liệt" in done.stdout
    assert "Tạo dư địa phát triển mới" in done.stdout
    assert "2023-03-09" in done.stdout and "score" in done.stdout


def test_json_output_shape_and_forms_agree(cli_index):
    outputs = []
    for q in ("nông thôn mới", "nong thon moi", unicodedata.normalize("NFD", "nông thôn mới")):
        done = run("query", q, "--index", str(cli_index), "--json")
        assert done.returncode == 0, done.stderr
        outputs.append(json.loads(done.stdout))
    data = outputs[0]
    assert set(data) >= {"query", "total", "hits"}
    assert {h["id"] for h in data["hits"]} == SAMPLE_IDS
    for hit in data["hits"]:
        assert set(hit) >= {"id", "title", "date", "author", "url", "path", "score", "snippet"}
        assert hit["author"] == "Đào Quyên"
    assert [h["id"] for h in outputs[1]["hits"]] == [h["id"] for h in data["hits"]]
    assert [h["id"] for h in outputs[2]["hits"]] == [h["id"] for h in data["hits"]]


def test_missing_index_is_one_line_and_non_zero(tmp_path):
    done = run("query", "nông thôn", "--index", str(tmp_path / "none"))
    assert done.returncode == 1
    assert "searchkit index" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_a_long_error_stays_one_line_on_a_narrow_screen(tmp_path):
    deep = tmp_path / ("a-rather-long-directory-name-" * 6) / "index"
    done = run("query", "nông thôn", "--index", str(deep), columns=60)
    assert done.returncode == 1 and len(str(deep)) > 150
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_index_of_an_older_searchkit_is_one_line_asking_for_rebuild(tmp_path):
    from whoosh import fields, index as whoosh_index

    from searchkit.store import INDEX_NAME

    whoosh_index.create_in(
        str(tmp_path), fields.Schema(id=fields.ID(stored=True), body=fields.TEXT), indexname=INDEX_NAME
    )
    (tmp_path / "corpus").mkdir()
    for args in (("query", "nông thôn"), ("index", str(tmp_path / "corpus"))):
        done = run(*args, "--index", str(tmp_path), columns=60)
        assert done.returncode == 1 and "--rebuild" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_malformed_query_is_one_line_and_non_zero_with_strict(cli_index):
    done = run("query", '"nông thôn', "--index", str(cli_index), "--strict")
    assert done.returncode == 1
    assert "unbalanced quote" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_malformed_query_is_read_leniently_with_a_note(cli_index):
    done = run("query", '"nông thôn', "--index", str(cli_index))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('unbalanced quote: read "nông thôn" to the end of the query as a phrase\n')
    assert "Đổi mới tư duy, hành động quyết liệt" in done.stdout


def test_skipped_files_set_exit_status_3(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Tiêu đề\n\nNội dung bài viết.", encoding="utf-8")
    (corpus / "bad.txt").write_bytes(b"\x00\x01\x02binary\xff")
    done = run("index", str(corpus), "--index", str(tmp_path / "ix"), "--jobs", "1")
    assert done.returncode == 3
    assert "bad.txt" in done.stderr and "1 added" in done.stdout


def test_help_is_fast_to_reach():
    done = run("--help")
    assert done.returncode == 0 and "index" in done.stdout and "query" in done.stdout


def test_command_help_is_help_not_a_query():
    # The console script moves a query starting with "-" behind "--"; --help stays help.
    for command in ("query", "summarize"):
        done = run(command, "--help")
        assert done.returncode == 0 and done.stdout.startswith("Usage: "), done.stdout
        assert "[[" not in done.stdout and "no results" not in done.stdout


def test_json_hits_carry_stored_summaries(cli_index):
    data = json.loads(run("query", "nông thôn mới", "--index", str(cli_index), "--json").stdout)
    for hit in data["hits"]:
        assert 1 <= len(hit["summary"]) <= 3
        assert all(isinstance(s, str) and s for s in hit["summary"])


def test_summarize_a_file_stdin_and_an_indexed_document(cli_index):
    from conftest import SAMPLE_CORPUS

    article = SAMPLE_CORPUS / "tao-du-dia-phat-trien-moi.txt"
    done = run("summarize", str(article), "--sentences", "2", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)["summary"]
    assert len(summary) == 2 and all(s in article.read_text(encoding="utf-8") for s in summary)

    by_id = run(
        "summarize",
        "--id",
        "tao-du-dia-phat-trien-moi.txt",
        "--index",
        str(cli_index),
        "--sentences",
        "2",
        "--json",
    )
    assert by_id.returncode == 0, by_id.stderr
    assert json.loads(by_id.stdout)["summary"] == summary

    env = dict(os.environ, NO_COLOR="1")
    piped = subprocess.run(
        [*SEARCHKIT, "summarize", "-", "-n", "1", "--method", "lead"],
        input="Câu một. Câu hai.",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert piped.returncode == 0 and "Câu một." in piped.stdout and "Câu hai." not in piped.stdout


def test_summarize_errors_are_one_line(cli_index, tmp_path):
    from conftest import SAMPLE_CORPUS

    article = str(SAMPLE_CORPUS / "tao-du-dia-phat-trien-moi.txt")
    for args, status in (
        (["summarize", str(tmp_path / "missing.txt")], 1),
        (["summarize", "-"], 1),  # nothing on standard input
        (["summarize", article, "--method", "nope"], 2),  # a bad parameter is bad usage
        (["summarize"], 2),
        (["summarize", "--id", "no-such-doc", "--index", str(cli_index)], 1),
    ):
        done = run(*args)
        assert done.returncode == status, (args, done.returncode, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_standard_input_is_read_like_a_file():
    from conftest import SAMPLE_CORPUS

    article = SAMPLE_CORPUS / "tao-du-dia-phat-trien-moi.txt"
    by_path = json.loads(run("summarize", str(article), "-n", "2", "--json").stdout)
    env = dict(os.environ, NO_COLOR="1")
    piped = subprocess.run(
        [*SEARCHKIT, "summarize", "-", "-n", "2", "--json"],
        input=article.read_text(encoding="utf-8"),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    data = json.loads(piped.stdout)
    assert data["title"] == by_path["title"] == "Tạo dư địa phát triển mới để tỉnh bứt phá vươn lên mạnh mẽ"
    assert data["summary"] == by_path["summary"] and data["title"] not in data["summary"]
    # one paragraph of plain text is the text, not a headline
    one_line = subprocess.run(
        [*SEARCHKIT, "summarize", "-", "-n", "2", "--method", "lead", "--json"],
        input="Câu thứ nhất. Câu thứ hai. Câu thứ ba.",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    expected = {"id": "-", "title": "", "summary": ["Câu thứ nhất.", "Câu thứ hai."]}
    assert json.loads(one_line.stdout) == expected


def test_version():
    from searchkit import __version__

    done = run("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"searchkit {__version__}"


def test_a_query_may_start_with_a_dash(cli_index):
    """No `--` needed: a leading exclusion is the query, not an unknown option."""
    for args in (
        ["query", "-thuế nông thôn", "--index", str(cli_index), "--json"],
        ["query", "--index", str(cli_index), "-n", "5", "--json", "-thuế nông thôn"],
    ):
        done = run(*args)
        assert done.returncode == 0, (args, done.stderr)
        data = json.loads(done.stdout)
        assert data["query"] == "-thuế nông thôn" and data["total"] == 2, data


def test_bad_parameters_are_usage_errors_and_json_errors_are_json(cli_index):
    for args in (["--sort", "foo"], ["--limit", "-1"], ["--since", "soon"]):
        done = run("query", "nông thôn", "--index", str(cli_index), *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
    for args, status in ((["--sort", "foo", "nông"], 2), (["--", "()"], 1)):
        done = run("query", "--index", str(cli_index), "--json", *args)
        assert done.returncode == status and not done.stderr, (args, done.stderr)
        assert list(json.loads(done.stdout)) == ["error"]


# -- lenient queries --------------------------------------------------------------------------

PASTED = [  # (query as pasted, the note it gets)
    ('“Trùm "ma tuý nổi tiếng Hải Phòng bị bắt', "read mixed quotes"),
    ("(quý II", 'ignored an unmatched "("'),
    ("nông thôn OR", "ignored a dangling OR"),
]


def invoke(*args: str):
    """``searchkit`` in-process (typer's CliRunner): fast enough for property tests."""
    from typer.testing import CliRunner

    from searchkit.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("query, note", PASTED)
def test_pasted_queries_are_answered_with_a_note(built_index, query, note):
    done = invoke("query", "--index", str(built_index), "--", query)
    assert done.exit_code == 0, done.output
    # before the hits ("1–3 of 5 results (12 ms)") or "no results for …"
    before_hits = done.stdout.split(" results (")[0].split("no results")[0]
    assert note in before_hits, done.stdout
    data = json.loads(invoke("query", "--index", str(built_index), "--json", "--", query).stdout)
    assert any(note in n for n in data["notes"])


def test_notes_are_printed_as_text_not_markup(built_index):
    done = invoke("query", "--index", str(built_index), "--", '[bold]x "[red]y')
    assert done.exit_code == 0, done.output
    assert 'unbalanced quote: read "[red]y" to the end of the query as a phrase' in done.stdout


def test_a_query_starting_with_a_dash_after_double_dash(built_index):
    done = invoke("query", "--index", str(built_index), "--json", "--", "-giao thông")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["query"] == "-giao thông" and "hn-giao-thong" not in {h["id"] for h in data["hits"]}


@pytest.mark.parametrize("query", [q for q, _ in PASTED] + ["-thuế", "title:", "a OR -b"])
def test_strict_keeps_the_errors_one_line_and_exit_1(cli_index, query):
    done = run("query", "--strict", "--index", str(cli_index), "--", query)
    assert done.returncode == 1, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error:"), done.stderr
    assert "Traceback" not in done.stderr and not done.stdout


@pytest.mark.parametrize("query", ["", "OR", "-- ++", "()", '""'])
@pytest.mark.parametrize("strict", [False, True])
def test_a_query_without_words_is_exit_1_in_both_modes(built_index, query, strict):
    done = invoke("query", "--index", str(built_index), *(["--strict"] if strict else []), "--", query)
    assert done.exit_code == 1 and len(done.stderr.strip().splitlines()) == 1, done.output


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=QUERY_WITH_A_WORD)
@example(query='“Trùm "ma tuý nổi tiếng Hải Phòng bị bắt')
def test_any_query_with_a_word_exits_0(built_index, query):
    done = invoke("query", "--index", str(built_index), "--limit", "3", "--", query)
    assert done.exit_code == 0, (query, done.output)


def test_a_path_that_does_not_exist_is_an_error_not_a_skip(tmp_path):
    done = run("index", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index"))
    assert done.returncode == 1, done.stdout
    assert done.stderr.strip() == f"error: no such file or directory: {tmp_path / 'nowhere'}"
    assert not (tmp_path / "index").exists()


def test_an_empty_page_is_not_no_results(cli_index):
    for args in (["--offset", "5"], ["--limit", "0"]):
        done = run("query", "nông thôn mới", "--index", str(cli_index), *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "2 results for 'nông thôn mới', none on this page", done.stdout
    one = run("query", "nông thôn mới", "--index", str(cli_index), "--limit", "1", "--offset", "1")
    assert one.stdout.startswith("2 of 2 results (")
    single = run("query", '"hợp tác xã kiểu mẫu"', "--index", str(cli_index))
    assert "no results" in single.stdout or " of 1 result (" in single.stdout


def test_eighty_columns_one_title_line_one_meta_line_then_the_passage(cli_index):
    done = run("query", "nông thôn mới", "--index", str(cli_index), columns=80)
    lines = done.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), lines
    first = lines.index(next(line for line in lines if line.startswith("1. ")))
    assert lines[first].rstrip() == "1. Đổi mới tư duy, hành động quyết liệt"
    assert lines[first + 1].startswith("   2023-03-09 · Đào Quyên · doi-moi-tu-duy-hanh-dong-quyet-liet.txt")
    passage = []
    for line in lines[first + 2 :]:
        if not line.strip():
            break
        assert line.startswith("   ") and line[3] != " ", line  # wrapped under the title
        passage.append(line.strip())
    assert "nông thôn mới" in " ".join(passage)
    assert "•" not in done.stdout  # summaries only with --summaries
    with_summaries = run("query", "nông thôn mới", "--index", str(cli_index), "--summaries", columns=80)
    bullets = [line for line in with_summaries.stdout.splitlines() if line.lstrip().startswith("•")]
    assert bullets and all(line.startswith("   • ") for line in bullets)


def test_help_shows_flags_as_flags_and_names_the_query():
    from typer.testing import CliRunner

    from searchkit.cli import app

    for command in ("query", "summarize", "index", "serve", "check"):
        shown = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "100"}).stdout
        assert "<bool>" not in shown and "{text}" not in shown, (command, shown)
    assert "QUERY" in CliRunner().invoke(app, ["query", "--help"]).stdout
