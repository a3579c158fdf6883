"""The patterns of classify.emergency, written on canonical text: lower case, no diacritics,
đ -> d, and a word whose diacritics make it something else than an event word renamed with an
"x" suffix ("chạy" -> "chayx"); "cháy" written with its diacritics becomes "chayf". In the
patterns below a bare "chay" also matches "chayf" (see ``expand``)."""

from __future__ import annotations

import re

# Folded words that collide with an event word: with diacritics, only the listed forms keep the
# folded spelling; any other form becomes "<word>x". Without diacritics they stay ambiguous.
AMBIGUOUS = {
    "chay": "cháy", "lua": "lửa", "khoi": "khói", "no": "nổ", "mau": "máu", "dam": "đâm",
    "chem": "chém", "cuop": "cướp", "trom": "trộm", "sung": "súng", "dao": "dao",
    "danh": "đánh", "xiu": "xỉu", "ngat": "ngất ngạt", "giat": "giật", "dang": "đang",
    "cuu": "cứu", "tho": "thở", "boc": "bốc", "lon": "lớn", "cap": "cấp", "tinh": "tỉnh",
    "dap": "đập", "gap": "gấp", "bat": "bất bắt", "tu": "tự tử", "hoc": "hóc", "ket": "kẹt",
    "troi": "trôi", "nga": "ngã", "te": "té", "ban": "bắn", "nup": "núp",
    "roi": "rơi", "choi": "chới", "rach": "rạch", "kiem": "kiếm", "duoi": "đuối đuổi",
}
# "cháy" with its diacritics: certainly burning (the other readings are renamed above).
FIRE_WORD = "chayf"

# Removed before matching: mentions of fire, crime or injury that are not an event.
NOT_EVENTS = [
    r"chay (hang|ve|tui|nang|phong|show|suat|cho ngoi|den|bong|xem|vi)\b",
    r"(binh|tru|voi|he thong|thiet bi|doi|canh sat|luc luong|phuong tien|loi|cong tac|"
    r"bao hiem|diem|xe|so do|dien tap|lop|kiem tra|huong dan) (phong )?(chay )?chua chay",
    r"chua chay", r"(tru|voi|ho|xe) (nuoc )?cuu hoa", r"phong (chong )?chay( no)?",
    r"\bpccc\b", r"bao hiem chay( no)?", r"(mui|nhua|day|khet) (chay )?khet",
    r"mui (nhua |dien |)chay", r"(xet|toe|ban) (tia )?lua\b", r"lua (dao|gat|tien)\b",
    r"(nguy co|nguy hiem|de|co the|lo|so|phong|tranh|chong|neu|lo ma|lo co|ngo|suyt|"
    r"chua) (gay |bi |xay ra |ra |co |thay )?(chay|chay no|no|hoa hoan|dien giat|ngo doc|"
    r"lua|lua khoi)( no)?\b",
    r"chat chem", r"chem (gia|gio|tien|khach)\b", r"(cat co|cuop) (gia|tien khach)\b",
    r"(com|noi|banh|thit|do an|mon|chao|bo nuong) (\w+ ){0,3}chay", r"chay (com|noi|khet)",
    r"danh (ba|bac|de|lo|bai|thue|gia|dau|so|may|rang|giay|bong|cau|tennis|co|thuc)\b",
    r"treo co\b(?! tu tu)", r"(ban|banx|mua|rao banx?|tang tru) (\w+ ){0,2}(sung|dao|vu khi|phao)",
    r"(so|lop|hoc|hocx|khoa|phong|trung tam) (so )?cap cuu", r"cap cuu (24|ngoai gio)",
    r"(?<!nha )\b(ve|suat|show|tour) (\w+ ){0,2}chay\b", r"\bdrowning prevention\b",
    r"\bsung (dien|hoi|nuoc)\b",
    r"\bfire (hydrant|extinguisher|exit|escape|door|truck|engine|station|safety|code|drill|"
    r"inspection|department|brigade|alarm system|lane|hazard|risk|regulation|insurance|"
    r"police|fighters?)s?", r"\b(risk|danger|hazard|chance) of (a )?(fire|explosion)",
    r"\b(is|straight|so|was|are) fire\b", r"\bfire[- ]?(proof|works?)\b", r"\bsold out\b",
    r"\b(sun|rice|food|pot) ?burn", r"\bburn(t|ed)? (out|rice|food|smell)",
    r"\bburning (eyes|smell|sensation|throat|plastic|rubbish|trash|waste|garbage|something)",
    r"\b(eyes|throat|skin|nose) (is |are )?burning", r"\bsmells? (like|of) burning",
    r"\bfired (me|him|her|us|them|from)", r"\bceasefire\b", r"\bfirst aid\b",
    r"\bemergency (department|room|lane|staff|centre|center|patients?|ward|numbers?)",
    r"\b(sidewalk|pavement|road|wall|ceiling|roof|bridge|drain|tree|house) (has )?collapsed",
    r"\b(could|will|might|may|would) (\w+ ){0,2}(drown|die|be killed|catch fire)",
    r"\b(if|before|in case|when) (a |there is a |there'?s a |there were a |there is an |"
    r"there'?s an )?(fire|explosion)", r"\bno ?(body|one) (is|was|got) (hurt|injured)",
]
# Place an event in the past, in a question, as a risk or as recurring; they veto an event
# without a present marker next to it.
NOT_NOW = [
    r"(tuan|thang|nam|hom|lan|dot|toi|dem|sang|chieu|bua) (truoc|qua|ngoai|bua)\b",
    r"(tuan|thang|nam) roi\b", r"hom (kia|chu nhat|thu \w+)", r"cach day", r"truoc day",
    r"hoi (thang|tuan|nam|hom)", r"(may|nhieu|cac) (dem|hom|toi|ngay|tuan|thang) (nay|qua)",
    r"da (duoc )?(dap tat|khong che|xu ly xong|chuyen vien|xuat vien|on|qua doi|toi giai quyet)",
    r"khong (phai|con) (la )?(dang|khan cap|cap cuu)", r"khong phai (truong hop )?khan cap",
    r"(thuong xuyen|thuong hay|nhieu lan|tu tap|lang vang|lau lau|thinh thoang|doi khi)",
    r"(toi|dem|ngay|sang|hom|tuan|chieu) nao cung", r"moi (toi|dem|ngay|tuan|khi|sang|chieu)",
    r"\b(hay|thuong) (bi |co |xay ra |)(tai nan|tu tap|chay|danh|cuop|trom)",
    r"(nguy co|de gay|co the|lo so|so rang|\bneu\b|lo nhu|truoc khi|suyt|nghe noi|co lan|"
    r"mot lan|lan do|gan day|dao nay|\bai ma\b|\bhoai\b)",
    r"\b(khi|luc|hoi) (\w+ ){0,2}bi (chay|trom|cuop)\b", r"\b(was|were) turned away\b",
    r"\bhad to\b", r"\b(is|are) going to (crash|die|fall|hit)",
    r"\b(could|might|would|will) (\w+ )?(happen|die|drown|crash|be (killed|hurt))\b",
    r"(xin hoi|cho hoi|muon hoi|hoi (so|lam sao|o dau))", r"chua (co )?(gi|chuyen gi) xay ra",
    r"(chua|khong) (thay|co) (lua|khoi|chay)", r"\b(nam|thang) nay roi", r"\b\d+ (nam|thang) nay",
    r"\blast (week|month|year|night|time|weekend|sunday|monday|tuesday|wednesday|thursday|"
    r"friday|saturday)", r"\byesterday\b", r"\bago\b", r"\bearlier this (week|month|year)",
    r"\b(was|were|has been|have been|had been) (put out|extinguished|taken to|discharged)",
    r"\bnot (an )?(emergency|happening (right )?now|urgent right now|in progress)",
    r"\b(every|each) (night|day|evening|morning|week|weekend|saturday|sunday)",
    r"\b(often|regularly|usually|nearly|almost|sooner or later|eventually|luckily)\b",
    r"\b(risk|hazard|in case|worried|afraid that|waiting to happen|before|heads up)\b",
    r"\b(is|are|was) (fine|ok|okay) now\b", r"\brecovered\b", r"\bnothing (has )?(caught|"
    r"happened|taken)", r"\bno one (was|got) (hurt|hit|injured)", r"\bin the past\b",
    r"\bfor (two|three|\d+|a few|several|many) (days|weeks|months)", r"\bthis (week|month)\b",
    r"\bon and off\b", r"\bwrong (chat|number)|\bsorry\b", r"\b(how do i|is there (a|any))\b",
]
# Next to an event (within ~40 characters) they make it current whatever else the text says.
NOW = [
    r"ngay (bay gio|luc nay|tai day|lap tuc)", r"\bbay gio\b", r"\bhien (gio|tai)\b",
    r"\bcuu (voi|toi|em|tui|nguoi|giup|con|me|ba|ong|ba con|gap)\b", r"\bnhanh (len|giup|di)\b",
    r"\ble len\b", r"\bright now\b", r"\bnow\b", r"\bcurrently\b", r"\bhelp\b", r"\bhurry\b",
    r"\bas we speak\b", r"\bat the moment\b", r"\bimmediately\b",
]
# Anywhere in the text they make a weak event current (unless something vetoes it).
URGENT = [*NOW,
    r"\bdang\b", r"\bhien dang\b", r"\bvua\b", r"\bkhan cap\b",
    r"\b(toi|den|xuong|ra|cuu|lam on|giup) "
    r"(ngay|lien|gap|nhanh)\b", r"\bngay lap tuc\b", r"\bgiup voi\b",
    r"\bmoi (bi|nga|te|roi|uong|xay ra)\b", r"\burgent\b", r"\bjust\b", r"\basap\b",
    r"\bplease (send|come|hurry)", r"\b(is|are) \w+ing\b", r"\bemergency\b",
]
_HOMES = (r"(nha|can ho|chung cu|xuong|kho|nha kho|tiem|quan|tru dien|tram bien ap|"
          r"cong to|karaoke|day tro|phong tro|nha tro|cay xang|tang \d+)")
_PERSON = r"(nguoi|ng|be|chau|cong nhan|tai xe|hanh khach|thanh nien|phu nu|ong gia|ba gia)"
# Count without any marker (unless vetoed): unambiguous descriptions of an event happening.
STRONG = {
    "fire": [
        r"\b(dang|vua|tu nhien|dot nhien) (boc )?chay\b", r"\bboc (chay|lua)\b",
        r"\bchay (lon|du doi|du qua|ngun ngut|rui|lan|ran|rung rung|me|chay)\b",
        rf"\bchay {_HOMES}\b", r"\bchayf (xe|o to|cho)\b",
        rf"\b{_HOMES} (\w+ ){{0,4}}(dang |bi |da |)(boc )?chay "
        r"(roi|lon|dung|ngun ngut|du doi|ran|rui|kia|ne)\b",
        r"\bchayf roi\b", r"\b(dam|damx|vu) chay\b(?! (nam|thang|tuan|hom|lan) (truoc|ngoai))",
        r"\bhoa hoan\b", r"\blua (len|ben|lan|bung|trum|bao trum|ngun ngut|chay lan)\b",
        r"\b(day|bao trum) khoi\b", r"\bkhoi (den )?(day dac|cuon cuon|bao trum)\b",
        r"\b(binh gas|binh ga|tram bien ap) (bi |vua |dang )?(phat )?no\b", r"\bphat no\b",
        r"\bchuong bao chay (keu|reo)",
        r"\b(on fire|catch(ing)? fire|caught fire|in flames|ablaze)\b",
        r"\bburning (down|now|right now|fast)\b", r"\bblaze\b", r"\bfire!",
        r"\b(house|building|shop|apartment|flat|warehouse|market|factory|kitchen|restaurant|"
        r"karaoke|hostel|transformer|big|huge) fire\b",
        r"\bfire (broke out|is spreading|spreading|has broken out)\b",
        r"\b(there'?s|there is) (a )?fire\b", r"\b(see|seeing|saw) (the )?flames\b",
        r"\bflames (through|coming|from|are)\b", r"\bsmoke (is )?(pouring|billowing|filling)",
        r"\bsmoke coming (out of|from) (the |a |an |our |my )?(apartment|house|building|window|"
        r"shop|room|kitchen|roof)",
    ],
    "crime": [
        r"\bdang (co )?(\w+ ){0,2}(cuop|trom|cay cua|pha cua|danh|chem|dam chem|ban nhau)\b",
        r"\b(being) (robbed|mugged|attacked|stabbed|beaten|assaulted|shot|kidnapped|followed)",
        r"\b(robbery|break-in|burglary|fight|brawl|attack) (is )?(in progress|happening|going on)",
        r"\bshots fired\b", r"\b(is|are) breaking into\b", r"\btrying to (kidnap|rob|break)",
        r"\b(dung|cam) sung\b", r"\bban nhau\b", r"\b(dam chem|chem giet|duoi chem)\b",
    ],
    "medical": [
        r"\b(bat|khong|ko|k|chua|hong|khong con) (con )?tinh\b(?! (tien|phi|gia|lai|toan))",
        r"\b(khong|ko) (con )?(phan ung|cu dong|nhuc nhich)\b", r"\bnam (im|bat dong)\b",
        r"\bguc xuong\b", r"\bmat tron (nguoc|trang)\b", r"\b(sui|chay) bot mep\b",
        r"\bco giat\b", r"\b(ngung|khong|ko|chua|het|ngat|kho) (con )?tho\b",
        r"\btho (kho khe|doc|gap|khong noi)\b", r"\bbi hoc\b", r"\bhoc (hat|xuong|do|keo|"
        r"thuc an)\b", r"\b(bi|dang) duoi nuoc\b", r"\b(nhay cau|bi cuon troi|dang troi)\b"
        r"(?! dao)", r"\b(roi|te|nga|rot) (tu|tux|xuong) (tang|lau|cau thang|"
        r"gian giao|mai|tren)\b", r"\bnga cau thang\b", r"\b(uong|nuot) (thuoc ngu|"
        r"thuoc tru sau|thuoc chuot|nham|qua lieu)", r"\bqua lieu\b",
        rf"\b{_PERSON} (\w+ ){{0,2}}bi ket\b", r"\bbi ket (trong|duoi|duoix) (xe|gam|dong)",
        r"\bde (len|trung|bep) (\w+ ){0,2}(nguoi|cong nhan|em|be|chau)", r"\bkeu cuu\b",
        r"\b(chayx|chay|mat|ra) (rat |qua )?(nhieu|dam dia|lenh lang|khong ngung) mau",
        r"\bmau (chayx|chay|ra) (rat |qua )?(nhieu|lenh lang|khong ngung|dam dia)",
        r"\b(goi|can|keu|kiem|cho) (xe )?(cap cuu|cc|115)\b", r"\bxe cc\b", r"\bcall 115\b",
        r"\b(bi )?dien giat\b", r"\bgiat dien\b(?! thoai)", r"\bsoc (nhiet|phan ve|thuoc)\b",
        r"\b(nhieu|hai|ba|\d+) nguoi bi thuong\b", r"\bran (can|doc)\b",
        r"\bbi thuong (nang|nguy kich|rat nang)\b",
        r"\b(unconscious|not breathing|stopped breathing|cardiac arrest|unresponsive|"
        r"convulsing|having a (stroke|seizure|heart attack)|overdosing|choking|drowning|"
        r"electrocuted|foaming at the mouth)\b", r"\b(he|she|i|we|they|someone|person|baby|child|"
        r"kid|man|woman|father|mother|dad|mom|friend|grandma|grandpa) (\w+ )?(can'?t|cannot) "
        r"breathe\b", r"\b(is|am|are) having chest pains?\b",
        r"\b(need|needs|call|get|send) (an )?ambulance\b",
        r"\b(not|isn'?t|is not) (moving|responding|breathing)\b", r"\bpeople down\b",
        r"\b(is|are|was|were|got|person|driver|man|woman|someone) (\w+ )?trapped\b",
        r"\b(he|she|someone|man|woman|child|kid|worker|boy|girl|person) (just )?(fell|fallen) "
        r"(off|from|into|down)\b", r"\bwent under\b", r"\bunder (the )?water\b",
        r"\b(isn'?t|not) coming (back )?up\b", r"\b(he|she|someone|man|woman|person|child|kid|"
        r"they)('s| is| are|) lying (on the ground|in the road|motionless)",
        r"\bcan'?t move (his|her|their)\b", r"\b(lots|lot) of blood\b",
        r"\bcut (his|her|their|my) wrists?\b", r"\b(throat|face) is swelling\b",
        r"\bbarely breathe\b", r"\b(got|been) (shocked|electrocuted)\b", r"\belectrified\b",
    ],
}
# Need a present or urgent marker somewhere in the text.
WEAK = {
    "fire": [
        r"\bbi chay\b", r"\bchay bung\b", r"\bngon lua\b", r"\bchayf\b", r"\bboc khoi\b",
        r"\bkhoi (den )?mu mit\b", r"\b(khoi|lua) (den |mu mit |day dac |)(boc|bao trum|"
        r"cuon cuon|ngun ngut|tran ra|phut ra|boc ra|len)\b", r"\b(goi|cho|can|keu) (xe )?"
        r"cuu hoa\b", r"\b(no|phat no|tieng no) (binh gas|binh ga|lon|tram|tru dien)\b",
        r"\b(is|are|was|it'?s|its) burning\b", r"\bflames?\b", r"\b(car|bike|motorbike|bus|"
        r"room|pole|wire|meter|small) fire\b", r"\bfire (in|at|on) (the|our|my|a)\b",
        r"\bsmoke (is )?coming (out of|from)", r"\b(thick|black) smoke\b",
        r"\b(explosion|exploded|blew up)\b", r"\b(call|goi) 114\b",
    ],
    "crime": [
        r"\b(dang|bi) (an )?cuop\b", r"\bcuop (dang|tai san|ngan hang|tiem|tiem vang|xe|giat)\b",
        r"\b(an cuop|cuop co vu khi|trom dang|ke trom dang|co trom vao|dot nhap)\b",
        r"\b(chem nguoi|chem nhau|dam nhau bang|doa dam|bi (dam|chem)|dam (\w+ )?(bang dao|"
        r"chet|nguoi dan|trong thuong))\b",
        r"\b(danh|dap|hanh hung|danh dap|danh hoi dong) (nhau|nguoi|chet|vo|con|ba em|ong|"
        r"em|toi|no|hoi dong|tan nhan|du doi|dam mau|chu nha|mot|1|hai|2)\b",
        r"\b(cam|vung|rut|mang|xach|cam theo|dung) (\w+ )?(dao|ma tau|kiem|sung|tuyp|rua|gay|"
        r"hung khi)\b", r"\b(no|ban) sung\b", r"\btieng sung\b", r"\b(bat coc|hiep dam|"
        r"giet nguoi|sat hai|doa giet|hanh hung|hon chien|au da|khong che con tin)\b",
        r"\b(pha|cay|be|dap) (cua|khoa)\b", r"\bkhieng do\b", r"\bdap pha (quan|nha|xe|do|"
        r"cua|quay)\b", r"\bgiat (toc|tui|day chuyen|dien thoai|xe)\b",
        r"\b(dang )?(nup|tron) (trong|o)\b",
        r"\b(been|getting|got) (robbed|mugged|attacked|stabbed|beaten|assaulted|shot|"
        r"kidnapped|threatened with a)", r"\b(breaking|broke) in(to)?\b",
        r"\b(stabbing|stabbed|shooting|gunshots?|gunfire|slashing)\b",
        r"\b(with|has|have|holding|waving|pulled|wielding) (a |an )?(knife|knives|machetes?|"
        r"guns?|pistol|weapons?|swords?|bats|pipes|broken bottle)\b",
        r"\b(mugging|robbing|attacking|beating (him|her|them|a|up|someone|his|their)|"
        r"kidnapp(ing|ed)|raping|kidnap)\b", r"\b(gang|men|group|people) (is |are )?"
        r"(fighting|attacking)\b", r"\b(call|goi) 113\b",
        r"\b(grabbed|snatched|snatching) (a |her |his |my |the )?(\w+'?s )?(bag|phone|purse|"
        r"necklace)", r"\bdragged (her|him)\b", r"\bpulling a (girl|boy|child|woman|kid)\b",
    ],
    "medical": [
        r"\b(ngat xiu|xiu ngang|ngat lim|hon me|ngung tim|dot quy|len con dau tim|nhoi mau|"
        r"dau nguc du doi|nguy kich|hap hoi|tu tu|treo co tu tu|ngo doc (nang|tap the)|"
        r"non ra mau|tai bien|xiu|ngat|choi voi|duoi nuoc|met lim)\b",
        r"\bbi thuong\b", r"\b(gay|dap) (chan|tay|co|dau)\b", r"\bchay mau\b",
        r"\b(tai nan|tong vao|dam vao|lat xe|xe lat|cuon vao)\b", r"\bong (vo ve |)(dot|chich)\b",
        r"\b(heart attack|stroke|seizure|overdos(e|ed)|passed out|fainted)\b",
        r"\b(bleeding|bleeds)\b", r"\b(badly|seriously|critically|severely) (injured|hurt|"
        r"wounded|broken)\b", r"\b(is|are|were|got) (injured|hurt)\b",
        r"\b(crash|rolled over|hit a (pedestrian|motorbike|child|kid|woman|man))\b",
        r"(?<!it's )(?<!it is )\blying (on the ground|in the road)\b",
        r"\bsmoke coming from the engine\b", r"\b(roi|te|nga|nhay|rot|lao) (xuong )?(kenh|song|"
        r"ho|ao|gieng|cong|rach|bien|mieng cong)\b",
    ],
}
# Words just before a bare "chay" (no diacritics) that make it "chạy" (run, drive) or "chảy".
NOT_FIRE_BEFORE = (
    r"\b(xe|xe may|o to|oto|container|tau|may|dong ho|nuoc|mau|nguoi|nguoi ta|thang|dua|"
    r"chung no|tui no|toi|em|anh|chi|minh|ho|bo|lai|vua di vua|lo|tien|dien|quat|den|"
    r"xe tai|xe ben|xe buyt|xe khach|taxi|grab|shipper|chay)\b(\s+\w+){0,2}\s*$"
)


def expand(pattern: str) -> str:
    """A bare "chay" in a pattern also matches "chayf" (cháy written with diacritics)."""
    return re.sub(r"(\\b|(?<![a-z]))chay(?![a-z])", r"\1chayf?", pattern)
