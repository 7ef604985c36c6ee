"""A school's Jobs pages (its staff, its jobs only), in Chromium with axe-core; the queue on the dashboard and in /metrics."""

import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from School.accounts.groups import REGISTRARS
from School.jobs.models import Job
from tests.people_helpers import member, signed_in
from tests.test_browser import have_browser, school_url, sign_in, start_chromium, step
from tests.test_platform_browser import AXE


@pytest.fixture
def jobs(three_schools):
    member("nairobi", "wanjiru", REGISTRARS)
    now = timezone.now()
    made = {
        "done": Job.objects.create(school="nairobi", kind="records.import", state="done", started_by="wanjiru",
                                   result={"summary": "Imported 12 students: 12 new, 0 updated."}, finished_at=now),
        "running": Job.objects.create(school="nairobi", kind="records.import", state="running", started_by="wanjiru",
                                      progress_done=500, progress_total=2000),
        "failed": Job.objects.create(school="nairobi", kind="mail.send", state="failed", started_by="wanjiru",
                                     message="Failed after 5 attempts: Connection refused", finished_at=now),
        "accra": Job.objects.create(school="accra", kind="records.import", state="done", started_by="kofi",
                                    result={"summary": "Accra's own import"}, finished_at=now),
    }
    return made


def test_staff_see_their_schools_jobs_with_progress_results_and_failures_and_nobody_elses(jobs):
    client = signed_in("nairobi.localhost", "wanjiru")
    page = client.get("/jobs/").content.decode()
    assert "Imported 12 students" in page and "Connection refused" in page and 'value="25"' in page
    assert "Accra's own import" not in page and str(jobs["accra"].id) not in page
    assert client.get(f"/jobs/{jobs['accra'].id}/").status_code == 404
    one = client.get(f"/jobs/{jobs['running'].id}/").content.decode()
    assert 'data-state="running"' in one and "25%" in one and 'data-refresh="2"' in one
    assert 'data-refresh' not in client.get(f"/jobs/{jobs['done'].id}/").content.decode()  # ended: no more reloading
    # In the school's language: Swahili for a Swahili school.
    from School.models import School
    from School.utils import registry

    School.objects.using("default").filter(name="nairobi").update(language="sw")
    registry.invalidate()
    assert "Kazi" in signed_in("nairobi.localhost", "wanjiru").get("/jobs/").content.decode()


def test_the_queue_on_metrics_has_no_label_per_school(jobs):
    text = Client(HTTP_HOST="localhost").get("/metrics").content.decode()
    assert re.search(r'^school_jobs\{state="done"\} 2\.0$', text, re.M)
    assert re.search(r'^school_jobs_ended_last_day\{outcome="failed"\} 1\.0$', text, re.M)
    assert re.search(r"^school_jobs_queue_up 1\.0$", text, re.M) and re.search(r"^school_jobs_waiting 0\.0$", text, re.M)
    for name in ("nairobi", "accra", "Nairobi", "Accra"):
        assert name not in text


@pytest.mark.skipif(not have_browser, reason="Debian's chromium and chromium-driver are not installed")
def test_the_jobs_pages_in_chromium_pass_axe(jobs, live_server_url, tmp_path):
    from selenium.webdriver.common.by import By

    driver = start_chromium(tmp_path)
    try:
        sign_in(driver, school_url(live_server_url, "nairobi.localhost", "/accounts/login/?next=/jobs/"), "wanjiru")
        for path in ("/jobs/", f"/jobs/{jobs['done'].id}/", f"/jobs/{jobs['failed'].id}/", "/students/export/"):
            with step(driver, "jobs-axe"):
                driver.get(school_url(live_server_url, "nairobi.localhost", path))
                assert driver.find_element(By.TAG_NAME, "h1").text
                driver.execute_script(AXE.read_text())
                result = driver.execute_async_script(
                    "const done = arguments[arguments.length - 1];"
                    "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
                    ".then(r => done(JSON.stringify(r.violations.map(v => [v.id, v.nodes.length]))));"
                )
                assert json.loads(result) == [], path
    finally:
        driver.quit()


def test_schools_jobs_shows_depth_oldest_waiting_failures_and_filters(jobs, run_cli):
    waiting = Job.objects.create(school="accra", kind="mail.send", state="queued", started_by="kofi")
    listing = json.loads(run_cli("schools", "jobs", "--format", "json").stdout)
    assert listing["reachable"] and listing["waiting"] == 0  # the row is there, its message is not (made by hand)
    assert listing["failed_last_day"] == 1 and listing["states"] == {"queued": 1, "running": 1, "done": 2, "failed": 1}
    assert listing["oldest_waiting"] == waiting.created_at.isoformat()
    nairobi = json.loads(run_cli("schools", "jobs", "--school", "nairobi", "--state", "failed", "--format", "json").stdout)
    assert [job["id"] for job in nairobi["jobs"]] == [str(jobs["failed"].id)]
    assert "Connection refused" in nairobi["jobs"][0]["message"]
    table = run_cli("schools", "jobs", "--school", "accra")
    assert table.returncode == 0 and "failed in the last day: 0" in table.stdout and str(waiting.id) in table.stdout
    unknown = run_cli("schools", "jobs", "--school", "atlantis")
    assert unknown.returncode == 2 and "unknown school 'atlantis'" in unknown.stderr


def test_a_large_export_is_a_job_whose_page_gives_the_file_to_this_schools_staff_only(jobs, settings):
    client = signed_in("nairobi.localhost", "wanjiru")
    page = client.get("/students/export/?status=active").content.decode()
    assert 'id="export-in-background"' in page
    answer = client.post("/students/export/?status=active", {"status": "active", "background-format": "csv", "background-dates": "iso"})
    assert answer.status_code == 302 and answer["Location"].startswith("/jobs/")
    job_id = answer["Location"].split("/")[2]
    assert Job.objects.get(pk=job_id).state == "done"  # jobs are immediate in the suite
    shown = client.get(answer["Location"]).content.decode()
    link = re.search(r'href="(/students/export/[^"]+/file)"', shown).group(1)
    assert "The file of 5 students is ready." in shown
    download = client.get(link)
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert text.count("NBI-") == 5 and "ACC-" not in text
    # Another school's staff, on their own host, never get it.
    member("accra", "kofi", REGISTRARS)
    assert signed_in("accra.localhost", "kofi").get(link).status_code == 404
    # Kept EXPORT_KEEP_HOURS, then pruned by the nightly schedule.
    from School.records.export_jobs import prune_exports

    settings.EXPORT_KEEP_HOURS = 0
    assert prune_exports() == 1 and client.get(link).status_code == 404
