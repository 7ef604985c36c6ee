"""The ministry's numbers (issue 36): every indicator of two hand-built years of three schools, checked against
values computed by hand from the children's stories in tests/indicators_world.py; then the commands' files and
bad input. Every test ends by searching `default` for the children's names, numbers and dates of birth."""

import csv
import datetime
import io
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from School.context import tenant_context
from School.indicators import attendance, rates
from School.indicators import dashboard as indicator_view
from School.indicators.census import write_census
from School.indicators.population import enrolment_ratios
from School.indicators.population import load as load_population
from School.indicators.tables import COLUMNS, write_indicators
from School.models import Student
from School.platform import dashboard
from School.platform.figures import recount
from School.platform.models import PopulationByAge, YearAggregates, YearDetail
from School.register.service import Actor, take
from School.school_year.models import Grade, Promotion, SchoolYear
from tests.indicators_world import MARKS, Y1, Y2, build
from tests.test_platform_dashboard import signed_in, user
from tests.test_platform_figures import assert_no_foreign_students_in_default


@pytest.fixture
def world(platform):
    build(platform)
    yield platform
    assert_no_foreign_students_in_default(MARKS)


def values(line):
    return {name: (value.value if isinstance(value, rates.Ratio) else value) for name, value in line.figures.items()}


def grade_lines(year):
    return {line.name: values(line) for line in rates.by_grade(year)}


def test_enrolment_repeaters_and_flow_rates_by_grade_match_the_childrens_stories(world):
    grades = grade_lines(Y1)
    # P1: AL-1 F promoted, AL-2 M repeated, BE-1 F promoted, BE-2 M withdrew, GA-1 F (gamma: year not closed).
    assert (grades["P1"]["enrolled"], grades["P1"]["enrolled_female"], grades["P1"]["enrolled_male"]) == (5, 3, 2)
    assert grades["P1"]["gpi_enrolment"] == 1.5
    assert (grades["P1"]["promotion_rate"], grades["P1"]["repetition_rate"], grades["P1"]["dropout_rate"]) == (50.0, 25.0, 25.0)
    assert (grades["P1"]["promotion_rate_female"], grades["P1"]["promotion_rate_male"]) == (100.0, 0.0)
    assert grades["P1"]["gpi_promotion"] is None  # male rate 0: n/a, never a division error
    assert grades["P1"]["gpi_repetition"] == 0.0
    # P2: the twins promoted, AL-5 dropped out, AL-6 moved to beta (not a dropout: out of alpha's base) and was promoted there.
    assert (grades["P2"]["enrolled"], grades["P2"]["promotion_rate"], grades["P2"]["dropout_rate"]) == (5, 75.0, 25.0)
    assert (grades["P2"]["promotion_rate_female"], grades["P2"]["dropout_rate_male"]) == (100.0, 100.0)
    # S1: AL-8 repeats; S2: AL-7 graduated (a final grade's promotion), BE-3 repeats.
    assert (grades["S1"]["repetition_rate"], grades["S1"]["dropout_rate"]) == (100.0, 0.0)
    assert (grades["S2"]["promotion_rate"], grades["S2"]["repetition_rate"], grades["S2"]["dropout_rate"]) == (50.0, 50.0, 0.0)
    assert list(grades) == ["P1", "P2", "S1", "S2", "level: primary", "level: lower-secondary"]
    assert grades["level: primary"]["enrolled"] == 10 and grades["level: lower-secondary"]["enrolled"] == 3
    # Repeaters (UIS: in the grade they were in the year before) appear in 2026.
    following = grade_lines(Y2)
    assert {grade: following[grade]["repeaters"] for grade in ("P1", "P2", "S1", "S2")} == {"P1": 1, "P2": 0, "S1": 1, "S2": 1}


def test_the_national_line_names_the_school_whose_year_is_not_closed_and_counts_transition_and_parity(world):
    [line] = rates.national(Y1)
    figures = values(line)
    assert line.schools == 3 and line.not_closed == ["gamma"]
    assert (figures["enrolled"], figures["enrolled_female"], figures["enrolled_male"], figures["gpi_enrolment"]) == (13, 6, 5, 1.2)
    # Base: alpha's 8 less the one who moved, and beta's 4 (gamma left out): 6 promoted, 3 repeated, 2 dropped out.
    assert (figures["promotion_rate"], figures["repetition_rate"], figures["dropout_rate"]) == (54.5, 27.3, 18.2)
    assert line.figures["promotion_rate"].numerator == 6 and line.figures["promotion_rate"].denominator == 11
    # Transition P2 (2025) -> S1 (2026): the twins and the child who moved, of 4 (AL-6 counted once, at beta).
    assert (figures["transition_rate"], figures["transition_rate_female"], figures["transition_rate_male"]) == (75.0, 100.0, 0.0)
    assert figures["gpi_transition"] is None
    # Teachers are counted in the current year (2026): 2 at alpha (one who left is not), 1 at beta; 6 + 3 pupils.
    assert values(rates.national(Y2)[0])["pupil_teacher_ratio"] == 3.0
    assert figures["pupil_teacher_ratio"] is None and figures["teachers"] == 0


def test_attendance_and_persistent_absence_from_the_register(world):
    alpha = {line.name: line for line in rates.by_school(Y2)}["alpha"]
    # P1: 3 registers x 2 pupils less AL-2's day not expected = 5; S1: 2 x 3 = 6; absent: AL-9 once, AL-4 once (late is present).
    assert alpha.figures["attendance_rate"].numerator == 9 and alpha.figures["attendance_rate"].denominator == 11
    assert alpha.figures["attendance_rate"].value == 81.8
    # AL-9 missed 1 of 3, AL-4 1 of 2: both over 10%, of the 5 pupils of the classes registered.
    assert alpha.figures["persistent_absence"].value == 40.0
    assert YearDetail.objects.using("default").get(school__name="alpha", year=Y2).terms == [{"term": "Term 1", "first": "2026-01-05", "last": "2026-03-31", "present": 9, "possible": 11,
                          "students": 5, "persistent": 2}]
    row = YearAggregates.objects.using("default").get(school__name="alpha", year=Y2)
    assert (row.register_classes, str(row.last_register_day)) == (3, "2026-01-07")
    beta = {line.name: line for line in rates.by_school(Y2)}["beta"]
    assert beta.figures["attendance_rate"].text() == "n/a"


def test_ages_on_the_first_day_of_the_year_count_twins_and_a_child_with_no_date_of_birth(world):
    row = YearDetail.objects.using("default").get(school__name="alpha", year=Y1)
    # AL-1 is 6 on her birthday, 2025-01-06; AL-2 is a day short of 6; the twins are 11; AL-6 has no sex or date recorded.
    assert row.ages["P1"] == {"female": {"6": 1}, "male": {"5": 1}}
    assert row.ages["P2"] == {"female": {"11": 2}, "male": {"12": 1}, "sex_not_recorded": {"": 1}}


def test_clusters_sum_their_schools(world):
    lines = {line.name: values(line) for line in rates.by_cluster(Y1)}
    assert {name: line["enrolled"] for name, line in lines.items()} == {"east": 4, "main": 9}
    assert lines["east"]["promotion_rate"] == 50.0  # BE-1 and BE-6 of 4


def test_the_command_explains_each_rate_and_writes_csv_and_json(world, run_cli):
    shown = run_cli("schools", "indicators", "--year", Y1, "--explain")
    assert shown.returncode == 0, shown.stderr
    assert "54.5 (6/11)" in shown.stdout and "gamma" in shown.stdout and "none is loaded" in shown.stdout
    as_json = json.loads(run_cli("schools", "indicators", "--year", Y1, "--by", "grade", "--format", "json").stdout)
    p1 = as_json["lines"][0]
    assert p1["name"] == "P1" and p1["figures"]["dropout_rate"] == {"value": 25.0, "numerator": 1, "denominator": 4}
    assert p1["figures"]["gpi_promotion"]["value"] is None
    table = list(csv.DictReader(io.StringIO(run_cli("schools", "indicators", "--year", Y1, "--by", "school",
                                                    "--format", "csv", "--explain").stdout)))
    assert {row["school"]: row["promotion_rate_denominator"] for row in table} == {"alpha": "7", "beta": "4", "gamma": "0"}
    unknown = run_cli("schools", "indicators", "--year", "1999")
    assert unknown.returncode == 2 and unknown.stderr.strip().endswith("no school has a year 1999 (as of the last count)")


def test_the_census_workbook_has_a_sheet_per_table(world, run_cli, tmp_path):
    target = tmp_path / "census.xlsx"
    made = run_cli("schools", "census", "--year", Y1, "--output", str(target))
    assert made.returncode == 0, made.stderr
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["Enrolment by age", "Repeaters", "Outcomes", "Teachers", "Attendance", "Rates", "Notes"]
    enrolment = [list(row) for row in book["Enrolment by age"].iter_rows(values_only=True)]
    assert enrolment[0][:4] == ["age", "P1 F", "P1 M", "P1 T"]
    by_age = {row[0]: row[1:4] for row in enrolment[1:]}
    # P1 in 2025: AL-2, BE-1, BE-2 and GA-1 are 5 on the first day, AL-1 is 6 that very day.
    assert by_age[5] == [2, 2, 4] and by_age[6] == [1, 0, 1] and by_age["total"] == [3, 2, 5]
    rates_sheet = {row[0]: row for row in book["Rates"].iter_rows(values_only=True)}
    assert rates_sheet["national"][1] == 13
    assert not made.stderr


def test_population_loads_whole_or_not_at_all_and_gives_gross_and_net_ratios(world, run_cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("year,age,female,male\n2025,6,10,10\n2025,31,1,1\n")
    refused = run_cli("schools", "population", "load", str(bad))
    assert refused.returncode == 2 and refused.stderr.strip().endswith("line 3: age 31 is outside 0-30")
    bad.write_text("year,age,female,male\n2025,six,10,10\n")
    assert "line 2: age 'six' is not a whole number" in run_cli("schools", "population", "load", str(bad)).stderr
    assert not PopulationByAge.objects.using("default").exists()
    good = tmp_path / "population.csv"
    good.write_text("year,age,female,male\n" + "".join(f"2025,{age},2,2\n" for age in range(6, 12)))
    assert run_cli("schools", "population", "load", str(good)).returncode == 0
    [(level, primary), *_rest] = enrolment_ratios(Y1)[0]
    # Primary (ages 6-11): 10 enrolled of a population of 24; of official age: AL-1 (6), the twins (11), AL-5 (12 is not),
    # BE-1 (5) not, BE-2 (5) not, GA-1 (5) not, AL-2 (5) not, AL-6 and BE-6 unknown: 3.
    assert level == "primary (ages 6-11)"
    assert (primary["ger"].numerator, primary["ger"].denominator, primary["ner"].numerator) == (10, 24, 3)


def test_grades_take_their_level_at_the_school_and_from_the_national_ladder(world, run_cli):
    wrong = run_cli("gamma", "grades", "set", "P1", "P2", "S1", "S2", "--final", "S2", "--level", "P1=elementary")
    assert wrong.returncode == 2 and "the level is one of primary, lower-secondary, upper-secondary" in wrong.stderr
    done = run_cli("gamma", "grades", "set", "P1", "P2", "S1", "S2", "--final", "S2", "--level", "S2=upper-secondary",
                   "--isced", "S2=3")
    assert done.returncode == 0, done.stderr
    national = run_cli("schools", "grades", "set", "P1", "P2", "S1", "S2", "--final", "S2", "--level", "P1=primary",
                       "--level", "S1=upper-secondary", "--school", "beta", "--jobs", "1")
    assert national.returncode == 0, national.stderr
    levels = {name: [(row["name"], row["level"], row["isced"]) for row in json.loads(
        run_cli(name, "grades", "--format", "json").stdout)] for name in ("gamma", "beta")}
    assert levels["gamma"] == [("P1", "primary", ""), ("P2", "primary", ""), ("S1", "lower-secondary", ""),
                               ("S2", "upper-secondary", "3")]
    assert levels["beta"][2] == ("S1", "upper-secondary", "")


def test_the_platform_sees_the_attendance_rate_and_the_schools_with_no_register_today(world, run_cli):
    assert attendance.national_rate().text(explain=True) == "81.8 (9/11)"
    assert [(name, rate.text()) for name, rate in attendance.rates_by("cluster")] == [("east", "n/a"), ("main", "81.8")]
    # Wednesday 7 January 2026 alpha took its registers, beta none; gamma's current year (2025) is over.
    wednesday = attendance.no_register_today(datetime.date(2026, 1, 7))
    assert (wednesday.expected, wednesday.missing, wednesday.names) == (2, 1, ["beta"])
    thursday = attendance.no_register_today(datetime.date(2026, 1, 8))
    assert (thursday.missing, thursday.names) == (2, ["alpha", "beta"])
    assert not attendance.no_register_today(datetime.date(2026, 1, 10)).school_day  # a Saturday
    health = json.loads(run_cli("schools", "health", "--format", "json").stdout)
    assert health["attendance"] == {"value": 81.8, "numerator": 9, "denominator": 11}
    assert "schools_without" in health["registers_today"]
    assert "attendance this year (present / possible sessions): 81.8 (9/11)%" in run_cli("schools", "health").stdout


def test_the_dashboard_shows_the_rates_parity_ages_and_absence_each_with_its_table_and_serves_the_census(world):
    world.add_school("default", ["localhost"], "Platform")
    user("default", "operator", is_staff=True, is_superuser=True)
    dashboard.forget()
    client = signed_in("localhost", "operator")
    html = client.get("/platform/").content.decode()
    section = html.split('id="indicators-title"')[1].split("</section>")[0]
    for chart in ("flow-rates", "parity", "ages", "absence"):
        assert f'src="/platform/charts/{chart}.svg"' in section
        svg = client.get(f"/platform/charts/{chart}.svg")
        assert svg.status_code == 200 and "<script" not in svg.content.decode()
    rates = section.split("Flow rates by grade (data of the chart, %)")[1].split("</table>")[0]
    assert '<th scope="row">P1</th><td class="number">50.0</td><td class="number">25.0</td><td class="number">25.0</td>' in rates
    parity = section.split("Gender parity index by grade (data of the chart)")[1].split("</table>")[0]
    assert '<th scope="row">P1</th><td class="number">1.5</td><td class="number">n/a</td>' in parity
    absence = section.split("Persistent absence by school (data of the chart, %)")[1].split("</table>")[0]
    assert '<th scope="row">alpha</th><td class="number">40.0</td>' in absence
    assert 'id="attendance-rate">81.8%' in section and "1 school has not closed 2025" in section
    workbook = client.get(f"/platform/census.xlsx?year={Y1}")
    assert workbook.status_code == 200 and workbook["Content-Disposition"] == 'attachment; filename="census-2025.xlsx"'
    assert load_workbook(io.BytesIO(workbook.content), read_only=True).sheetnames[0] == "Enrolment by age"
    assert client.get("/platform/census.xlsx?year=1999").status_code == 302
    dashboard.forget()


def test_the_counts_follow_a_days_register_and_a_promotion_without_a_refresh(world, settings):
    settings.FIGURES_FOLLOW_DELAY = 0  # recount right after the write, as the follower does after its delay
    with tenant_context("alpha"):
        take("alpha", Actor(name="operator"), "P1", datetime.date(2026, 1, 8), {"AL-2": ("absent-unexcused", "")},
             correction="entered late")
    row = YearAggregates.objects.using("default").get(school__name="alpha", year=Y2)
    assert (str(row.last_register_day), row.present, row.possible) == ("2026-01-08", 10, 13)
    close_gammas_year()
    [line] = rates.national(Y1)
    assert line.not_closed == [] and line.figures["promotion_rate"].denominator == 12


def close_gammas_year():
    """gamma closes 2025 (its promotion row done): its outcomes now count (the follower recounts it)."""
    with tenant_context("gamma"):
        first = SchoolYear.objects.get(name=Y1)
        following = SchoolYear.objects.create(name=Y2, first_day=datetime.date(2026, 1, 5), last_day=datetime.date(2026, 11, 27))
        now = timezone.now()
        Promotion.objects.create(from_year=first, to_year=following, state=Promotion.State.DONE, started_at=now,
                                 finished_at=now, lease_until=now)
        Student.objects.get(registration_no="GA-1").save()  # any student write: the follower recounts the school


def test_the_dashboards_rates_by_grade_are_kept_until_the_nightly_refresh_takes_them_again(world, settings, run_cli):
    settings.FIGURES_FOLLOW_DELAY = 0
    kept = indicator_view.compute()  # no snapshot yet: the dashboard takes the first itself
    assert kept.not_closed == 1 and kept.as_of is not None
    close_gammas_year()
    later = indicator_view.compute()  # gamma's new counts are stored, the kept rates are not retaken per request
    assert (later.not_closed, later.rates, later.as_of) == (1, kept.rates, kept.as_of)
    run_cli("schools", "refresh-figures", "--all")
    retaken = indicator_view.compute()
    assert retaken.not_closed == 0 and retaken.as_of > kept.as_of
    assert retaken.rates[0][1].denominator == rates.by_grade(Y1)[0].figures["promotion_rate"].denominator


def test_a_census_of_a_school_whose_grades_have_no_level_is_refused_naming_it_and_writes_nothing(world, tmp_path):
    with tenant_context("gamma"):
        Grade.objects.filter(name="P1").update(level="")
    recount("gamma")
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(rates.IndicatorError, match=r"^1 schools have grades with no level .*e\.g\. gamma: set them"):
        write_census(Y1, folder / "census.xlsx")
    assert not list(folder.iterdir())
    # The indicators still count it, under "level: not set".
    assert {line.name: values(line)["enrolled"] for line in rates.by_grade(Y1)}["level: not set"] == 1


def test_every_figure_of_the_census_is_the_one_schools_indicators_gives(world, tmp_path):
    """The census sums each school's flows and ages in one pass (GradeWalk, population.add_ages); `schools indicators`
    reads the national line with SQL sums and GER/NER with a read of their own: both paths give the same numbers."""
    population = tmp_path / "population.csv"
    population.write_text("year,age,female,male\n" + "".join(f"{Y1},{age},3,2\n" for age in range(5, 16)))
    load_population(population)
    write_census(Y1, tmp_path / "census.xlsx")
    book = load_workbook(tmp_path / "census.xlsx", read_only=True)
    sheet = {name: [list(row) for row in book[name].iter_rows(values_only=True)] for name in book.sheetnames}
    rates_sheet = {row[0]: dict(zip(sheet["Rates"][0], row)) for row in sheet["Rates"][1:]}
    for by in ("grade", "national"):
        shown = io.StringIO()
        write_indicators(by, "json", None, shown, Y1)
        as_json = json.loads(shown.getvalue())
        for line in as_json["lines"]:
            row = rates_sheet[line["name"]]
            for name in COLUMNS:  # the sheet's columns: each rate with its numerator and denominator
                figure = line["figures"][name]
                if isinstance(figure, dict):
                    assert (row[name], row[f"{name} numerator"], row[f"{name} denominator"]) == (
                        figure["value"], figure["numerator"], figure["denominator"]), (line["name"], name)
                else:
                    assert row[name] == figure, (line["name"], name)
    national = rates_sheet["national"]
    # The sheets by age, repeaters and outcomes come from the same pass: their totals are the national line's.
    enrolment_total = dict(zip(sheet["Enrolment by age"][0], sheet["Enrolment by age"][-1]))
    assert sum(value for name, value in enrolment_total.items() if name.endswith(" T")) == national["enrolled"] == 13
    assert sum(value for name, value in enrolment_total.items() if name.endswith(" F")) == national["enrolled_female"]
    assert sum(row[3] for row in sheet["Repeaters"][1:]) == national["repeaters"]
    assert sum(row[1] for row in sheet["Outcomes"][1:]) == national["enrolled"]
    # GER and NER: the census's ages summed in its pass, the command's read again; the same line in both.
    ratios = [f"{level}: " + ", ".join(f"{k} {v.text(True)}" for k, v in values.items())
              for level, values in enrolment_ratios(Y1)[0]]
    assert ratios and all([line] in sheet["Notes"] for line in ratios)


def test_gross_and_net_ratios_come_from_the_kept_sums_as_from_every_schools_ages_and_not_after_the_ages_change(world, tmp_path,
                                                                                                              settings):
    """The national GER/NER sum the levels' counts kept with each school's row (School/indicators/levels.py); read
    from every school's ages instead they are the same, and rows counted with other official ages are never summed."""
    from School.indicators.levels import national_by_level
    from School.indicators.population import levels_of_ages, read_ages

    population = tmp_path / "population.csv"
    population.write_text("year,age,female,male\n" + "".join(f"{Y1},{age},3,2\n" for age in range(4, 16)))
    load_population(population)
    kept = national_by_level(Y1)
    assert kept is not None and kept["primary"][("", "all")] == 10 and kept["primary"][("", "in")] == 3
    from_ages = levels_of_ages(read_ages(Y1))
    assert {(level, key): n for level, counts in kept.items() for key, n in counts.items()} == {
        (level, key): from_ages.get(level, {}).get(key, 0) for level, counts in kept.items() for key in counts}
    settings.INDICATORS_LEVEL_AGES = {**settings.INDICATORS_LEVEL_AGES, "primary": (5, 10)}
    assert national_by_level(Y1) is None  # counted with 6-11: not summed until recounted
    [(level, primary), *_rest] = enrolment_ratios(Y1)[0]
    assert level == "primary (ages 5-10)" and primary["ner"].numerator == levels_of_ages(read_ages(Y1))["primary"][("", "in")]
    for school in ("alpha", "beta", "gamma"):
        recount(school)
    assert national_by_level(Y1)["primary"][("", "in")] == primary["ner"].numerator
