"""Urgency signals read from normalised complaint text: escalation threats, safety risk, anger.

Every finding carries its evidence (the matched words), so a person can see why. Patterns work on
the output of ``kesu.text.normalize.normalise`` (Simplified, half-width), which is how Traditional
and full-width input is covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ThreatKind(StrEnum):
    REGULATOR = "regulator"
    MEDIA = "media"
    LAWYER = "lawyer"
    POLICE = "police"
    PLATFORM = "platform"
    PUBLIC_WARNING = "public_warning"


THREAT_LABELS = {
    ThreatKind.REGULATOR: ("投诉至监管部门", "Regulator complaint"),
    ThreatKind.MEDIA: ("媒体曝光", "Media exposure"),
    ThreatKind.LAWYER: ("律师/诉讼", "Lawyer or lawsuit"),
    ThreatKind.POLICE: ("报警", "Police"),
    ThreatKind.PLATFORM: ("平台举报", "Platform report"),
    ThreatKind.PUBLIC_WARNING: ("公开提醒他人", "Public warning"),
}

_THREAT_PATTERNS: dict[ThreatKind, re.Pattern[str]] = {
    ThreatKind.REGULATOR: re.compile(
        r"12315|12345|12321|consumer council|consumer association|消协|消费者协会|消保委|消委会|市场监[督管]|工商(?:局|部门)|质监|物价局|"
        r"食药监|卫生局|卫健委|银保监|金融监管|工信部|通管局|通信管理局|民航局|监管部门|"
        r"(?:向|找|到|去|给)(?:有关|相关|政府)部门|315晚会|市长热线|信访"
    ),
    # A medium named with an intent to go public, not a newspaper someone read.
    ThreatKind.MEDIA: re.compile(
        r"(?:找|联系|告诉|通知|投诉到|爆料给|发给|交给|让|向|请)(?:新闻)?媒体|媒体(?:曝光|来|介入|报道)|"
        r"(?<!已被)(?<!曾被)曝光(?!过)|记者|电视台|报社|发到网上|发网上|网上曝光|"
        r"(?:发|上|到|在|发在|发到)(?:微博|抖音|小红书|知乎|脸书|b站)|"
        r"(?:微博|抖音|小红书|知乎)(?:上)?(?:曝光|发|说|见)|上热搜|黑猫|weibo|douyin|xiaohongshu|facebook"
    ),
    ThreatKind.LAWYER: re.compile(
        r"律师|起诉|法院|打官司|诉讼|法律途径|法律手段|法律程序|走法律|仲裁|法庭|"
        r"告(?:你们|到底|他们|死你|上法)|(?<![a-z])(?:court|sue|lawyer|lawsuit)(?![a-z])"
    ),
    ThreatKind.POLICE: re.compile(
        r"报警(?!器|灯|声)|报案|(?<!\d)110(?!\d)|(?:找|叫|喊)警察|派出所|(?<![a-z])police"
    ),
    # Announcing a formal complaint to the platform or a complaint body ("必须投诉", "@消费者投诉").
    ThreatKind.PLATFORM: re.compile(
        r"举报|(?:我要|必须|一定|严重|强烈|坚决|我会|我去|要去|怎么|如何|继续|还是打\S{0,6})投诉|投诉[!]|"
        r"投诉到|向平台投诉|平台投诉|找平台|消费者投诉|平台介入|申请介入"
    ),
    # Rallying others, not the everyday "大家别买" of a review.
    ThreatKind.PUBLIC_WARNING: re.compile(
        r"朋友圈|家长群|告诉(?:身边|所有|朋友|亲戚)|揭穿|"
        r"让(?:大家|所有人|更多人)(?:都)?(?:知道|看看|看清|别上当|评评理)|"
        r"帮(?:忙)?转|大家顶|求转发|转发扩散|扩散"
    ),
}
# Words that look like a threat but are not one in this sentence: a camera's exposure, an alarm
# device, a lawyer's letter the company sent, a news feature of a phone.
_FALSE_FRIENDS = re.compile(
    r"曝光(?:度|补偿|时间|过度|不足|参数|模式)|过曝|欠曝|报警器|报警灯|报警声|自动报警|"
    r"媒体播放|多媒体|流媒体|自媒体号|投诉无门|投诉电话|投诉率|"
    r"(?:相机|镜头|照片|拍照)[^,.!?;，。！？；]{0,4}曝光|(?:收到|寄来)[^,.!?;，。！？；]{0,8}律师函|"
    r"(?:朋友|亲戚|同学|家人)(?:是|当)律师|12315(?:网站|官网|上的规定)"
)
# A mention preceded by one of these, in the same clause, is not an announced escalation.
_NEGATED = re.compile(
    r"(?:不想|不会|不打算|没打算|不愿|不愿意|不至于|不必|无需|不用|用不着|没必要|并不想|也不想|"
    r"不希望|不要逼我|别逼我)[^,.!?;，。！？；]{0,12}$"
)
_SAFETY = re.compile(
    r"受伤|伤到|烫伤|烧伤|划伤|割伤|割到|砸伤|砸到|摔伤|夹伤|缝了\S{0,2}针|触电|漏电|电到|起火|着火|失火|"
    r"冒烟|冒火花|火花|烧焦|爆炸|炸了|自燃|燃气泄漏|煤气泄漏|漏气|中毒|拉肚子|腹泻|呕吐|上吐下泻|"
    r"肚子疼|住院|急诊|送医|去医院|进医院|过敏|红疹|异物|玻璃渣|玻璃碎片|碎片|钢丝|铁丝|"
    r"(?:吃出|喝出|咬到|吃到|(?:菜|饭|汤|面|粥|外卖|奶茶|饮料|牛奶|食物|饭菜|包子|饺子|餐)\s?里(?:面)?"
    r"(?:有|发现|竟然有|居然有)).{0,6}(?:头发|虫|苍蝇|蟑螂|玻璃|塑料|石子|钉子)|虫子|有虫|"
    r"发霉|变质|馊了|很烫|烫手|洒了一身|吃错|吞下|吞了|咽下|撞死|差点出事|出人命|安全隐患|安全问题|危险|"
    r"孩子.{0,6}(?:伤|烫|疼|哭|吃了|误食)|宝宝.{0,6}(?:伤|烫|疼|吃了|误食)|老人.{0,6}(?:摔|伤)|"
    r"dangerous|burn|plastic|glass|injur"
)
_SAFETY_FALSE = re.compile(r"危险品|不危险|没有危险|没什么危险")


@dataclass(frozen=True)
class Evidence:
    kind: str
    words: tuple[str, ...]


def _clause_before(text: str, start: int) -> str:
    return text[max(0, start - 16) : start]


def threats(text: str) -> list[Evidence]:
    """Announced escalations by kind, with the words that show them."""
    masked = _FALSE_FRIENDS.sub(lambda match: "□" * len(match.group(0)), text.lower())
    found = []
    for kind, pattern in _THREAT_PATTERNS.items():
        words = tuple(
            dict.fromkeys(
                match.group(0)
                for match in pattern.finditer(masked)
                if not _NEGATED.search(_clause_before(masked, match.start()))
            )
        )
        if words:
            found.append(Evidence(kind=kind.value, words=words))
    # "向市场监管局举报" is one escalation, to the regulator, not also a platform report.
    if any(e.kind == ThreatKind.REGULATOR for e in found):
        found = [
            e for e in found if not (e.kind == ThreatKind.PLATFORM and set(e.words) <= {"举报"})
        ]
    return found


def safety(text: str) -> Evidence | None:
    masked = _SAFETY_FALSE.sub(lambda match: "□" * len(match.group(0)), text)
    words = tuple(dict.fromkeys(match.group(0) for match in _SAFETY.finditer(masked)))
    return Evidence(kind="safety", words=words) if words else None
