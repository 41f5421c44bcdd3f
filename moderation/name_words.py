"""The words Vietnamese names and their surroundings are made of, for :mod:`moderation.names`.

Accented lists compare with a word as :func:`moderation.syllables.normalize` writes it (lower case, one
tone style); the ``FOLDED_`` twins serve texts typed without marks, where "minh" may be "mình" or "Minh".
Known place names come from ``data/``: ``streets.txt`` (streets and landmarks named after people),
``regions.txt`` (provinces, cities, countries), ``places.txt`` (wards and communes).
"""

from __future__ import annotations

from importlib import resources

from .syllables import fold_char_table

_FOLD = fold_char_table()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _load(name: str) -> frozenset[str]:
    data = resources.files("moderation").joinpath(f"data/{name}").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in data.splitlines() if line.strip() and not line.startswith("#"))


# Family names, accented (lower case): compared on the accented word so that "Khổng" is a family name and
# "không" is not; unaccented words compare with the folded set.
SURNAMES = _words(
    "nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh đoàn lâm mai trương tô "
    "châu cao lưu tạ thái trịnh quách hà la lương kiều tăng triệu từ vương phùng đào chu giang mạc tống "
    "hứa thân kim diệp ninh khúc nghiêm quan âu đàm thạch lại lữ lư mẫn văn tiêu ông sơn thẩm cù cung "
    "ưng yên hầu khổng bạch doãn lục viên tôn nông hoa lò mã mạch lăng phó kha khưu khương lã lạc đường "
    "cát chương công cổ danh đồng đới giáp hàn hạ hồng khuất liêu luân mông ngọ nhan phí phương quang "
    "quản sầm tất thiều thi thiệu tiết trác trầm trình ứng vi xa chế chiêm diêm điền đống đổng hán ma "
    "ngư nhữ phù tào thang tòng vưu uông vòng ngụy lỗ du dư bế bồ cái cam cầm cấn đàng đậu hàng "
    "lê kiều lộ nhâm ôn phó quảng thạch thôi tưởng vi ân"
)
FOLDED_SURNAMES = frozenset(
    "nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dinh doan lam mai truong to chau "
    "cao luu ta thai trinh quach ha la luong kieu tang trieu tu vuong phung dao chu giang mac tong hua than "
    "kim diep ninh khuc nghiem quan au dam thach lai lu man tieu ong son tham cu cung ung yen hau bach lo "
    "luc vien ton nong hoa ma mach lang pho kha khuu khuong lac cat chuong danh dong doi giap han khuat lieu "
    "nhan phi phuong quang quan sam tat thieu thi thieu tiet trac tram trinh xa che chiem diem dien ngu nhu".split()
)
# Second syllables that make a capitalised pair read as a full name ("Nguyễn Văn", "Trần Thị").
MIDDLE_NAMES = _words("văn thị hữu nữ đức công quốc bá tấn trọng đình thế")
FOLDED_MIDDLE = frozenset("van thi huu nu duc quoc ba tan trong dinh".split())
# Given-name syllables: only for lower-case names after a strong cue ("mình là thu trang ở …").
GIVEN_NAMES = _words(
    "an anh bảo bích bình cường chi châu cúc diễm diệp dung dũng duy duyên dương đạt điệp đông giang hà hải "
    "hạnh hằng hân hậu hiền hiếu hiệp hòa hoa hoài hoàng hồng huệ hùng hưng hương hường huy huyền khang "
    "khánh khoa khôi kiên kiệt kim lan lâm lệ liên liễu linh loan lộc long lợi ly mai mạnh my mỹ nga ngân "
    "nghĩa ngọc nguyên nguyệt nhàn nhật nhi nhung như oanh phát phong phúc phụng phương phượng quân quang "
    "quyên quỳnh sang sơn tài thảo thắng thịnh thoa thu thủy thúy thư thương tiến tín toàn trang trâm trân "
    "trí trinh trúc tú tuấn tùng tuyết uyên vân việt vinh vy xuân yến tuyền hạ khuê ngà thơ lụa"
)
FOLDED_GIVEN = frozenset(
    "anh bao bich cuong diem dung duyen dat diep hang han hien hieu hiep hoai hong hue hung huong huyen khang "
    "khanh khoa khoi kien kiet lan lien lieu linh loan loc loi ly my nga ngan nghia ngoc nguyet nhan nhat nhi "
    "nhung oanh phat phong phuc phung phuong quyen quynh thao thang thinh thoa thuy thu thuong tien toan trang "
    "tram tran trinh truc tuan tung tuyet uyen van vinh vy xuan yen tuyen khue nga tho lua".split()
)
NAME_SYLLABLES = GIVEN_NAMES | _words(
    "minh thanh ngọc hoàng kim thu xuân anh bảo gia quang mỹ thành nhật khánh hải huy tuấn phương hồng thúy "
    "lệ diệu như duy đăng chí mạnh trung tiến phước phúc vĩnh thùy cẩm bích hoài tú tường tất nhựt thái kiều "
    "ánh thiên quý trâm khải"
)
FOLDED_NAME_SYLLABLES = FOLDED_GIVEN | frozenset(
    "van thi huu nu duc cong quoc ba tan trong dinh the minh thanh ngoc hoang kim thu xuan anh bao gia quang "
    "thanh nhat khanh hai huy tuan phuong hong thuy le dieu nhu duy dang chi manh trung tien phuoc phuc vinh "
    "cam bich hoai tu tuong tat nhut thai kieu thien quy khai ha son tam tai an binh chau".split()
)
# Birth-order nicknames of the South: "bà Sáu Mai", "ông Tư", "chị Út".
ORDER_WORDS = _words("hai ba tư năm sáu bảy tám chín mười út")
# Kinship and address terms (accented, lower case) that introduce a person's name.
KIN = _words("ông bà anh chị cô chú bác dì cậu mợ thím dượng em cháu bé cụ thầy bạn")
KIN_ASCII = frozenset("ong anh chi chu bac em chau cu thay ban".split())
# after "là" / "tên" an unaccented "ba", "co", "di" is "bà", "cô", "dì"
KIN_AFTER_CUE = KIN_ASCII | frozenset("ba co di cau mo be".split())

# Words that head a place or an institution: a capitalised sequence right after one is its name. Compared
# accented ("Quận" heads, "Quan" is a family name); unaccented words compare folded, in lower case only.
PLACE_HEADS = _words(
    "đường phố hẻm ngõ ngách kiệt phường xã quận huyện tỉnh ấp khu tổ chợ cầu trường viện chùa miếu bến "
    "ga cảng kênh rạch sông làng tháp đảo núi vườn xóm trạm lô sở ban phòng ngành cục đội quốc tỉnh lộ "
    "đại lộ metro tuyến"
)
FOLDED_HEADS = frozenset(
    "duong pho hem ngo ngach kiet hxh phuong xa quan huyen tinh ap khu to cho cau truong vien chua mieu ben ga "
    "cang kenh rach song lang thap dao nui vuon xom tram so ban phong nganh cuc doi metro tuyen".split()
)
# Acronyms that head an institution or a place ("UBND phường", "THCS Nguyễn Du").
ACRONYM_HEADS = frozenset("ubnd hdnd ubmttq thcs thpt th mn kcn kcx tp tx tt cty ql tl bv dh cd so".split())
# Heads that are also syllables of people's names: they head only when written in lower case.
NAME_LIKE_HEADS = frozenset(["đình", "hồ"])
# Heads that end a capitalised run ("Nguyễn Văn Linh Quận 7"): never a syllable of a name.
RUN_BREAKERS = _words("phường quận huyện xã tỉnh ấp đường hẻm ngõ chợ cầu trường bệnh khu sở ủy")
# Compounds whose first or second word looks like a head but names no place (folded).
NOT_HEADS = frozenset(
    [
        "gia dinh",
        "ho so",
        "truong hop",
        "to truong",
        "to pho",
        "xa hoi",
        "cho nen",
        "ban than",
        "ban dem",
        "ban ngay",
        "duong day",
        "duong di",
        "cau cuu",
        "cau hoi",
        "quan ly",
        "quan tam",
        "quan he",
        "quan trong",
        "tinh trang",
        "tinh hinh",
        "phong chong",
        "phong ngua",
        "pho bien",
        "cuc ky",
        "ben canh",
        "ben ngoai",
        "ben trong",
        "so luong",
        "to chuc",
        "doi voi",
        "doi tuong",
        "doi ngu",
        "lang nghe",
        "khu vuc",
    ]
)
# Words after which a person, not a place, is named ("hồ sơ của …", "nhờ …", "cảm ơn …").
PERSON_BEFORE = frozenset("cua nho gui cam on giup voi ten la gap hoi bao".split())
# Two-word heads (folded).
PLACE_HEADS_2 = frozenset(
    [
        "thanh pho",
        "thi xa",
        "thi tran",
        "khu pho",
        "to dan",
        "dan pho",
        "khu dan",
        "benh vien",
        "cong vien",
        "trung tam",
        "chung cu",
        "nha van",
        "van hoa",
        "nha tho",
        "dai hoc",
        "hoc vien",
        "bao tang",
        "hoi truong",
        "nha hat",
        "sieu thi",
        "toa nha",
        "khach san",
        "cao oc",
        "quang truong",
        "vong xoay",
        "nga ba",
        "nga tu",
        "nga sau",
        "nut giao",
        "giao lo",
        "cong ty",
        "doanh nghiep",
        "hop tac",
        "tieu hoc",
        "mam non",
        "mau giao",
        "uy ban",
        "quoc lo",
        "tinh lo",
        "dai lo",
        "xa lo",
        "tuyen duong",
        "duong sach",
        "khu che",
        "che xuat",
        "cong nghiep",
        "san bay",
        "ben xe",
        "nha ga",
        "tram y",
        "y te",
        "cong an",
        "tram xa",
        "nha thieu",
        "thieu nhi",
        "lang nghe",
        "cho dem",
        "pho di",
        "di bo",
        "truong chuyen",
        "pho thong",
        "trung hoc",
        "co so",
        "ky tuc",
        "chi cuc",
        "thanh tra",
        "ban quan",
        "to chuc",
        "hoi dong",
        "mat tran",
        "khu vuc",
        "khu do",
        "do thi",
        "tru so",
        "van phong",
        "nha may",
        "xi nghiep",
        "ngan hang",
        "buu dien",
        "nha xuat",
        "tap doan",
        "dai su",
        "lanh su",
        "cua hang",
        "ho boi",
        "san van",
        "nha thi",
        "ky niem",
        "di tich",
        "lang mo",
        "nghia trang",
        "cang hang",
        "bai bien",
        "bai xe",
    ]
)
# Titles of public offices: the name after them is a public figure's ("Chủ tịch UBND phường Nguyễn Văn A").
TITLES = frozenset(
    [
        "chu tich",
        "giam doc",
        "bi thu",
        "bo truong",
        "thu truong",
        "thu tuong",
        "dai bieu",
        "truong ban",
        "chanh van",
        "chanh thanh",
        "tong giam",
        "tong bi",
        "dai tuong",
        "thuong tuong",
        "trung tuong",
        "thieu tuong",
        "dai ta",
        "truong phong",
        "truong cong",
        "pho chu",
        "pho giam",
        "pho bi",
        "dong chi",
        "nha tho",
        "nha van",
        "nhac si",
        "hoa si",
        "anh hung",
        "liet si",
        "danh nhan",
    ]
)
# Capitalised words that begin a title or a noun, not a name ("tôi là Chủ tịch …", "em là Sinh viên …").
# Accented ("mình" is not a name, "Minh" is); the folded set serves unaccented words.
NOT_GIVEN = _words(
    "chủ phó giám trưởng đảng bí cựu hội tổ cán giáo sinh người kỹ bác đại ủy đoàn học quản ban tổng trợ hộ ông "
    "bà cô chị em cháu con tôi mình xin kính cảm trân mong chào dạ vâng thưa sở phường xã đường hẻm chợ cầu "
    "bệnh trạm mẹ cha bố vợ chồng công nhân thành viên"
)
FOLDED_NOT_GIVEN = frozenset(
    "chu pho giam truong dang bi cuu hoi to can giao sinh nguoi ky bac dai uy doan hoc quan ban tong tro ho ong "
    "ba co chi em chau con toi minh xin kinh cam tran mong chao da vang thua so phuong xa duong hem cho cau "
    "benh tram me cha bo vo chong cong".split()
)


# Words that end a lower-case name and may follow a one-word name ("Mình là Lan, bán …", "bà Lụa ở …").
# Accented ("thì" ends a name, "Thị" does not); the folded set serves unaccented words.
STOP_AFTER = _words(
    "ở nhà số sinh năm nay hiện đang là tại từ có muốn xin hỏi đây ạ nha nhé bán làm học với và cũng thì mà "
    "bị đã sẽ cần rất không chưa điện sđt đt zalo gọi liên email mail tuổi con vợ chồng mẹ cha bố ông đi đến "
    "về trên dưới trước sau gần kế bên hàng phường xã quận đường hẻm khu tổ ấp chợ nè ơi há ngụ"
)
FOLDED_STOP_AFTER = frozenset(
    "o nha so sinh nam nay hien dang la tai tu co muon xin hoi day a nhe ban lam hoc voi va cung thi ma "
    "bi da se can rat khong chua dien sdt dt zalo goi lien email mail tuoi con vo chong me cha bo ong "
    "di den ve tren duoi truoc sau gan ke ben hang phuong xa quan duong hem khu to ap cho ne oi ngu".split()
)


# Known place names, accented (as ``normalize`` writes them) and folded (for unaccented texts): accents
# keep "Nguyễn Văn Bá" (a street) apart from "Nguyễn Văn Ba" (a person).
STREETS = _load("streets.txt")  # named after people: still name-like to a reader
REGIONS = _load("regions.txt")  # provinces, countries: never a person
FOLDED_STREETS = frozenset(name.translate(_FOLD) for name in STREETS)
FOLDED_REGIONS = frozenset(name.translate(_FOLD) for name in REGIONS)
PLACES = _load("places.txt")  # wards and communes, folded
