"""The recount test: the demo's 2024 vote is counted and published; the anonymised ballots each
group offers for download, recounted by `flask pb tally` and by pabutools, give the very winners
the public page, the downloads and the API show. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from pb.accounts.models import User
from pb.core.extensions import db
from pb.editions.models import Edition
from pb.results import counting as results
from tests.factories_results import NOW, open_demo_box

pytestmark = pytest.mark.slow


def publish_demo(demo_templates, app_config) -> tuple[Edition, object]:
    # load_demo(NOW) and open_demo_box(), built once for the session
    demo_templates.install(NOW, app_config, then=open_demo_box)
    edition = db.session.scalar(select(Edition).where(Edition.slug == "liberec-2024"))
    first, second = (
        db.session.scalar(select(User).where(User.email == email))
        for email in ("commission@example.cz", "commission2@example.cz")
    )
    result = results.count_results(edition, actor=first, now=NOW)
    for member in (first, second):
        results.approve_result(
            result, actor=member, snapshot_sha256=result.snapshot_sha256, now=NOW
        )
    results.publish_result(result, actor=second, now=NOW)
    db.session.commit()
    return edition, result


def pabutools_winners(path) -> set[int]:
    """An independent recount with pabutools, Pabulib's reference library.

    The file's rule is greedy (plus-minus voting is greedy by the sum of +1/-1 points). pabutools'
    greedy ranks by satisfaction per unit of cost, so the satisfaction of a project is its points
    times its cost; ties go to the cheaper project, then the lower id, as the file's comment says.
    """
    from pabutools.election import AdditiveSatisfaction, Cost_Sat, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare
    from pabutools.tiebreaking import TieBreakingRule

    instance, profile = parse_pabulib(str(path))
    assert instance.meta["rule"] == "greedy"

    class PointsTimesCost(AdditiveSatisfaction):
        def __init__(self, instance, profile, ballot):
            super().__init__(
                instance,
                profile,
                ballot,
                lambda _i, _p, b, project, _c: b.get(project, 0) * project.cost,
            )

    satisfaction = PointsTimesCost if instance.meta["vote_type"] == "scoring" else Cost_Sat
    cheaper_then_id = TieBreakingRule(lambda _i, _p, project: (project.cost, project.name))
    chosen = greedy_utilitarian_welfare(
        instance, profile, sat_class=satisfaction, tie_breaking=cheaper_then_id
    )
    return {int(project.name) for project in chosen}


def test_recounting_the_downloaded_ballots_gives_the_published_winners(
    app, backend, client, runner, tmp_path, demo_templates, app_config
):
    edition, result = publish_demo(demo_templates, app_config)
    snapshot = results.snapshot_of(result)
    published = {g["category_id"]: {int(i) for i in g["selected"]} for g in snapshot["groups"]}
    assert all(published.values()), "every group of the demo funds something"
    page = client.get("/editions/liberec-2024/results").get_data(as_text=True)
    api = client.get("/api/v1/editions/liberec-2024/results").get_json()
    document = client.get("/editions/liberec-2024/results/v/1/results.json").get_json()
    table = list(
        csv.DictReader(
            io.StringIO(
                client.get("/editions/liberec-2024/results/v/1/results.csv")
                .get_data(as_text=True)
                .lstrip("\ufeff")
            )
        )
    )

    for group in snapshot["groups"]:
        category_id = group["category_id"]
        response = client.get(f"/editions/liberec-2024/results/v/1/groups/{category_id}/ballots.pb")
        assert response.status_code == 200
        path = tmp_path / f"group-{category_id}.pb"
        path.write_bytes(response.data)

        # 1. The platform's own command, as anyone would run it on the file.
        ran = runner.invoke(args=["pb", "tally", str(path), "--json"])
        assert ran.exit_code == 0, ran.output
        recounted = {int(pid) for pid in json.loads(ran.output)["selected"]}
        assert recounted == published[category_id]

        # 2. pabutools, independently.
        assert pabutools_winners(path) == published[category_id]

        # 3. The same winners everywhere the results are published.
        by_api = next(g for g in api["groups"] if g["category_id"] == category_id)
        by_json = next(g for g in document["groups"] if g["category_id"] == category_id)
        by_csv = {
            int(r["number"]) for r in table if r["group"] == group["name"] and r["selected"] == "1"
        }
        assert set(by_api["selected"]) == set(by_json["selected"]) == by_csv == recounted
        section = page.split(f'id="group-{category_id}-title"')[1].split("</section>")[0]
        funded_table = section.split('class="data-table results-table"')[1].split("</table>")[0]
        on_page = {
            int(n)
            for n in re.findall(r'href="/editions/liberec-2024/proposals/(\d+)"', funded_table)
        }
        assert on_page == recounted


def test_the_downloaded_file_is_valid_pabulib_shuffled_and_anonymous(
    app, backend, client, tmp_path, demo_templates, app_config
):
    from pabulib.checker import Checker

    _edition, result = publish_demo(demo_templates, app_config)
    snapshot = results.snapshot_of(result)
    group = snapshot["groups"][0]
    body = client.get(
        f"/editions/liberec-2024/results/v/1/groups/{group['category_id']}/ballots.pb"
    ).get_data(as_text=True)
    again = client.get(
        f"/editions/liberec-2024/results/v/1/groups/{group['category_id']}/ballots.pb"
    ).get_data(as_text=True)
    assert body == again  # one version, one file

    path = tmp_path / "small.pb"
    path.write_text(body, encoding="utf-8")
    report = Checker().process_files([str(path)])
    assert report["metadata"]["valid"] == 1, report

    votes = body.split("\nVOTES\n")[1].strip().splitlines()
    header, rows = votes[0], [line.split(";") for line in votes[1:]]
    assert header == "voter_id;vote;points"  # no age, sex or district column at all
    assert len(rows) == group["voters"]
    ids = [row[0] for row in rows]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[0-9a-f]{10}", i) for i in ids)
    assert ids != sorted(ids)
    # Shuffled: identical ballots do not come in runs as they do when grouped.
    runs = sum(1 for a, b in zip(rows, rows[1:], strict=False) if a[1:] == b[1:])
    assert runs < len(rows) // 4
