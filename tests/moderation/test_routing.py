"""Router confidences on a tiny history (moderation.routing), against the model its docstring states."""

import pytest

from moderation.routing import Route, Router


def _router() -> Router:
    router = Router(["DIEN", "NUOC"])
    router.learn("Đèn đường hư", "DIEN")
    router.learn("Cúp điện cả ngày", "DIEN")
    router.learn("Nước máy đục", "NUOC")
    return router


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Cúp điện, đèn đường hư", [Route("DIEN", 0.7057), Route("NUOC", 0.2943)]),
        ("Nước máy đục", [Route("NUOC", 0.6277), Route("DIEN", 0.3723)]),
        ("Nước máy yếu, đèn đường hư", [Route("NUOC", 0.5233), Route("DIEN", 0.4767)]),
    ],
)
def test_confidences_follow_the_documented_model(text: str, expected: list[Route]) -> None:
    """The figures were recomputed outside the router from its docstring: IDF log((n + 1) / (df +
    0.5)); evidence sum idf * tf / (tf + 2); naive Bayes with smoothing 0.3 over the vocabulary,
    against the background of all bags, plus 0.5 * log((examples + 1) / (all examples + n));
    both softmaxed at temperature 2, mixed 0.3 / 0.7, shrunk to uniform by IDF mass / 10; rounded
    to four places."""
    assert _router().rank(text) == expected


def test_rank_limit_and_route_floor() -> None:
    router = _router()
    assert router.rank("Cúp điện, đèn đường hư", limit=1) == [Route("DIEN", 0.7057)]
    assert router.route("Nước máy yếu, đèn đường hư") == "NUOC"
    router.floor = 0.6  # below it, a human decides
    assert router.route("Cúp điện, đèn đường hư") == "DIEN"
    assert router.route("Nước máy yếu, đèn đường hư") is None
    assert Router().rank("Cúp điện") == []
