"""The summary sheet of final grades: what it shows and the statistics schools compute."""

from __future__ import annotations

from typing import Any

from archiver.documents.summary import StatsPage, SummaryPage, class_summary
from archiver.ingest.model import build_export
from archiver.ingest.validation import validate_document

Doc = dict[str, Any]


def _summary(doc: Doc):
    assert validate_document(doc) == ()
    export = build_export(doc)
    return class_summary(export, export.classes[0])


def _math(doc: Doc) -> Doc:
    return doc["classes"][0]["courses"][0]


def test_statistics_follow_the_formula(small_school: Doc) -> None:
    math = _math(small_school)
    math["final_marks"] = []
    math["period_marks"] = [
        {"student": "s-1", "period": "year", "value": "5"},
        {"student": "s-2", "period": "year", "value": "2"},
        {"student": "s-3", "period": "year", "value": "осв"},
    ]  # s-4 left in December: no year mark, not counted
    summary = _summary(small_school)
    stats = summary.pages[-1]
    assert isinstance(stats, StatsPage)
    (math_stats, english) = stats.subjects
    assert math_stats.counts["5"] == 1 and math_stats.counts["2"] == 1 and math_stats.counts["осв"] == 1
    assert math_stats.base == 2  # three marks, less the exempt student
    assert (math_stats.success_pct, math_stats.quality_pct) == ("50,0", "50,0")
    assert english.base == 0 and english.success_pct == "—"
    # the class: s-1 passes with quality, s-2 fails, s-3 (only «осв») is not counted
    assert (stats.overall.base, stats.overall.passing, stats.overall.good) == (2, 1, 1)


def test_not_attested_fails_and_pass_counts(small_school: Doc) -> None:
    math = _math(small_school)
    math["final_marks"] = []
    math["period_marks"] = [
        {"student": "s-1", "period": "year", "value": "н/а"},
        {"student": "s-2", "period": "year", "value": "3"},
    ]
    stats = _summary(small_school).pages[-1]
    assert isinstance(stats, StatsPage)
    math_stats = stats.subjects[0]
    assert math_stats.base == 2 and math_stats.passing == 1 and math_stats.good == 0
    assert (math_stats.success_pct, math_stats.quality_pct) == ("50,0", "0,0")


def test_final_marks_are_used_where_the_grade_has_them(small_school: Doc) -> None:
    _math(small_school)["final_marks"] = [{"student": "s-1", "kind": "final", "value": "5"}]
    stats = _summary(small_school).pages[-1]
    assert isinstance(stats, StatsPage)
    assert stats.subjects[0].counts["5"] == 1 and stats.subjects[0].counts["4"] == 0


def test_grid_has_every_period_and_year_column(small_school: Doc) -> None:
    summary = _summary(small_school)
    page = summary.pages[0]
    assert isinstance(page, SummaryPage)
    grid = page.grid
    assert [(g.lines, g.span) for g in grid.groups] == [(("Матем.",), 6), (("Англ. яз.",), 5)]
    assert [c.label for c in grid.columns] == ["I", "II", "III", "IV", "год", "итог", "I", "II", "III", "IV", "год"]
    andreev = next(r for r in grid.rows if "Андреев" in r.name[0])
    assert andreev.cells == ("4", "", "", "", "4", "4", "", "", "", "", "")
    assert [r.name[0].split(".")[0] for r in grid.rows] == ["1", "2", "3", "4"]
    grigorieva = next(r for r in grid.rows if "Григорьева" in r.name[0])
    assert " ".join(grigorieva.name).endswith("(выбыла 20.12.2025)")  # her sex is in the export


def test_each_class_has_its_own_summary_volume_and_case() -> None:
    """Seed 004 §3.9: each class's summary sheet is bound with its own title sheet, a 25-year case of its
    own (school~year~class~summary) whose embedded source is that class's only."""
    from archiver.archive.cases import case_id_for, retention_for
    from archiver.demo.generator import generate
    from archiver.documents.volumes import VolumeKind, class_summary_volume
    from archiver.ingest.serialize import export_document

    export = build_export(generate(60, 4))
    volumes = [class_summary_volume(export, klass) for klass in export.classes]
    assert len({case_id_for(v.id) for v in volumes}) == len(export.classes) > 1
    for klass, volume in zip(export.classes, volumes, strict=True):
        assert case_id_for(volume.id) == f"{export.school.id}~2025-2026~{klass.id}~summary"
        assert (volume.kind, volume.class_id, volume.class_name) == (VolumeKind.SUMMARY, klass.id, klass.name)
        title = volume.title_sheet
        assert title.volume_kind == "СВОДНАЯ ВЕДОМОСТЬ ИТОГОВЫХ ОЦЕНОК"
        assert title.volume_title == f"обучающихся {klass.grade} «{klass.letter}» класса"
        assert (title.period_line, title.retention_line) == ("2025/2026 учебный год", "Срок хранения: 25 лет")
        assert [part.content for part in volume.parts] == [class_summary(export, klass)]
        assert [k.id for k in volume.source.classes] == [klass.id]
        assert validate_document(export_document(volume.source)) == ()
        assert str(retention_for(volume.kind, volume.created.date()).retain_until) == "2052-01-01"
