"""Anger (愤怒程度) read from complaint text: a score with the evidence behind it, and a 0–3 level.

Lexicon, punctuation, repetition and intensifiers, on normalised text. The level thresholds are
fitted on labelled complaints (see ``bench/triage_eval.py``): 0 calm/mild, 1 clearly unhappy,
2 angry, 3 furious/hostile.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Weight per occurrence. Swearing and insults weigh most; plain disappointment least.
_LEXICON: dict[str, float] = {
    # swearing and insults
    "妈的": 3.0,
    "他妈": 3.0,
    "tmd": 3.0,
    "nmd": 3.0,
    "尼玛": 3.0,
    "卧槽": 2.5,
    "操": 2.0,
    "傻逼": 3.0,
    "sb": 2.5,
    "垃圾": 2.0,
    "混蛋": 3.0,
    "王八蛋": 3.0,
    "狗屎": 3.0,
    "去死": 3.0,
    "滚": 2.5,
    "畜生": 3.0,
    "无耻": 2.5,
    "不要脸": 2.5,
    "流氓": 2.5,
    "强盗": 2.5,
    "黑心": 2.5,
    "骗子": 2.5,
    "骗人": 2.0,
    "欺诈": 2.0,
    "坑人": 2.0,
    "坑爹": 2.0,
    "奸商": 2.5,
    "黑店": 2.5,
    "恶心": 2.0,
    "人渣": 3.0,
    "败类": 3.0,
    "缺德": 2.5,
    "智障": 3.0,
    "脑残": 3.0,
    "shit": 3.0,
    "fuck": 3.0,
    "damn": 2.0,
    # strong anger
    "气死": 2.0,
    "愤怒": 2.0,
    "火大": 2.0,
    "忍无可忍": 2.5,
    "太过分": 2.0,
    "过分": 1.2,
    "岂有此理": 2.0,
    "欺人太甚": 2.5,
    "无法忍受": 2.0,
    "受够了": 2.0,
    "绝不": 1.5,
    "再也不": 1.5,
    "永远不": 1.5,
    "最后一次": 1.2,
    "后悔": 1.0,
    "气愤": 2.0,
    "愤慨": 2.0,
    "可恶": 2.0,
    "欺骗": 1.8,
    "坑": 1.2,
    "烂": 1.2,
    "极差": 1.5,
    "差劲": 1.2,
    "太差": 1.2,
    "最差": 1.5,
    "差到极点": 2.0,
    "糟糕": 1.0,
    "糟透": 1.8,
    "无语": 1.0,
    "离谱": 1.5,
    "扯淡": 2.0,
    "忽悠": 1.5,
    "敷衍": 1.2,
    "推诿": 1.2,
    "踢皮球": 1.5,
    "态度恶劣": 1.8,
    "不负责任": 1.5,
    "欺负": 1.8,
    "耍": 1.2,
    "凭什么": 1.5,
    "还我": 1.2,
    "退钱": 1.2,
    "赔钱": 1.2,
    "给个说法": 1.5,
    "讨个说法": 1.5,
    "什么玩意": 2.0,
    "什么东西": 1.5,
    # plain unhappiness
    "失望": 0.8,
    "不满": 0.8,
    "不满意": 0.8,
    "郁闷": 0.8,
    "生气": 1.2,
    "不爽": 1.0,
    "难吃": 0.8,
    "难用": 0.8,
    "差评": 0.8,
    "差": 0.5,
    "不好": 0.4,
    "一般": 0.2,
    "不行": 0.6,
    "无奈": 0.6,
    "遗憾": 0.5,
    "心累": 1.0,
    "崩溃": 1.5,
    "抓狂": 1.8,
}
_INTENSIFIERS = (
    "太",
    "非常",
    "极其",
    "特别",
    "简直",
    "根本",
    "完全",
    "真的",
    "实在",
    "超级",
    "巨",
    "绝对",
)
_TERMS = re.compile("|".join(sorted(map(re.escape, _LEXICON), key=len, reverse=True)))
_EXCLAMATION_RUN = re.compile(r"[!]{2,}|[?]{2,}|[!?]{3,}")
_REPEATED_PHRASE = re.compile(r"(.{2,6})\1{1,}")
_LATIN_SHOUT = re.compile(r"\b[A-Z]{4,}\b")

# The lexicon's own score → level mapping, fitted on the labelled development complaints; triage
# takes its level from the anger model (kesu.text.analysis), which reads this score as a feature.
LEVEL_THRESHOLDS = (0.2, 2.4, 7.0)


@dataclass(frozen=True)
class AngerReading:
    score: float
    level: int
    """0 calm/mild, 1 clearly unhappy, 2 angry, 3 furious/hostile."""
    evidence: tuple[str, ...]


def read_anger(text: str, *, raw: str | None = None, angry_emoji: int = 0) -> AngerReading:
    """Anger of normalised ``text``; ``raw`` (the original) is read for shouting in capitals."""
    lowered = text.lower()
    score = 0.0
    evidence: list[str] = []
    for match in _TERMS.finditer(lowered):
        weight = _LEXICON[match.group(0)]
        before = lowered[max(0, match.start() - 2) : match.start()]
        if any(before.endswith(word) for word in _INTENSIFIERS):
            weight *= 1.5
        score += weight
        evidence.append(match.group(0))
    exclamations = lowered.count("!")
    runs = _EXCLAMATION_RUN.findall(lowered)
    score += min(exclamations, 6) * 0.35 + len(runs) * 0.8
    if exclamations:
        evidence.append("!" * min(exclamations, 3))
    repeated = [m.group(0) for m in _REPEATED_PHRASE.finditer(lowered) if m.group(1).strip("!?. ")]
    if repeated:
        score += 1.0 * min(len(repeated), 3)
        evidence.extend(repeated[:3])
    if raw is not None and _LATIN_SHOUT.search(raw):
        score += 0.8
        evidence.append("CAPITALS")
    if angry_emoji:
        score += 1.2 * min(angry_emoji, 3)
        evidence.append("😡" * min(angry_emoji, 3))
    level = sum(score >= threshold for threshold in LEVEL_THRESHOLDS)
    return AngerReading(score=round(score, 2), level=level, evidence=tuple(dict.fromkeys(evidence)))
