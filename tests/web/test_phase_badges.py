"""The public badge of an edition says its phase now, in each language: on the edition's page, on the
home page's hero and in its list of other editions; after publication it says the results are out."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from pb.core.extensions import db
from pb.editions.models import Phase
from tests.factories import make_category, make_edition

WORDS = {
    Phase.PREPARATION: {
        "cs": "Příprava",
        "en": "Preparation",
        "sk": "Príprava",
        "pl": "Przygotowanie",
    },
    Phase.SUBMISSION: {
        "cs": "Podávání návrhů",
        "en": "Submitting proposals",
        "sk": "Podávanie návrhov",
        "pl": "Zgłaszanie projektów",
    },
    Phase.REVIEW: {
        "cs": "Posouzení proveditelnosti",
        "en": "Review of proposals",
        "sk": "Posúdenie realizovateľnosti",
        "pl": "Weryfikacja projektów",
    },
    Phase.APPEAL: {"cs": "Námitky", "en": "Appeals", "sk": "Námietky", "pl": "Odwołania"},
    Phase.VOTING: {"cs": "Hlasování", "en": "Voting", "sk": "Hlasovanie", "pl": "Głosowanie"},
    Phase.COUNTING: {
        "cs": "Sčítání hlasů",
        "en": "Counting votes",
        "sk": "Sčítanie hlasov",
        "pl": "Liczenie głosów",
    },
    Phase.PUBLISHED: {
        "cs": "Výsledky zveřejněny",
        "en": "Results published",
        "sk": "Výsledky zverejnené",
        "pl": "Wyniki ogłoszone",
    },
}


def _badges(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<span class="badge phase-([a-z]+)">([^<]*)</span>', page)


@pytest.mark.parametrize("language", ["cs", "en", "sk", "pl"])
@pytest.mark.parametrize("phase", list(WORDS))
def test_the_edition_badge_says_its_phase_now_in_every_language(client, phase, language):
    edition = make_edition(phase, slug=f"badge-{phase.value}")
    make_category(edition)
    db.session.commit()
    client.get(f"/language/{language}")
    expected = (phase.value, WORDS[phase][language])
    assert _badges(client.get(f"/editions/{edition.slug}").text) == [expected]
    assert expected in _badges(client.get("/").text)


@pytest.mark.parametrize("language", ["cs", "en", "sk", "pl"])
def test_after_publication_every_badge_and_the_home_page_say_the_results_are_out(client, language):
    now = datetime.now(UTC)
    older = make_edition(Phase.PUBLISHED, now=now - timedelta(days=400), slug="loni")
    newest = make_edition(Phase.PUBLISHED, now=now, slug="letos")
    make_category(older), make_category(newest)
    db.session.commit()
    client.get(f"/language/{language}")
    home = client.get("/").text
    published = ("published", WORDS[Phase.PUBLISHED][language])
    assert _badges(home) == [published, published]  # the hero and the other edition
    assert 'href="/editions/letos/results"' in home
    client.get("/language/en")
    home = client.get("/").text
    assert "shared out by residents' votes" in home and "to be shared out" not in home
