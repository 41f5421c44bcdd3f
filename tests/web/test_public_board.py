"""The public board on a phone: ten answers a page, "Xem thêm" brings the next ten in place; a search
that finds nothing says so (not "no answer published yet")."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from qa_app.events import RecordingPublisher
from qa_app.models import Question, QuestionStatus
from qa_app.services import intake
from qa_app.services.engines import ModerationEngines
from qa_app.timeutil import utcnow
from tests.factories import make_episode

TEXTS = [
    "Vỉa hè đường Lê Lợi bị quán cà phê lấn chiếm hết, người đi bộ phải xuống lòng đường.",
    "Đèn chiếu sáng trên cầu Thủ Thiêm tắt cả tuần, ban đêm rất tối.",
    "Cống thoát nước hẻm 20 Nguyễn Trãi tắc nghẽn, mùi hôi bốc lên nồng nặc.",
    "Bãi rác tự phát cạnh chợ Bà Chiểu chưa ai dọn, ruồi muỗi nhiều.",
    "Cây dầu lớn trước trường tiểu học nghiêng hẳn, sợ ngã vào học sinh.",
    "Công trình cao tầng gần nhà tôi đổ bê tông lúc hai giờ sáng, ồn không ngủ được.",
    "Xe ben chở đất chạy giờ cấm qua Phạm Văn Đồng làm rơi vãi khắp mặt đường.",
    "Trạm y tế phường thiếu thuốc huyết áp cho người cao tuổi có thẻ bảo hiểm.",
    "Học phí lớp mầm non công lập năm nay tăng gần gấp đôi, phụ huynh lo lắng.",
    "Hồ sơ xin cấp phép sửa nhà nộp ba tháng vẫn chưa có kết quả.",
    "Nước sinh hoạt khu tái định cư Bình Khánh có màu vàng và cặn.",
    "Ngã tư Hàng Xanh kẹt cứng mỗi chiều, đèn tín hiệu cần điều chỉnh thời gian.",
    "Chung cư cũ trên đường Tôn Thất Đạm có dấu hiệu nứt tường, khi nào di dời?",
    "Xin hỏi thủ tục đổi giấy phép lái xe quá hạn có làm trực tuyến được không?",
    "Bến xe buýt Sài Gòn không có mái che, mưa nắng hành khách rất khổ.",
    "Kênh Nhiêu Lộc đoạn gần cầu Lê Văn Sỹ lại có rác trôi nổi dày đặc.",
    "Người khuyết tật muốn nhận trợ cấp hằng tháng cần chuẩn bị giấy tờ gì?",
    "Sân chơi thiếu nhi trong công viên Gia Định hư hỏng, thiết bị gỉ sét.",
    "Đường dây điện trung thế võng thấp sát mái nhà dân ở Thạnh Lộc.",
    "Xin hỏi khi nào tuyến metro số hai được khởi công trở lại?",
    "Chó thả rông ở khu dân cư Trung Sơn cắn người mà chưa bị xử phạt.",
    "Giá vé tham quan Thảo Cầm Viên có miễn giảm cho người cao tuổi không?",
    "Trường trung học cơ sở phường tôi thiếu phòng học, học sinh phải học ca ba.",
]


def flat(page: str) -> str:
    return " ".join(page.split())


def answers_in(page: str) -> list[str]:
    return re.findall(r'<article class="public-answer" id="public-answer-(\d+)"', page)


async def test_board_pages_by_ten_with_see_more(client: AsyncTestClient[Litestar], db: Any) -> None:
    episode = await make_episode(db, title="Kỳ nhiều câu trả lời", slug="ky-nhieu")
    for number, text in enumerate(TEXTS):
        form = intake.SubmissionForm(text=text, idempotency_key=f"board-{number}")
        result = await intake.submit(db, ModerationEngines(), RecordingPublisher(), episode, form)
        question = await db.get(Question, result.question_id)
        question.status = QuestionStatus.ANSWERED_ON_AIR
        question.answered_at = utcnow()
    await db.commit()

    first = flat((await client.get("/truc-tiep/ky-nhieu")).text)
    assert len(answers_in(first)) == 10
    assert "Xem thêm (còn 13 câu trả lời)" in first and 'href="?q=&department=&page=2"' in first
    more = {"HX-Request": "true", "HX-Target": "answers-more"}
    second = flat((await client.get("/truc-tiep/ky-nhieu?page=2", headers=more)).text)
    assert "<html" not in second and "<h1" not in second  # only the next answers and the next button
    assert len(answers_in(second)) == 10 and not set(answers_in(second)) & set(answers_in(first))
    assert "Xem thêm (còn 3 câu trả lời)" in second
    third = flat((await client.get("/truc-tiep/ky-nhieu?page=3", headers=more)).text)
    assert len(answers_in(third)) == 3 and "Xem thêm" not in third

    nothing = flat((await client.get("/truc-tiep/ky-nhieu", params={"q": "cầu Kênh Tẻ"})).text)
    assert answers_in(nothing) == [] and "Không tìm thấy kết quả." in nothing
    assert "Chưa có câu trả lời" not in nothing
    await make_episode(db, title="Kỳ mới", slug="ky-moi")
    assert "Chưa có câu trả lời" in (await client.get("/truc-tiep/ky-moi")).text
