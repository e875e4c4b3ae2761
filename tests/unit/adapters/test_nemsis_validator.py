"""The NEMSIS validator catches what it must: the national pre-testing files built to fail the XSD
or the Schematron fail, the 2025 test cases that must pass pass, and so do the official samples.
Without this, "0 errors" on our export could mean a validator that checks nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.adapters.nemsis_schemas import DataSet
from tests.nemsis_support import NEMSIS, validator

PRETESTING = NEMSIS / "Schematron" / "pretesting" / "xml"


@pytest.mark.parametrize("name", ["2025-EMS-FailXsd_v351.xml", "2025-DEM-FailXsd_v351.xml"])
def test_the_files_built_to_fail_the_xsd_fail_it(name: str) -> None:
    result = validator().validate_file(PRETESTING / "fail" / name)
    assert result.xsd_errors and not result.valid


@pytest.mark.parametrize(
    "name", ["2025-EMS-FailSchematron_v351.xml", "2025-DEM-FailSchematron_v351.xml"]
)
def test_the_files_built_to_fail_the_schematron_give_errors(name: str) -> None:
    result = validator().validate_file(PRETESTING / "fail" / name)
    assert result.xsd_errors == [], "they are valid XML; only the rules refuse them"
    assert result.errors and all(f.role == "[ERROR]" and f.rule and f.text for f in result.errors)
    assert not result.valid


@pytest.mark.parametrize(
    "path",
    sorted((PRETESTING / "national").glob("2025-*.xml")),
    ids=lambda p: p.name,
)
def test_the_national_test_cases_pass(path: Path) -> None:
    result = validator().validate_file(path)
    assert result.xsd_errors == [] and result.errors == [], (result.xsd_errors, result.errors)


def test_the_official_samples_pass_the_xsd_and_a_broken_copy_does_not() -> None:
    sample = (NEMSIS / "SampleData" / "EMSDataset-NoRepeat-1.xml").read_bytes()
    assert validator().validate(sample, DataSet.EMS).xsd_errors == []
    broken = sample.replace(b"<eTimes.03>", b"<eTimes.03>not a time", 1)
    assert broken != sample
    result = validator().validate(broken, DataSet.EMS)
    assert any("eTimes.03" in e for e in result.xsd_errors) and not result.valid
    malformed = validator().validate(b"<EMSDataSet", DataSet.EMS)
    assert malformed.xsd_errors and not malformed.valid
