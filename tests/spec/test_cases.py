"""Every spec rule against a small bad file whose `# expect:` lines give the exact messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftcluster.errors import SpecError
from ftcluster.spec import load_spec

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def expected_problems(case: Path) -> list[str]:
    prefix = "# expect: "
    return [line[len(prefix) :] for line in case.read_text().splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_spec_reports_exactly_the_expected_problems(case: Path) -> None:
    expected = expected_problems(case)
    assert expected, f"{case.name} has no `# expect:` lines"

    with pytest.raises(SpecError) as caught:
        load_spec(case)

    rendered = [problem.render(str(case)) for problem in caught.value.problems]
    assert rendered == [f"{case}:{line}" for line in expected]
