"""The province (省级行政区) a complaint's region lies in, for the dashboard's regional breakdown.

Regions are typed by people and imported from other systems ("浙江省杭州市西湖区", "北京朝阳区",
"广西南宁"), so the province is recognised by its name at the start, with or without 省/市/自治区.
"""

from __future__ import annotations

from kesu.core.i18n import Language

# (short name a region starts with, full name stored in the rollup, English name)
PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("北京", "北京市", "Beijing"),
    ("天津", "天津市", "Tianjin"),
    ("上海", "上海市", "Shanghai"),
    ("重庆", "重庆市", "Chongqing"),
    ("河北", "河北省", "Hebei"),
    ("山西", "山西省", "Shanxi"),
    ("辽宁", "辽宁省", "Liaoning"),
    ("吉林", "吉林省", "Jilin"),
    ("黑龙江", "黑龙江省", "Heilongjiang"),
    ("江苏", "江苏省", "Jiangsu"),
    ("浙江", "浙江省", "Zhejiang"),
    ("安徽", "安徽省", "Anhui"),
    ("福建", "福建省", "Fujian"),
    ("江西", "江西省", "Jiangxi"),
    ("山东", "山东省", "Shandong"),
    ("河南", "河南省", "Henan"),
    ("湖北", "湖北省", "Hubei"),
    ("湖南", "湖南省", "Hunan"),
    ("广东", "广东省", "Guangdong"),
    ("海南", "海南省", "Hainan"),
    ("四川", "四川省", "Sichuan"),
    ("贵州", "贵州省", "Guizhou"),
    ("云南", "云南省", "Yunnan"),
    ("陕西", "陕西省", "Shaanxi"),
    ("甘肃", "甘肃省", "Gansu"),
    ("青海", "青海省", "Qinghai"),
    ("台湾", "台湾省", "Taiwan"),
    ("内蒙古", "内蒙古自治区", "Inner Mongolia"),
    ("广西", "广西壮族自治区", "Guangxi"),
    ("西藏", "西藏自治区", "Xizang"),
    ("宁夏", "宁夏回族自治区", "Ningxia"),
    ("新疆", "新疆维吾尔自治区", "Xinjiang"),
    ("香港", "香港特别行政区", "Hong Kong"),
    ("澳门", "澳门特别行政区", "Macao"),
)
UNKNOWN_PROVINCE = ""
"""Stored for a region that names no province (empty, abroad, or a city alone)."""

PROVINCE_LABELS = {full: (full, english) for _short, full, english in PROVINCES} | {
    UNKNOWN_PROVINCE: ("未知地区", "Unknown region")
}


def province_of(region: str | None) -> str:
    """The full name of the province ``region`` starts with, else ``UNKNOWN_PROVINCE``."""
    text = (region or "").strip()
    for short, full, _english in PROVINCES:
        if text.startswith(short):
            return full
    return UNKNOWN_PROVINCE


def province_label(province: str, language: Language) -> str:
    zh, en = PROVINCE_LABELS.get(province, (province, province))
    return zh if language is Language.ZH else en
