import pytest


def page_text(response) -> str:
    return response.get_data(as_text=True)


def test_home_shows_the_current_edition_its_phase_and_group_budgets(client, demo):
    response = client.get("/")
    html = page_text(response)
    assert response.status_code == 200
    assert "Participativní rozpočet Liberec 2026" in html
    assert "Vratislavice nad Nisou" in html
    assert "3\xa0000\xa0000" in html  # the small-projects group budget, grouped the Czech way
    assert "Participativní rozpočet Liberec 2024" in html  # listed among the other editions


def test_home_without_any_edition_says_so(client):
    response = client.get("/")
    assert response.status_code == 200


def test_edition_page_shows_schedule_rules_and_criteria(client, demo):
    html = page_text(client.get("/editions/liberec-2024"))
    assert "Malé projekty" in html and "Extra velký projekt" in html
    assert "2024" in html
    assert "V kompetenci města" in html
    assert 'aria-current="step"' in html


def test_proposal_list_filters_by_group_and_text(client, demo):
    html = page_text(client.get("/editions/liberec-2026/proposals?q=lávka"))
    assert "Lávka přes Nisu" in html and "Knihobudka" not in html
    edition_html = page_text(client.get("/editions/liberec-2026/proposals"))
    assert "Knihobudka" in edition_html


def test_proposal_detail_shows_costs_review_and_appeal_history(client, demo):
    html = page_text(client.get("/editions/liberec-2024/proposals/6"))
    assert "Komunitní zahrada v Rochlici" in html
    assert "185\xa0000" in html
    assert "bytového družstva" in html  # the review's public justification
    assert "darovací smlouva" in html  # the commission's decision on the appeal


@pytest.mark.parametrize(
    "url",
    [
        "/editions/liberec-2026/proposals?category=abc&district=%00&status=nope&page=-5",
        "/editions/liberec-2026/proposals?page=999999999999999999999",
        "/editions/liberec-2026/proposals?q=" + "x" * 5000,
        "/editions/liberec-2026/proposals/99999",
        "/editions/liberec-2026/proposals/99999999999999999999999",
        "/editions/liberec-2026/proposals?category=99999999999999999999&district=١٢",
        "/editions/liberec-2026/proposals?status=+++&sort=+&category=+&district=+",
        "/editions/liberec-2026/proposals?page=" + "9" * 400,  # NumberRange's float: a 500
        "/editions/liberec-2023/built/" + "9" * 25,  # an id wider than the database's: a 500
        "/editions/liberec-2024/results/v/" + "9" * 25,
        "/editions/liberec-2024/results/v/1/groups/" + "9" * 25 + "/ballots.pb",
        "/editions/no-such-edition",
        "/editions/no-such-edition/proposals",
    ],
)
def test_bad_input_never_gives_a_server_error(client, demo, url):
    assert client.get(url).status_code in (200, 404)


def test_unknown_page_gets_the_city_404_page(client, demo):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "site-header" in page_text(response)


def test_drafts_are_not_reachable_by_the_public(client, app, demo):
    from pb.core.extensions import db
    from pb.proposals.models import Proposal, ProposalStatus

    proposal = db.session.get(Proposal, 1)
    proposal.status = ProposalStatus.DRAFT
    db.session.commit()
    assert (
        client.get(f"/editions/{proposal.edition.slug}/proposals/{proposal.number}").status_code
        == 404
    )


def test_every_response_carries_the_security_headers(client, demo):
    for url in ("/", "/account/login", "/nope"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script_or_style(client, demo):
    for url in (
        "/",
        "/editions/liberec-2026",
        "/editions/liberec-2026/proposals",
        "/account/login",
    ):
        html = page_text(client.get(url))
        assert "<script>" not in html and " style=" not in html and "<style" not in html


def test_nothing_is_loaded_from_another_site(client, demo):
    html = page_text(client.get("/"))
    assert "http://" not in html.replace("http://localhost", "")
    assert "https://" not in html


def test_language_switch_shows_english_and_czech(client, demo):
    response = client.get("/language/en?next=/editions/liberec-2026", follow_redirects=True)
    html = page_text(response)
    assert '<html lang="en">' in html
    assert "Liberec Participatory Budget 2026" in html  # the city's own English name
    client.get("/language/cs?next=/")
    assert '<html lang="cs">' in page_text(client.get("/"))


def test_language_switch_refuses_to_redirect_elsewhere(client, demo):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = client.get("/language/en", query_string={"next": target})
        assert response.status_code == 302
        assert response.headers["Location"] == "/"


def test_unknown_language_is_404(client, demo):
    assert client.get("/language/xx").status_code == 404
