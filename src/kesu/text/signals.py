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
        r"12315|12345|12321|消协|消费者协会|消保委|消委会|市场监[督管]|工商(?:局|部门)?|质监|物价局|"
        r"食药监|卫生局|卫健委|银保监|金融监管|工信部|通管局|通信管理局|民航局|监管部门|"
        r"有关部门|相关部门|政府部门|315晚会|市长热线|信访"
    ),
    ThreatKind.MEDIA: re.compile(
        r"媒体|曝光|记者|电视台|报社|报纸|新闻|微博|抖音|小红书|今日头条|上热搜|热搜|"
        r"发到网上|发网上|网上曝|黑猫|weibo|douyin|twitter|facebook"
    ),
    ThreatKind.LAWYER: re.compile(
        r"律师|起诉|法院|打官司|诉讼|法律途径|法律手段|法律程序|走法律|仲裁|法庭|"
        r"告(?:你们|到底|他们|死你|上法)|(?<![a-z])(?:court|sue|lawyer|lawsuit)(?![a-z])"
    ),
    ThreatKind.POLICE: re.compile(r"报警|报案|(?<!\d)110(?!\d)|警察|公安|派出所|(?<![a-z])police"),
    ThreatKind.PLATFORM: re.compile(
        r"举报|投诉到平台|向平台投诉|平台投诉|找平台|投诉到(?:京东|淘宝|天猫|美团|饿了么|拼多多|携程)|"
        r"平台介入|申请介入|差评投诉"
    ),
    ThreatKind.PUBLIC_WARNING: re.compile(
        r"朋友圈|告诉(?:身边|所有|大家|朋友|亲戚)|让(?:大家|所有人|更多人)(?:都)?(?:知道|看看|避雷)|"
        r"提醒大家|奉劝|大家千万|千万别|大家别|大家不要|避雷|曝光你们|宣传你们"
    ),
}
# Words that look like a threat but are not one in this sentence: a camera's exposure, an alarm
# device, a lawyer's letter the company sent, a news feature of a phone.
_FALSE_FRIENDS = re.compile(
    r"曝光(?:度|补偿|时间|过度|不足|参数|模式)|过曝|欠曝|报警器|报警灯|报警声|自动报警|"
    r"新闻(?:客户端|app|推送)|媒体播放|多媒体|流媒体|自媒体号"
)
# A mention preceded by one of these, in the same clause, is not an announced escalation.
_NEGATED = re.compile(
    r"(?:不想|不会|不打算|没打算|不愿|不愿意|不至于|不必|无需|不用|用不着|没必要|并不想|也不想|"
    r"不希望|不要逼我|别逼我)[^,.!?;，。！？；]{0,12}$"
)
_SAFETY = re.compile(
    r"受伤|伤到|烫伤|烧伤|划伤|割伤|砸伤|摔伤|夹伤|触电|漏电|电到|起火|着火|失火|冒烟|爆炸|炸了|"
    r"自燃|燃气泄漏|煤气泄漏|漏气|中毒|食物中毒|拉肚子|腹泻|呕吐|上吐下泻|肚子疼|住院|急诊|"
    r"送医|医院|过敏|红疹|异物|头发|虫子|苍蝇|蟑螂|玻璃渣|铁丝|钉子|发霉|变质|馊了|"
    r"孩子.{0,6}(?:伤|烫|疼|哭|吃了|误食)|宝宝.{0,6}(?:伤|烫|疼|吃了|误食)|老人.{0,6}(?:摔|伤)|"
    r"安全隐患|危险|差点出事|出人命"
)
_SAFETY_FALSE = re.compile(r"医院(?:旁边|附近|对面)|危险品|不危险|没有危险")


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
    return found


def safety(text: str) -> Evidence | None:
    masked = _SAFETY_FALSE.sub(lambda match: "□" * len(match.group(0)), text)
    words = tuple(dict.fromkeys(match.group(0) for match in _SAFETY.finditer(masked)))
    return Evidence(kind="safety", words=words) if words else None
