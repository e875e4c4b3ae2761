"""Validate NEMSIS v3.5.1 XML against the national XSDs and the national Schematron.

Why: a record that fails either is refused by a state registry, so the export is only as good as
its last validation. The XSDs are applied with lxml; the Schematron rules need XSLT 2, so they go
through Saxon (``saxonche``) in the three ISO steps the NEMSIS development kit describes
(``iso_dsdl_include.xsl``, ``iso_abstract_expand.xsl``, ``iso_svrl_for_xslt2.xsl`` with
``allow-foreign=true``: without it the rules' ``xsl:key`` lookups are dropped). Compiling the
rules takes a second, so a :class:`NemsisValidator` compiles each data set's rules once and
then validates any number of files.

The NEMSIS files are not part of this repository; ``root`` is a folder laid out as the NEMSIS
public repository ships them (``NEMSIS_EMS_XSDs/``, ``NEMSIS_DEM_XSDs/``, ``Schematron/rules``,
``Schematron/iso-schematron-xslt2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from lxml import etree

SVRL = "{http://purl.oclc.org/dsdl/svrl}"


class DataSet(StrEnum):
    EMS = "EMS"
    DEM = "DEM"


@dataclass(frozen=True, slots=True)
class Finding:
    """A failed Schematron assertion (or a successful report): its id, role and text."""

    rule: str
    role: str  # [ERROR] or [WARNING]
    text: str
    location: str


@dataclass(slots=True)
class Result:
    """What the XSD and the Schematron said about one file."""

    xsd_errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.role == "[ERROR]"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.role != "[ERROR]"]

    @property
    def valid(self) -> bool:
        """Passes the XSD with no Schematron error (warnings are allowed, as nationally)."""
        return not self.xsd_errors and not self.errors


class NemsisValidator:
    """The XSDs and compiled Schematron of both data sets under ``root``, loaded once."""

    def __init__(self, root: Path) -> None:
        from saxonche import PySaxonProcessor

        self.root = root
        self._saxon = PySaxonProcessor(license=False)
        self._xslt = self._saxon.new_xslt30_processor()
        self._schemas: dict[DataSet, etree.XMLSchema] = {}
        self._rules: dict[DataSet, Any] = {}

    def _schema(self, kind: DataSet) -> etree.XMLSchema:
        if kind not in self._schemas:
            path = self.root / f"NEMSIS_{kind.value}_XSDs" / f"{kind.value}DataSet_v3.xsd"
            self._schemas[kind] = etree.XMLSchema(etree.parse(str(path)))
        return self._schemas[kind]

    def _compiled_rules(self, kind: DataSet) -> Any:
        if kind not in self._rules:
            kit = self.root / "Schematron" / "iso-schematron-xslt2"
            rules = self.root / "Schematron" / "rules" / f"{kind.value}DataSet.sch"
            step = self._transform(kit / "iso_dsdl_include.xsl", self._parse_file(rules))
            step = self._transform(kit / "iso_abstract_expand.xsl", self._parse_text(step))
            xslt = self._transform(
                kit / "iso_svrl_for_xslt2.xsl", self._parse_text(step), {"allow-foreign": "true"}
            )
            self._rules[kind] = self._xslt.compile_stylesheet(stylesheet_text=xslt)
        return self._rules[kind]

    def _parse_file(self, path: Path) -> Any:
        return self._saxon.parse_xml(xml_file_name=str(path))

    def _parse_text(self, text: str) -> Any:
        return self._saxon.parse_xml(xml_text=text)

    def _transform(self, stylesheet: Path, node: Any, params: dict[str, str] | None = None) -> str:
        executable = self._xslt.compile_stylesheet(stylesheet_file=str(stylesheet))
        for name, value in (params or {}).items():
            executable.set_parameter(name, self._saxon.make_string_value(value))
        result: str = executable.transform_to_string(xdm_node=node)
        return result

    def validate(self, xml: bytes, kind: DataSet | None = None) -> Result:
        """Check one document (its data set read from the root element unless given)."""
        result = Result()
        try:
            document = etree.fromstring(xml)
        except etree.XMLSyntaxError as exc:
            result.xsd_errors.append(f"not well-formed: {exc}")
            return result
        if kind is None:
            kind = DataSet.DEM if etree.QName(document).localname == "DEMDataSet" else DataSet.EMS
        schema = self._schema(kind)
        if not schema.validate(document):
            result.xsd_errors.extend(f"line {e.line}: {e.message}" for e in schema.error_log)
        from saxonche import PySaxonApiError

        try:
            svrl = self._compiled_rules(kind).transform_to_string(
                xdm_node=self._parse_text(xml.decode("utf-8"))
            )
        except PySaxonApiError as exc:  # e.g. a date the rules compare is not a date at all
            result.findings.append(Finding("schematron-failed", "[ERROR]", str(exc).strip(), ""))
            return result
        result.findings.extend(_findings(svrl))
        return result

    def validate_file(self, path: Path) -> Result:
        return self.validate(path.read_bytes())


def _findings(svrl: str) -> list[Finding]:
    report = etree.fromstring(svrl.encode("utf-8"))
    found = []
    for node in report.iter(f"{SVRL}failed-assert", f"{SVRL}successful-report"):
        text = " ".join((node.findtext(f"{SVRL}text") or "").split())
        found.append(
            Finding(
                rule=node.get("id") or "",
                role=node.get("role") or "",
                text=text,
                location=node.get("location") or "",
            )
        )
    return found
