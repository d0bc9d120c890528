"""Typed configuration of the report stage (config group ``report``).

The values live in ``conf/report/default.yaml``. The report stage (and ``jhplan report``) writes
``report.html`` (self-contained, German) and ``finance.xlsx`` (cost ranges for the Kämmerei) from
a run's results and manifest; ``simulation.report`` reads these settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReportFormats:
    """Excel number formats of ``finance.xlsx`` (Excel format codes; Excel shows them with the
    reader's locale separators, so ``#,##0`` reads 1.234.567 in a German Excel)."""

    eur: str = '#,##0 "€"'
    cases: str = "#,##0"
    share: str = "0.0 %"
    year: str = "0"


@dataclass
class ReportConfig:
    """Settings of the report stage.

    Attributes:
        html: write ``report.html``.
        workbook: write ``finance.xlsx``.
        suppress_below: statistical confidentiality: district x Hilfeart case cells with a value
            above 0 and below this are shown as "•" in the report and the workbook (never in the
            raw results); 0 switches suppression off.
        secondary_suppression: also suppress the smallest further cell of a row or column of
            which only one cell is suppressed, so that it cannot be recovered from the total.
        compare: run or sweep folders to compare this run with (section "Szenarienvergleich"
            and the workbook's difference sheet); this run is the reference.
        formats: Excel number formats.
    """

    html: bool = True
    workbook: bool = True
    suppress_below: int = 3
    secondary_suppression: bool = True
    compare: list[str] = field(default_factory=list)
    formats: ReportFormats = field(default_factory=ReportFormats)


def check_report_config(cfg: ReportConfig) -> None:
    """Raise ``ValueError`` naming the key when a setting cannot work."""
    if int(cfg.suppress_below) < 0:
        raise ValueError(f"report.suppress_below={cfg.suppress_below}: expected 0 or more")
