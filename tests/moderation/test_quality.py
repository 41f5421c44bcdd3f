"""Quality floors: the dev sets in tests/data as the mean over random splits / shuffled orders (the
targets of issue 14), and the fresh-phrasing files at the floors measured once, before any tuning on
them (see tests/data/README.md; a held-out evaluation uses other questions)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from moderation import DuplicateIndex, Router, match_check
from moderation.duplicates import StreamClusters, similarity
from moderation.evaluate import dedup_orders, dedup_stream, route_addressed, route_eval, route_splits
from moderation.mentions import ADDRESSED, ALTERNATIVE, PLAIN, MentionFinder

DATA = Path(__file__).resolve().parent.parent / "data"
ROOT = DATA.parent.parent


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _catalogue() -> list[dict]:
    path = ROOT / "qa_app" / "data" / "departments.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_dedup_dev_mean_over_shuffled_orders() -> None:
    """Suggestions recall@5 >= 0.95, automatic merges precision >= 0.98 with recall >= 0.40, as the
    mean over 10 shuffled orders of the stream (dev, 2026-12: 0.970 / 0.989 / 0.433)."""
    recall5, precision, recall = dedup_orders(_jsonl("dedup-dev.jsonl"), runs=10, seed=1)
    assert recall5.mean >= 0.95
    assert precision.mean >= 0.98
    assert recall.mean >= 0.40
    once = dedup_stream(_jsonl("dedup-dev.jsonl"))  # file order
    assert once.recall_at_5 >= 0.95 and once.precision >= 0.98 and once.recall >= 0.40


def test_dedup_fresh_floors() -> None:
    """Measured once before any tuning on them (file order 0.978 / 0.860 / 0.569; 10 orders
    0.991 / 0.872 / 0.525): clusters that differ by an opposing qualifier."""
    items = _jsonl("dedup-fresh.jsonl")
    recall5, precision, recall = dedup_orders(items, runs=10, seed=1)
    assert recall5.mean >= 0.96
    assert precision.mean >= 0.85
    assert recall.mean >= 0.50
    once = dedup_stream(items)
    assert once.recall_at_5 >= 0.96 and once.precision >= 0.84 and once.recall >= 0.54


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Đăng ký khai sinh cho con mất bao lâu thì có?", "Đăng ký khai sinh cho con cần những giấy tờ gì?"),
        ("Học phí lớp 1 năm học 2025 là bao nhiêu?", "Học phí lớp 1 năm học 2026 là bao nhiêu?"),
        ("Xe buýt số 99 chạy thưa quá, đề nghị tăng chuyến", "Xe buýt số 150 chạy thưa quá, đề nghị tăng chuyến"),
        ("Hẻm ở phường Tân Định ngập nặng khi mưa", "Hẻm ở phường Bàn Cờ ngập nặng khi mưa"),
        ("Phí đổi giấy phép lái xe là 135 nghìn đúng không?", "Phí đổi giấy phép lái xe là 200 nghìn đúng không?"),
        ("Xã Củ Chi có được hỗ trợ tiền điện không", "Xã Cần Giờ có được hỗ trợ tiền điện không"),
        # the same street in two wards, two streets in one ward
        (
            "Bãi rác đầu hẻm đường Nguyễn Duy Trinh, phường Tam Thắng bốc mùi hôi",
            "Bãi rác đầu hẻm đường Nguyễn Duy Trinh, phường Phú Mỹ bốc mùi hôi",
        ),
        (
            "Vỉa hè đường Kinh Dương Vương, phường An Lạc bị lấn chiếm để bán hàng",
            "Vỉa hè đường Âu Cơ, phường An Lạc bị lấn chiếm để bán hàng",
        ),
        ("Dự án trên đường Âu Cơ ở phường Gò Vấp bị treo", "Dự án trên đường Âu Cơ ở phường Bảy Hiền bị treo"),
        # opposing qualifiers, one pair per class
        ("Học phí trường công lập năm nay có được miễn không?", "Học phí trường tư thục năm nay có được miễn không?"),
        (
            "Học phí trường công lập năm nay có được miễn không?",
            "Học phí trường ngoài công lập năm nay được miễn không?",
        ),
        ("Chủ nhà cho thuê phòng có phải khai báo tạm trú không?", "Người thuê phòng có phải khai báo tạm trú không?"),
        ("Xin cấp lại sổ đỏ cần giấy tờ gì?", "Xin cấp đổi sổ đỏ cần giấy tờ gì?"),
        ("Cấp sổ đỏ lần đầu cần giấy tờ gì?", "Xin cấp lại sổ đỏ cần giấy tờ gì?"),
        ("Đổi giấy phép lái xe nước ngoài cần giấy tờ gì?", "Đổi giấy phép lái xe trong nước cần giấy tờ gì?"),
        ("Cá nhân cho thuê xe tự lái nộp thuế gì?", "Doanh nghiệp cho thuê xe tự lái nộp thuế gì?"),
        ("Đăng ký thường trú cần giấy tờ gì?", "Đăng ký tạm trú cần giấy tờ gì?"),
        ("Tách thửa đất ở tối thiểu bao nhiêu mét vuông?", "Tách thửa đất nông nghiệp tối thiểu bao nhiêu mét vuông?"),
        ("Bán xe máy cũ thì người bán làm thủ tục gì?", "Mua xe máy cũ thì người mua làm thủ tục gì?"),
        ("Điều kiện thuê nhà ở xã hội là gì?", "Điều kiện mua nhà ở xã hội là gì?"),
    ],
)
def test_hard_negatives_do_not_merge(a: str, b: str) -> None:
    index = DuplicateIndex()
    index.add(1, a)
    found = index.candidates(b)
    assert not found or found[0].score < index.auto_merge_threshold
    assert similarity(a, b) < index.auto_merge_threshold


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # one side names both values of the class, or the other names none: the same question
        ("Tuyển sinh lớp 6 xét theo thường trú hay tạm trú?", "Tuyển sinh lớp 6 xét theo tạm trú phải không?"),
        ("Học phí trường công lập năm nay có được miễn không?", "Học phí năm nay có được miễn không ạ?"),
        # a landlord who imposes something on the asker: a tenant's question
        ("Chủ trọ bắt tôi tự đi đăng ký tạm trú, cần giấy gì?", "Người thuê trọ tự đi đăng ký tạm trú cần giấy gì?"),
        # "mua bán" is a trade, neither side
        ("Công chứng hợp đồng mua bán nhà phí bao nhiêu?", "Phí công chứng hợp đồng mua bán nhà là bao nhiêu?"),
    ],
)
def test_qualifiers_that_do_not_oppose(a: str, b: str) -> None:
    assert similarity(a, b) >= DuplicateIndex().auto_merge_threshold


def test_chain_joins_only_when_close_to_every_member() -> None:
    """B is close to A, C to B, but C is far from A: C must not join A's cluster through B (a
    drifting chain: bus frequency → workers after the shift → a new route)."""
    a = "Xe buýt buổi tối thưa chuyến, chờ cả tiếng không có xe"
    b = "Xe buýt buổi tối thưa chuyến, công nhân tan ca không có xe về"
    c = "Công nhân tan ca buổi tối không có xe về, đề nghị mở thêm tuyến"
    assert min(similarity(a, b), similarity(b, c)) >= 58 > similarity(a, c)
    clusters = StreamClusters()
    assert clusters.add("a", a)[0] == "a"
    assert clusters.add("b", b)[0] == "a"
    cluster, found = clusters.add("c", c)
    assert found[0].key == "b" and found[0].score >= clusters.index.auto_merge_threshold
    assert cluster == "c"


def test_cli_cluster_has_the_chain_guard(tmp_path: Path) -> None:
    """``python -m moderation cluster`` merges as the evaluation does: public school fees, fees, private
    school fees make two clusters, not one chain."""
    texts = [
        "Học phí trường công lập năm nay có được miễn không?",
        "Học phí năm nay có được miễn không?",
        "Học phí trường tư thục năm nay có được miễn không?",
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts)))
    out = subprocess.run(
        [sys.executable, "-m", "moderation", "cluster", "--input", str(src)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    clusters = [json.loads(line)["cluster"] for line in out.splitlines()]
    assert clusters[1] == clusters[0] and clusters[2] != clusters[0]


def test_variants_merge_and_remove() -> None:
    index = DuplicateIndex()
    index.add(1, "Đăng ký tạm trú cần những giấy tờ gì?")
    index.add(2, "Xe buýt 99 chạy thưa")
    found = index.candidates("Xin chào chương trình. dang ky tam tru can nhung giay to gi? SĐT 0903123456")
    assert found[0].key == 1 and found[0].score >= index.auto_merge_threshold
    assert 1 in index and len(index) == 2
    index.remove(1)
    assert 1 not in index and len(index) == 1
    assert all(m.key != 1 for m in index.candidates("Đăng ký tạm trú cần những giấy tờ gì?"))
    assert index.candidates("Xe buýt 99 chạy thưa", exclude=[2]) == []


def test_filler_phrases() -> None:
    index = DuplicateIndex()
    index.add(1, "Chủ đề tháng này về nhà ở: chung cư cũ xuống cấp khi nào sửa?")
    before = index.candidates("Chủ đề tháng này về nhà ở: đèn đường hư ai sửa?")
    index.set_filler_phrases(["chủ đề tháng này về nhà ở"])
    after = index.candidates("Chủ đề tháng này về nhà ở: đèn đường hư ai sửa?")
    assert (after[0].score if after else 0) < (before[0].score if before else 0)


def test_routing_dev_mean_over_random_splits() -> None:
    """Top-1 >= 0.80 and top-3 >= 0.93 as the mean over 10 random 50/50 history/test splits
    (dev, 2026-12: 0.940 / 0.997)."""
    top1, top3 = route_splits(_catalogue(), _jsonl("routing-dev.jsonl"), runs=10, seed=1)
    assert top1.mean >= 0.80 and top3.mean >= 0.93
    assert top1.low >= 0.75


def test_routing_catalogue_only() -> None:
    """What a new city or episode gets: no routing history (dev, 2026-12: 0.910 / 0.985)."""
    figures = route_eval(_catalogue(), [], _jsonl("routing-dev.jsonl"))
    assert figures.top1 >= 0.85 and figures.top3 >= 0.95


def test_routing_fresh_floors() -> None:
    """Measured once before any tuning on them: the dev file as history 0.866 / 0.963, catalogue only
    0.841 / 0.970 (before this work: 0.659 / 0.823 and 0.524 / 0.793)."""
    fresh = _jsonl("routing-fresh.jsonl")
    with_history = route_eval(_catalogue(), _jsonl("routing-dev.jsonl"), fresh)
    assert with_history.top1 >= 0.84 and with_history.top3 >= 0.94
    alone = route_eval(_catalogue(), [], fresh)
    assert alone.top1 >= 0.82 and alone.top3 >= 0.95


def test_routing_addressed_both_ways() -> None:
    """A greeting that names a body helps when it is right and costs little when it is wrong (dev,
    10 splits, 2026-12: as written 0.936; right 0.964; the runner-up 0.878; a random body 0.927)."""
    figures = route_addressed(_catalogue(), _jsonl("routing-dev.jsonl"), runs=10, seed=1)
    assert figures.right.mean >= figures.as_written.mean + 0.02
    assert figures.right.mean >= 0.95
    assert figures.runner_up.mean >= 0.85
    assert figures.random_wrong.mean >= 0.90


@pytest.mark.parametrize(
    ("text", "code"),
    [
        # old names of bodies merged in 2025 and abbreviations, addressed
        ("Kính gửi Sở GTVT, cây cầu bắc qua kênh đã mục, khi nào sửa?", "so-xay-dung"),
        ("Đề nghị Sở TN-MT kiểm tra giúp", "so-nong-nghiep-moi-truong"),
        ("Kính gửi quý lãnh đạo Sở LĐTBXH, công ty cho tôi nghỉ việc không báo trước", "so-noi-vu"),
        ("Kính gửi Sở KH&ĐT: mở công ty thì sao?", "so-tai-chinh"),
        ("Kính gửi lãnh đạo Sở Y tế. Trong xóm có nhiều người bị sốt", "so-y-te"),
        ("Kính gửi Thuế TP, tôi hỏi chút", "thue-tp"),
    ],
)
def test_addressed_body_routes_there(text: str, code: str) -> None:
    router = Router.from_catalogue(_catalogue())
    assert router.rank(text, limit=1)[0].code == code


def test_mentions() -> None:
    finder = MentionFinder.from_catalogue(_catalogue())

    def found(text: str) -> list[tuple[list[str], str]]:
        return [(sorted(m.codes), m.kind) for m in finder.find(text)]

    # spellings of one abbreviation are one name; the city's name is not needed
    for text in ("Kính gửi Sở TN&MT,", "Kính gửi Sở TN-MT,", "Kính gửi Sở TNMT,", "kinh gui so tai nguyen moi truong"):
        assert found(text) == [(["so-nong-nghiep-moi-truong"], ADDRESSED)], text
    # one side of a choice; named in passing
    assert found("nộp ở phường hay ở Sở Xây dựng?") == [(["so-xay-dung"], ALTERNATIVE)]
    assert found("gọi công an phường mà không thấy xử lý") == [(["cong-an-tp"], PLAIN)]
    # an old name now shared by two bodies
    assert found("Kính gửi Sở Lao động - Thương binh và Xã hội") == [(["so-noi-vu", "so-y-te"], ADDRESSED)]
    # a one-word name counts only when addressed ("đóng thuế" names no body)
    assert found("Kính gửi Thuế TP") == [(["thue-tp"], ADDRESSED)]
    assert found("sang tên sổ đỏ phải đóng thuế gì") == []


def test_route_needs_a_human_without_evidence() -> None:
    router = Router.from_catalogue(_catalogue())
    assert router.route("Xin chào chương trình, cảm ơn nhiều!") is None
    assert router.route("Làm lại thẻ căn cước bị mất ở đâu?") == "cong-an-tp"
    router.learn("Đèn đường trong hẻm bị hư", "so-xay-dung")
    ranked = router.rank("Đèn đường trong hẻm bị hư", limit=20)
    assert ranked[0].code == "so-xay-dung" and abs(sum(r.confidence for r in ranked) - 1) < 0.01


def test_match_check() -> None:
    q = "Đăng ký tạm trú cần những giấy tờ gì?"
    good = match_check(q, "Để đăng ký tạm trú, người dân chuẩn bị tờ khai và giấy tờ chứng minh chỗ ở hợp pháp.")
    bad = match_check(q, "Về lịch cúp điện, đề nghị liên hệ điện lực khu vực.")
    assert good.ok and good.score > bad.score
    assert not bad.ok and bad.missing_terms


def test_cli_cluster_and_route(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False)
            for i, t in enumerate(
                ["Đăng ký tạm trú cần giấy tờ gì?", "dang ky tam tru can giay to gi", "Xe buýt 99 thưa chuyến"]
            )
        )
        + "\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "moderation", "cluster", "--input", str(src)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout.splitlines()
    rows = [json.loads(line) for line in out]
    assert [r["id"] for r in rows] == [0, 1, 2]
    assert rows[0]["suggestions"] == [] and rows[1]["cluster"] == 0 and rows[2]["cluster"] == 2
    assert all(isinstance(s, list) and len(s) == 2 for r in rows for s in r["suggestions"])
    deps = ROOT / "qa_app" / "data" / "departments.json"
    out = subprocess.run(
        [sys.executable, "-m", "moderation", "route", "--departments", str(deps), "--input", str(src)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3 and all(len(r["ranked"]) == 3 for r in rows)
    assert all(r["department"] is None or isinstance(r["department"], str) for r in rows)


def test_pruned_scoring_equals_full_scoring() -> None:
    from moderation.__main__ import synthetic_questions

    texts = synthetic_questions(60, seed=3)
    index = DuplicateIndex(suggest_threshold=0)
    for i, t in enumerate(texts[:50]):
        index.add(i, t)
    for q in texts[50:]:
        prep = index.prepare(q)
        full = sorted((round(s, 2) for s, _ in index._score_ids(prep, range(50))), reverse=True)[:5]
        assert [m.score for m in index.candidates(q, limit=5)] == full


def test_many_removals_compact() -> None:
    index = DuplicateIndex()
    for i in range(1500):
        index.add(i, f"Xe buýt số {i} chạy thưa quá")
    for i in range(1400):
        index.remove(i)
    index.add("a", "Đăng ký tạm trú cần giấy tờ gì?")
    assert len(index) == 101 and index._stale < 1000  # compacted once on the way
    assert index.candidates("dang ky tam tru can giay to gi")[0].key == "a"
    assert all(m.key >= 1400 for m in index.candidates("Xe buýt số 1450 chạy thưa quá") if m.key != "a")


def test_prepared_query_then_add_and_rekey() -> None:
    index = DuplicateIndex()
    index.add(1, "Xe buýt 99 chạy thưa")
    prepared = index.prepare("Đăng ký tạm trú cần những giấy tờ gì?")
    assert index.candidates(prepared) == []
    # indexed under a provisional key with the query's preparation, then given its real key
    index.add(-1, "Đăng ký tạm trú cần những giấy tờ gì?", prepared)
    assert index.candidates("dang ky tam tru can giay to gi")[0].key == -1
    index.rekey(-1, 7)
    assert -1 not in index and 7 in index and len(index) == 2
    found = index.candidates("dang ky tam tru can giay to gi")
    assert found[0].key == 7 and found[0].score >= index.auto_merge_threshold
    with pytest.raises(KeyError):
        index.rekey(7, 1)  # taken
    with pytest.raises(KeyError):
        index.rekey(-1, 8)  # absent
    index.remove(7)
    assert index.candidates("dang ky tam tru can giay to gi") == []


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("Dự án trên đường Âu Cơ ở phường Gò Vấp bị treo", {"duong au co", "go vap"}),
        ("Hẻm đường Kinh Dương Vương thuộc phường Tân Tạo", {"duong kinh duong vuong", "tan tao"}),
        ("Phường 12, quận Gò Vấp", {"phuong 12", "go vap"}),
        # words that start like a place prefix but are not places
        ("Nhà ở xã hội, phương tiện công cộng, cơ quan nào quan tâm?", set()),
        # a name does not run over a full stop
        ("Người đi bộ phải xuống lòng đường. Chính quyền địa phương xử lý ra sao?", set()),
    ],
)
def test_place_names(text: str, places: set[str]) -> None:
    from moderation.duplicates import prepare

    assert prepare(text).places == places


def test_routing_features_leave_out_places() -> None:
    """Where the asker lives says nothing of which body answers ("xã Cần Giờ" gave "giờ", "xã")."""
    from moderation.routing import features

    assert features("Khu tôi ở xã Cần Giờ sóng điện thoại chập chờn") == features("Khu tôi sóng điện thoại chập chờn")
    assert features("Sóng điện thoại chập chờn ở xã Cần Giờ") == features("Sóng điện thoại chập chờn")
    assert "le loi" in features("UBND phường 12, đường Lê Lợi")  # a street name stays: it may be the topic


def test_cli_evaluate(tmp_path: Path) -> None:
    routing = tmp_path / "r.jsonl"
    routing.write_text(
        "".join(
            json.dumps({"id": i, "text": t, "department": d}, ensure_ascii=False) + "\n"
            for i, (t, d) in enumerate(
                [
                    ("Làm lại thẻ căn cước bị mất ở đâu?", "cong-an-tp"),
                    ("Đăng ký tạm trú cần giấy tờ gì?", "cong-an-tp"),
                    ("Xe buýt số 99 thưa chuyến", "so-xay-dung"),
                    ("Đường ngập khi mưa", "so-xay-dung"),
                ]
            )
        )
    )
    dedup = tmp_path / "d.jsonl"
    dedup.write_text(
        "".join(
            json.dumps({"id": i, "text": t, "cluster": c}, ensure_ascii=False) + "\n"
            for i, (t, c) in enumerate(
                [
                    ("Đăng ký tạm trú cần giấy tờ gì?", "a"),
                    ("dang ky tam tru can giay to gi", "a"),
                    ("Xe buýt thưa", "b"),
                ]
            )
        )
    )
    deps = ROOT / "qa_app" / "data" / "departments.json"
    args = ["--departments", str(deps), "--routing", str(routing), "--dedup", str(dedup)]
    out = subprocess.run(
        [sys.executable, "-m", "moderation", "evaluate", *args, "--held-out-routing", str(routing), "--runs", "2"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    assert "2 random 50/50 history/test splits: top-1" in out and "catalogue only" in out
    assert "suggestions recall@5 1.000" in out and "2 shuffled orders" in out
