"""validate, schema, init, --version and --help through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ftcluster import __version__
from ftcluster.cli import app
from ftcluster.spec import load_spec
from ftcluster.spec.schema import spec_json_schema

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "configs" / "us-east-1.yaml"
runner = CliRunner()


def test_validate_prints_every_effective_value_and_where_it_came_from() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE)], terminal_width=200)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") == 4}
    assert "10.20.0.0/16" in rows["network.cidr"] and "file" in rows["network.cidr"]
    assert "X86_64" in rows["training.cpu_architecture"] and "default" in rows["training.cpu_architecture"]
    assert "valid" in result.stdout


def test_validate_json_is_the_full_effective_spec_with_each_values_source() -> None:
    result = runner.invoke(app, ["validate", str(EXAMPLE), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["file"], data["valid"], data["cluster"], data["region"]) == (
        str(EXAMPLE),
        True,
        "llm-pretrain",
        "us-east-1",
    )
    assert data["spec"] == load_spec(EXAMPLE).model_dump(mode="json")
    assert data["spec"]["training"]["ephemeral_storage_gib"] == 21  # a default, filled in
    assert data["spec"]["training"]["environment"]["EPOCHS"] == "40"  # numbers become text for ECS
    assert data["sources"]["training.ephemeral_storage_gib"] == "default"
    assert data["sources"]["network.cidr"] == "file" and data["sources"]["fleet.workers.gpus"] == "file"
    assert data["problems"] == []


def test_validate_json_lists_problems_on_stdout_with_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: demo\nregion: EU-WEST-1\ntrainig:\n  image: t:1\n")
    result = runner.invoke(app, ["validate", str(spec), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)  # JSON only, on stdout
    assert (data["file"], data["valid"], data["spec"]) == (str(spec), False, None)
    assert data["problems"] == [
        {
            "file": str(spec),
            "line": 1,
            "column": 1,
            "key": "training",
            "message": "missing required key `training`",
        },
        {
            "file": str(spec),
            "line": 2,
            "column": 9,
            "key": "region",
            "message": "`EU-WEST-1` is not an AWS region; did you mean `eu-west-1`?",
        },
        {
            "file": str(spec),
            "line": 3,
            "column": 1,
            "key": "trainig",
            "message": "unknown key `trainig`; did you mean `training`?",
        },
    ]
    assert result.stderr == ""


def test_validate_shows_a_warning_for_types_that_hold_no_worker_and_still_exits_0(tmp_path: Path) -> None:
    spec = tmp_path / "partly.yaml"
    spec.write_text(
        "name: demo\nregion: us-east-1\ntraining:\n  image: t:1\nfleet:\n  max_instances: 2\n  gpu: true\n"
        "  instance_types: [g5.xlarge, g5.12xlarge]\n  workers:\n    gpus: 4\n"
    )
    message = (
        "g5.xlarge: a worker needs 4 GPUs, it has 1; instances of that type would run no worker, only g5.12xlarge can"
    )
    result = runner.invoke(app, ["validate", str(spec)], terminal_width=300)
    assert result.exit_code == 0
    assert f"warning: fleet.instance_types: {message}" in " ".join(result.stderr.split())
    assert "valid" in result.stdout
    as_json = runner.invoke(app, ["validate", str(spec), "--json"])
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["warnings"] == [{"key": "fleet.instance_types", "message": message}]


def test_validate_json_reports_a_missing_file_as_a_problem(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "x.yaml"), "--json"])
    assert result.exit_code == 2
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["line"] is None and problem["key"] is None and problem["message"].startswith("no such file")


def test_validate_bad_spec_exits_2_with_located_messages_and_no_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: demo\nregion: us-east-1\ntrainig:\n  image: t:1\n")
    result = runner.invoke(app, ["validate", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:3:1: trainig: unknown key `trainig`; did you mean `training`?" in result.stderr
    assert f"{spec}:1:1: training: missing required key `training`" in result.stderr
    assert "2 problems" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_validate_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_schema_is_json_schema_of_the_spec_and_matches_the_committed_file() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    printed = json.loads(result.stdout)
    assert printed == spec_json_schema()
    assert printed["additionalProperties"] is False
    assert set(printed["required"]) == {"name", "region", "training"}
    committed = json.loads((ROOT / "schema" / "ftcluster.schema.json").read_text())
    assert committed == printed, (
        "schema/ftcluster.schema.json is stale: run `ftcluster schema > schema/ftcluster.schema.json`"
    )


def test_schema_rejects_what_the_loader_rejects() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = spec_json_schema()
    good = json.loads(runner.invoke(app, ["validate", str(EXAMPLE), "--json"]).stdout)["spec"]
    jsonschema.validate(good, schema)
    bad = {**good, "trainig": {}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_example_configs_point_their_editor_modeline_at_the_committed_schema() -> None:
    for config in (ROOT / "configs").glob("*.yaml"):
        first = config.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schema/ftcluster.schema.json", config


def test_init_writes_a_commented_spec_that_validates(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    result = runner.invoke(app, ["init", str(target), "--region", "eu-central-1", "--name", "vision"])
    assert result.exit_code == 0, result.output
    spec = load_spec(target)
    assert (spec.name, spec.region) == ("vision", "eu-central-1")
    assert target.read_text().count("#") > 10


def test_init_default_path_is_the_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_REGION", "ap-northeast-1")
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert load_spec(tmp_path / "ap-northeast-1.yaml").region == "ap-northeast-1"


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    target = tmp_path / "c.yaml"
    target.write_text("mine\n")
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert target.read_text() == "mine\n"
    assert runner.invoke(app, ["init", str(target), "--force"]).exit_code == 0
    load_spec(target)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "eu-wst-1"], "region: `eu-wst-1` is not an AWS region; did you mean `eu-west-1`?"),
        (["--name", "Bad_Name"], "name: `Bad_Name` is not a valid cluster name"),
    ],
)
def test_init_bad_arguments_exit_2_and_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "c.yaml"
    result = runner.invoke(app, ["init", str(target), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not target.exists()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ftcluster {__version__}"


def test_every_command_help_has_examples() -> None:
    import typer.main

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    assert {"validate", "schema", "init"} <= set(commands)
    for command in commands:
        result = runner.invoke(app, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0, command
        assert "Examples" in result.stdout and f"$ ftcluster {command}" in result.stdout, command


@pytest.mark.parametrize("config", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_example_configs_validate(config: Path) -> None:
    spec = load_spec(config)
    assert spec.region == config.stem


@pytest.mark.parametrize("args", [["validate", "--nope"], ["nope"], ["validate"]])
def test_usage_errors_exit_2_with_typers_message_not_an_internal_error(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "internal error" not in result.output
    assert "Try 'ftcluster" in result.output


def test_help_paragraphs_flow_instead_of_keeping_source_line_breaks() -> None:
    result = runner.invoke(app, ["preview", "--help"], env={"COLUMNS": "300"})
    assert "runs under Pulumi's mocks and every resource is shown with its key settings" in result.stdout


def test_help_groups_commands_in_workflow_order() -> None:
    text = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).stdout
    order = [
        "Write and check a spec",
        "│ init ",
        "│ validate ",
        "Plan, deploy, resize, tear down",
        "│ preview ",
        "│ up ",
        "Look at clusters",
        "│ status ",
        "Drill faults, count what they cost",
        "│ drill ",
        "│ events ",
        "Recover and set up",
        "│ cancel ",
    ]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)


def test_init_dash_writes_the_starter_spec_to_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "-", "--region", "eu-west-1", "--name", "piped"])
    assert result.exit_code == 0, result.output
    assert not list(tmp_path.iterdir())  # no file called "-", nothing else written
    spec = tmp_path / "from-stdout.yaml"
    spec.write_text(result.stdout)
    assert (load_spec(spec).name, load_spec(spec).region) == ("piped", "eu-west-1")
    assert result.stderr == ""  # stdout is the spec and nothing else; no "wrote ..." for a pipe


def test_init_upper_case_region_gets_a_did_you_mean(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "c.yaml"), "--region", "EU-WEST-1"])
    assert result.exit_code == 2
    assert "`EU-WEST-1` is not an AWS region; did you mean `eu-west-1`?" in result.stderr
