"""Realistic Chinese complaints for load and search benchmarks, the same rows for the same seed.

    python bench/datagen.py --count 1000000 --seed 1 --out complaints.csv

Every text is composed from phrase templates written for kesu (no customer's words are copied):
short gripes to 800-character narratives with a long tail, all nine categories, sixteen product
lines with fictional brands and model numbers, mainland regions, every intake channel, demands that
match the text, statuses that follow the complaint's age (recent ones open, old ones closed or
archived), two years of timestamps with weekly and shopping-festival peaks, repeat customers
(the same phone on several complaints), a few texts in Traditional script, English words and
emoji.

Search needles: ``NEEDLES`` are words whose rows are known. The controlled ones (漏水, 燃气热水,
客服态度, 量子纠缠) appear only where the generator inserts them, with a fixed probability; 退款 is
left to occur naturally. ``write_csv`` counts the rows holding each needle exactly and records the
counts, with the mix of categories, statuses and lengths, in a sidecar JSON next to the CSV
(``sidecar_path``); ``count_matches`` regenerates the rows to count any other word.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import math
import random
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any, Literal, TypedDict

import opencc

VERSION = 1
"""Bumped whenever the same seed would give different rows."""

CST = timezone(timedelta(hours=8), "CST")
DEFAULT_END = datetime(2026, 11, 23, tzinfo=CST)
DEFAULT_START = DEFAULT_END - timedelta(days=730)

COLUMNS = (
    "complainant_name",
    "phone",
    "email",
    "channel",
    "region",
    "target",
    "target_type",
    "product_line",
    "description",
    "demands",
    "received_at",
    "status",
    "category",
    "priority",
)
MIN_CHARS = 15
MAX_CHARS = 800


class Row(TypedDict):
    complainant_name: str
    phone: str | None
    email: str | None
    channel: str
    region: str | None
    target: str
    target_type: str
    product_line: str
    description: str
    demands: list[str]
    """Demand codes of ``kesu.complaints.models.Demand``; joined with ``;`` in the CSV."""
    received_at: datetime
    status: str
    category: str
    priority: str


# --- search needles ------------------------------------------------------------------------


@dataclass(frozen=True)
class Needle:
    word: str
    probability: float
    """Chance that a row of one of ``lines`` gets one of ``phrases``; 0 for a natural word."""
    lines: tuple[str, ...] = ()
    """Product lines it is inserted for; empty means every line."""
    phrases: tuple[str, ...] = ()
    natural: bool = False
    """Left to occur where the templates have it; the others appear only where inserted."""


NEEDLES = (
    Needle(
        "漏水",
        0.08,
        ("热水器", "洗衣机", "空调", "冰箱"),
        ("接口处一直在漏水", "用了没几天底下就开始漏水", "漏水把楼下邻居家的天花板都泡了"),
    ),
    Needle(
        "燃气热水",
        0.3,
        ("热水器",),
        ("家里装的是燃气热水器", "这台燃气热水器一开就砰的一声", "燃气热水器的排烟管都没装好"),
    ),
    Needle(
        "客服态度",
        0.02,
        (),
        ("客服态度非常恶劣", "客服态度敷衍，问什么都说不清楚", "最不能接受的是客服态度"),
    ),
    # Never generated: a search for it must find nothing.
    Needle("量子纠缠", 0.0),
    # Common in refund and billing complaints: a search that matches many rows.
    Needle("退款", 0.0, natural=True),
)
CONTROLLED = tuple(needle.word for needle in NEEDLES if not needle.natural)


# --- what is complained about ----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    target: str
    """As registered (brand, model, variant)."""
    short: str
    """As a customer writes it in the text."""


@dataclass(frozen=True)
class Line:
    name: str
    weight: float
    noun: str
    items: tuple[Item, ...]
    faults: tuple[str, ...]
    stores: tuple[str, ...]
    staff: tuple[str, ...]
    services: tuple[str, ...]
    places: tuple[str, ...] = ("官方旗舰店", "京东自营", "天猫", "拼多多", "线下专卖店", "直播间")
    online: bool = True
    """Bought at a distance: delivery complaints make sense."""
    kind: Literal["electric", "food", "other"] = "electric"
    """Which safety incidents can happen with it."""


def _items(*pairs: str) -> tuple[Item, ...]:
    return tuple(Item(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2))


LINES = (
    Line(
        "热水器",
        5,
        "热水器",
        _items(
            "澜泉 JSQ25-12 燃气热水器",
            "JSQ25-12热水器",
            "澜泉 F60-15A 电热水器 60升",
            "澜泉电热水器",
            "暖居 JSQ30-16 恒温热水器",
            "暖居恒温热水器",
        ),
        (
            "点不着火",
            "水温忽冷忽热",
            "一会儿热一会儿冷，洗个澡像在受刑",
            "显示屏一直报E1故障",
            "打火的时候声音特别大",
            "用着用着就自动熄火",
            "加热特别慢，洗到一半就没热水了",
        ),
        ("澜泉售后服务网点", "暖居专卖店"),
        ("安装师傅", "维修师傅", "售后客服"),
        ("上门安装服务", "延保服务"),
    ),
    Line(
        "手机",
        10,
        "手机",
        _items(
            "星禾 X7 Pro 手机 256GB",
            "X7 Pro",
            "青岚 Note 12 手机 8+128GB",
            "Note 12",
            "智途 M5 5G手机",
            "M5手机",
        ),
        (
            "充电的时候烫得厉害",
            "屏幕出现一条绿线",
            "动不动就自动重启",
            "信号特别差，打电话老是断",
            "电池半天就没电了",
            "相机对不上焦，拍什么都是糊的",
            "指纹解锁经常失灵",
            "系统更新后App一直闪退",
        ),
        ("星禾授权体验店", "青岚服务中心"),
        ("店员", "售后客服", "维修工程师"),
        ("以旧换新服务", "碎屏险"),
    ),
    Line(
        "计算机",
        5,
        "电脑",
        _items(
            "智途 ProBook 14 笔记本电脑",
            "ProBook 14",
            "青岚 AirBook 13 轻薄本",
            "AirBook",
            "星禾 T3 台式主机 i5",
            "台式机",
        ),
        (
            "开机就蓝屏",
            "键盘有几个键按不动",
            "风扇声音像拖拉机一样",
            "连上WiFi隔一会儿就掉线",
            "屏幕边缘漏光",
            "插上U盘经常认不出来",
            "用了一个月电池就鼓包了",
        ),
        ("智途官方售后", "青岚电脑城专柜"),
        ("售后工程师", "店员"),
        ("上门调试服务", "数据恢复服务"),
    ),
    Line(
        "平板",
        3,
        "平板",
        _items("星禾 Pad 11 平板电脑", "Pad 11", "青岚 Tab S 平板", "Tab S"),
        ("屏幕触控失灵", "充不进电", "外壳缝隙有灰尘进屏", "手写笔连不上"),
        ("星禾授权体验店",),
        ("店员", "售后客服"),
        ("延保服务",),
    ),
    Line(
        "冰箱",
        4,
        "冰箱",
        _items("暖居 BCD-452 对开门冰箱", "对开门冰箱", "暖居 BCD-218 三门冰箱", "三门冰箱"),
        (
            "冷藏室不制冷",
            "压缩机噪音很大，晚上吵得睡不着",
            "门封条翘起来关不严",
            "冷冻室结了厚厚一层霜",
            "放进去的菜第二天就坏了",
        ),
        ("暖居专卖店", "家电城暖居专柜"),
        ("送装师傅", "维修师傅"),
        ("送货安装服务",),
    ),
    Line(
        "空调",
        4,
        "空调",
        _items("暖居 KFR-35GW 挂机空调", "挂机空调", "暖居 KFR-72LW 柜机空调", "柜机"),
        (
            "制热效果很差",
            "外机噪音扰民，邻居都来敲门了",
            "遥控器按了没反应",
            "开机半小时就报故障代码",
            "有一股焦糊味",
        ),
        ("暖居专卖店", "家电城暖居专柜"),
        ("安装师傅", "维修师傅"),
        ("安装服务", "清洗保养服务"),
    ),
    Line(
        "洗衣机",
        3,
        "洗衣机",
        _items("暖居 XQG100 滚筒洗衣机", "滚筒洗衣机", "暖居 XQB80 波轮洗衣机", "波轮洗衣机"),
        (
            "脱水时整台机器乱晃",
            "洗完门打不开了",
            "洗完的衣服上有黑色污渍",
            "排水特别慢",
            "程序跑到一半就停了",
        ),
        ("暖居专卖店",),
        ("送装师傅", "维修师傅"),
        ("送货安装服务",),
    ),
    Line(
        "外卖",
        12,
        "外卖",
        _items(
            "禾丰小厨 招牌红烧肉套餐",
            "红烧肉套餐",
            "老街麻辣烫 双人餐",
            "麻辣烫",
            "鲜果时光 果切拼盘",
            "果切",
            "一品粥铺 皮蛋瘦肉粥",
            "粥",
        ),
        (
            "里面吃出一根头发",
            "米饭是夹生的",
            "汤洒了一袋子",
            "少送了一份小菜",
            "咸得根本没法吃",
            "分量比图片上少了一半",
            "有一股馊味",
        ),
        ("禾丰小厨（文三路店）", "老街麻辣烫（万达店）", "一品粥铺（大学城店）"),
        ("外卖骑手", "店员"),
        ("准时宝服务", "会员红包服务"),
        places=("外卖App", "小程序"),
        kind="food",
    ),
    Line(
        "酒店",
        7,
        "房间",
        _items(
            "青禾酒店（西湖店） 高级大床房",
            "大床房",
            "悦途酒店（火车站店） 标准双床房",
            "双床房",
            "悦途酒店 行政套房",
            "套房",
        ),
        (
            "一进去就是一股霉味",
            "空调不制冷",
            "床单上有明显的污渍",
            "隔音太差，一晚上没睡好",
            "热水时有时无",
            "卫生间下水道堵了",
            "和App上的照片完全不一样",
        ),
        ("青禾酒店（西湖店）", "悦途酒店（火车站店）"),
        ("前台", "保洁员", "大堂经理"),
        ("预订服务", "接送机服务"),
        places=("携程", "飞猪", "酒店官网", "酒店App"),
        online=False,
        kind="other",
    ),
    Line(
        "乳制品",
        4,
        "牛奶",
        _items(
            "悦享乳业 纯牛奶 250ml×12",
            "纯牛奶",
            "悦享乳业 原味酸奶 200g×10",
            "酸奶",
            "悦享 儿童成长奶粉 3段",
            "奶粉",
        ),
        (
            "打开就发现结块发酸",
            "喝起来有股怪味",
            "包装鼓包了",
            "还没过期就变质了",
            "里面有黑色颗粒",
        ),
        ("城东超市", "悦享社区店"),
        ("促销员", "店员"),
        ("送奶到家服务",),
        places=("超市", "便利店", "天猫", "社区团购"),
        kind="food",
    ),
    Line(
        "服装",
        6,
        "衣服",
        _items(
            "禾衣 羊毛大衣 M码",
            "大衣",
            "跑客 Air 跑步鞋 42码",
            "跑鞋",
            "禾衣 纯棉T恤 三件装",
            "T恤",
            "禾衣 羽绒服 L码",
            "羽绒服",
        ),
        (
            "洗了一次就严重缩水",
            "穿了两天就开线了",
            "掉色把别的衣服都染了",
            "尺码和标的不一样",
            "鞋底开胶了",
            "羽绒一直往外钻",
        ),
        ("禾衣万象城店", "跑客奥莱店"),
        ("导购", "店长", "售后客服"),
        ("退换货服务", "会员服务"),
        kind="other",
    ),
    Line(
        "生鲜水果",
        4,
        "水果",
        _items(
            "鲜果时光 赣南脐橙 5斤装",
            "脐橙",
            "山野 阳光玫瑰葡萄 2斤",
            "葡萄",
            "鲜果时光 海南芒果 10斤",
            "芒果",
        ),
        ("一半都是烂的", "个头比页面上小很多", "收到时已经发霉", "称重少了快一斤", "酸得没法吃"),
        ("鲜果时光社区店",),
        ("快递员", "客服"),
        ("次日达服务",),
        places=("小程序", "拼多多", "社区团购", "天猫"),
        kind="food",
    ),
    Line(
        "洗护",
        3,
        "洗发水",
        _items(
            "清漾 去屑洗发水 750ml",
            "洗发水",
            "清漾 沐浴露 1L",
            "沐浴露",
            "清漾 护发素 500ml",
            "护发素",
        ),
        (
            "用完头皮发痒起红疹",
            "味道和以前买的不一样，怀疑是假货",
            "泵头按不出来",
            "瓶子是漏的，到手只剩半瓶",
        ),
        ("清漾专柜",),
        ("导购", "客服"),
        ("会员积分服务",),
        kind="other",
    ),
    Line(
        "通信宽带",
        4,
        "宽带",
        _items(
            "星联 千兆宽带 两年套餐",
            "千兆宽带",
            "星联 5G畅享套餐 129元",
            "5G套餐",
            "星联 家庭融合套餐",
            "融合套餐",
        ),
        (
            "网速只有几十兆",
            "每天晚上八点以后就断网",
            "光猫指示灯一直闪红灯",
            "信号时有时无，视频会议老掉线",
        ),
        ("星联营业厅（人民路）", "星联营业厅（高新区）"),
        ("装维师傅", "营业员", "客服专员"),
        ("宽带装机服务", "套餐变更服务", "国际漫游服务"),
        places=("营业厅", "星联App", "网上营业厅"),
        online=False,
        kind="other",
    ),
    Line(
        "书籍",
        2,
        "书",
        _items("《家常菜一本通》 精装", "这本菜谱", "《少儿百科全书》 全8册", "百科全书"),
        ("印刷模糊，好几页都是重影", "缺了一页", "封面有折痕", "和目录对不上，中间少了一章"),
        ("新华书城",),
        ("快递员", "客服"),
        ("新华书城 图书会员服务",),
        kind="other",
    ),
    Line(
        "家具家装",
        3,
        "家具",
        _items(
            "木语 实木餐桌 1.4米",
            "餐桌",
            "眠享 乳胶床垫 1.8米",
            "床垫",
            "木语 三人布艺沙发",
            "沙发",
        ),
        (
            "桌面有一道裂缝",
            "塌了一个坑",
            "安装的时候发现少了螺丝",
            "颜色和样品差很多",
            "坐了一个月海绵就塌了",
        ),
        ("木语家居体验馆", "眠享旗舰店"),
        ("安装师傅", "送货师傅", "导购"),
        ("送货安装服务", "定制测量服务"),
        kind="other",
    ),
)
LINE_BY_NAME = {line.name: line for line in LINES}


# --- the nine categories --------------------------------------------------------------------

CATEGORY_WEIGHTS = {
    "product_quality": 40,
    "logistics": 16,
    "service_attitude": 10,
    "billing_refund": 10,
    "other": 7,
    "misinformation": 6,
    "communication": 5,
    "safety": 4,
    "privacy": 2,
}
# Placeholders: {noun} and {short} of the line, {n} a small count, {days}, {money}, {item}.
ISSUES: dict[str, tuple[str, ...]] = {
    "logistics": (
        "快递{days}天了还没到",
        "物流信息三天没有更新",
        "外包装破了，{short}都压坏了",
        "快递员没打电话就放在门口，结果丢了",
        "说好的次日达，拖了整整一个星期",
        "送货师傅不送上楼，让我自己搬",
        "发错货了，我买的不是这个",
        "显示已签收，可我根本没收到",
    ),
    "service_attitude": (
        "客服说话很不耐烦",
        "店员爱答不理，问三句回一句",
        "售后人员直接挂我电话",
        "工作人员一直在玩手机，叫了好几声都不理",
        "师傅上门迟到两个小时还不道歉",
        "问了几遍都是机器人自动回复",
        "经理当着其他顾客的面说我事多",
    ),
    "billing_refund": (
        "申请退货一个月了钱还没退回来",
        "同一笔订单被扣了两次款",
        "结账时价格比标价贵了{money}元",
        "说好的七天无理由退货，现在又不给退",
        "会员自动续费没有任何提醒",
        "优惠券用不了，客服让我自己找平台",
        "退款申请被驳回了，理由都没有",
        "发票金额和实际付款对不上",
    ),
    "misinformation": (
        "宣传写的是一级能效，实际是三级",
        "页面上说送赠品，收到什么都没有",
        "销售承诺包安装，现在又说要另外收费",
        "广告说续航两天，实际半天都撑不到",
        "说是正品，拿去专柜验了是假的",
        "详情页写的产地和实物标签不一样",
        "直播间说是全网最低价，转头就降价了{money}元",
    ),
    "communication": (
        "打了十几次电话都没人接",
        "在线客服一直排队，排了一个多小时",
        "答应三天内回电话，到现在都没有消息",
        "换了三个客服，每个人的说法都不一样",
        "预约的上门时间改了也不提前通知",
        "发了{n}封邮件，一封回复都没有",
    ),
    "privacy": (
        "刚下单就接到推销电话，我的信息是不是被卖了",
        "快递单上的手机号和地址全都没打码",
        "App要开通讯录权限才能用",
        "注销账号以后还一直给我发短信",
        "客服把我的订单信息发给了别人",
        "收到陌生人加微信，说出了我的购买记录",
    ),
    "other": (
        "希望能增加夜间客服",
        "门店停车太不方便了",
        "会员积分规则改了也不通知",
        "活动规则写得根本看不懂",
        "建议App增加电子发票下载功能",
        "营业时间和地图上写的不一样",
    ),
}
# Safety incidents depend on what the product is.
SAFETY: dict[str, tuple[str, ...]] = {
    "electric": (
        "{short}充电时冒烟了",
        "插头烧焦了，差点着火",
        "{short}外壳带电，手碰到被电了一下",
        "闻到很重的煤气味，吓得我们一家人跑下楼",
        "玻璃面板突然炸裂，碎片划伤了手",
    ),
    "food": (
        "孩子吃了以后上吐下泻，去医院挂了急诊",
        "吃完全家人都拉肚子，怀疑食物中毒",
        "里面吃出一块碎玻璃，差点划破嘴",
    ),
    "other": (
        "有很重的甲醛味，家里孩子一直咳嗽",
        "用完皮肤过敏，全身起红疹",
        "地面太滑摔了一跤，膝盖到现在还肿着",
        "边角特别锋利，把孩子的手划破了",
    ),
}
SAFETY_GRIPES = {
    "electric": ("{short}冒烟了，太危险了！！", "{short}漏电，差点出事！"),
    "food": ("吃坏肚子了，请给个说法", "吃出异物了，太恶心了！！"),
    "other": ("{short}有安全隐患，差点出事！", "用了以后过敏了，谁负责？"),
}
DELIVERY_STAFF = ("快递员", "送货师傅", "配送员")
PADDING = ("希望尽快处理，谢谢。", "请给个说法。", "麻烦尽快联系我。", "太失望了。")
SHORT_GRIPES: dict[str, tuple[str, ...]] = {
    "product_quality": ("质量太差了，{short}{fault}", "{short}{fault}，差评"),
    "logistics": ("送货太慢了，等了一个星期，差评", "快递把东西压坏了，什么破物流"),
    "service_attitude": ("店员态度太差了，再也不来了", "售后人员说话太冲了，什么服务"),
    "billing_refund": ("钱扣了东西没到，赶紧给我退钱", "多收了我{money}块钱，请核实"),
    "misinformation": ("和宣传的完全不一样，虚假宣传", "图片仅供参考是吧？骗人的"),
    "communication": ("电话永远打不通，有人管吗", "留言好几天了也没人回复我"),
    "privacy": ("为什么我一下单就有推销电话？", "我的手机号是谁泄露出去的"),
    "other": ("建议营业时间延长一点，谢谢", "积分怎么突然清零了？"),
}
OPENERS = (
    "{month}月{day}日在{place}买的{item}，",
    "上个月在{place}下单买了{item}，",
    "前天收到的{item}，",
    "{item}是去年双十一买的，",
    "我是你们的老客户了，这次买的{item}，",
    "家里新买的{item}，",
    "{month}月{day}日通过{place}订的{item}，",
)
OPENERS_BY_LINE = {
    "外卖": (
        "昨天晚上在{place}点的{item}，",
        "中午点了一份{item}，",
        "今天在{place}下单的{item}，",
    ),
    "酒店": (
        "上周通过{place}订了{item}，",
        "{month}月{day}日入住贵酒店的{item}，",
        "出差住的{item}，",
    ),
    "通信宽带": ("去年在{place}办理的{item}，", "我家用的是{item}，"),
}
# Later parts of a narrative; the long tail is made by drawing several of them.
ELABORATIONS = (
    "当时就联系了客服，对方说已经登记，让我等通知。",
    "打了{n}次售后电话，每次都说会有师傅联系我。",
    "师傅上门看了一下，说要换配件，配件要等半个月。",
    "在App上提交了工单，工单号{ticket}，一直显示处理中。",
    "又去找了门店，店长说这不归他们管，让我找厂家。",
    "厂家又说要先寄回去检测，运费还得我自己出。",
    "家里老人孩子都等着用，",
    "为这件事我已经请了{n}天假，",
    "到现在已经{days}天了，一点进展都没有。",
    "前前后后拖了快一个月。",
    "第二次来的师傅说上一个师傅装得不对，要重新弄。",
    "他们让我拍视频发过去，视频发了也没下文。",
    "后来又说要等领导审批，审批了一个星期还没结果。",
    "订单号{order}，麻烦查一下。",
    "我在微信公众号上也留言了，没人回复。",
    "客服让我提供购买凭证，我把发票和聊天记录都发过去了。",
    "朋友说他家买的同一款也有这个问题，是不是批次有问题？",
    "说是系统显示已经处理完毕，可实际上根本没人联系过我。",
    "之前也投诉过一次，当时说会改进，结果还是老样子。",
    "售后给的方案是补偿{money}元优惠券，我觉得不合理。",
    "我把问题描述得很清楚了，对方还是一直让我重复。",
    "维修记录上写的是已修复，但问题一点没变。",
    "我不是无理取闹，只希望按规定处理。",
    "这个月已经是第{n}次出问题了。",
    "客服说要升级处理，让我耐心等待，然后就没消息了。",
    "我要求查看检测报告，对方说是内部资料不能给。",
    "VIP会员也是一样的待遇，真不知道会员有什么用。",
    "App里的在线客服说是system error，让我稍后再试。",
    "我每次打电话都要从头讲一遍，没有人记录之前的情况。",
    "他们说下周一给答复，下周一又说再等等。",
    "我也理解你们忙，但总得给个明确的时间吧。",
    "小区物业也可以作证，当时好几个邻居都看到了。",
    "聊天记录和照片我都保存着，随时可以提供。",
    "我年纪大了，来回跑真的吃不消。",
    "门店的人说总部才能处理，总部又说让门店处理，来回踢皮球。",
    "网上一搜，同样问题的人还不少。",
    "上门的人连工具都没带齐，看了一眼就走了。",
    "我特意请假在家等了一整天，结果没人来，电话也不接。",
    "当时签收的时候外箱就有破损，快递员说先签了再说。",
    "之后又收到一条短信，说工单已关闭，可问题根本没解决。",
    "我不明白为什么一个简单的问题要拖这么久。",
    "孩子马上要开学了，急着用。",
    "如果是我使用不当，请拿出检测结果来说明。",
    "客服答应给我回电，我等到晚上十点也没等到。",
)
FEELINGS = (
    "真的太让人失望了。",
    "这就是你们的服务？",
    "一直很信任你们的品牌，这次真的寒心了。",
    "买之前看评价挺好的，没想到是这样。",
    "花钱买罪受。",
)
ANGRY = ("气死我了！", "简直欺人太甚！", "太恶心了，什么垃圾服务！", "忍无可忍！！！")
THREATS = (
    "如果再不解决，我就打12315投诉。",
    "已经在微博和小红书上发帖了。",
    "我已经咨询了律师，保留追究法律责任的权利。",
    "不给说法我就去消协。",
    "再拖下去我就找媒体曝光。",
)
DEMAND_SENTENCES = {
    "refund": ("要求全额退款。", "请尽快把钱退给我。", "要求退货退款。"),
    "exchange": ("要求换一台新的。", "请给我换货。", "要求换个新的，不要翻新机。"),
    "repair": ("请尽快派人上门维修。", "希望尽快安排师傅上门检测。"),
    "discount": ("至少给个折扣补偿吧。", "下次购买给个优惠也行。"),
    "compensation": ("要求赔偿我的损失。", "按照三包规定应当赔偿。", "医药费和误工费要求赔偿。"),
    "apology": ("要求相关人员向我道歉。", "希望当事人给我一个正式的道歉。"),
    "explanation": ("希望给个合理的解释。", "请给我一个说法。", "请说明一下到底是怎么回事。"),
}
_STRIDES = tuple(n for n in range(1, len(ELABORATIONS)) if math.gcd(n, len(ELABORATIONS)) == 1)
CLOSERS = ("请尽快处理！", "谢谢。", "盼复。", "急！！", "麻烦尽快回复，谢谢。", "")
EMOJI = ("😡", "😤", "🙄", "😭", "👎", "💔", "🤬", "😓", "🙏", "😡😡😡")
CHANNEL_PREFIX = {
    "regulator": ("12315平台转办：", "消费者协会转来："),
    "social": ("微博私信：", ""),
}

DEMAND_WEIGHTS: dict[str, dict[str, float]] = {
    "product_quality": {
        "exchange": 35,
        "repair": 35,
        "refund": 25,
        "compensation": 15,
        "explanation": 8,
    },
    "logistics": {
        "refund": 20,
        "compensation": 25,
        "explanation": 30,
        "apology": 15,
        "exchange": 15,
    },
    "service_attitude": {"apology": 60, "explanation": 35, "compensation": 10},
    "billing_refund": {"refund": 80, "explanation": 30, "compensation": 15},
    "misinformation": {"refund": 45, "compensation": 35, "explanation": 30, "discount": 10},
    "communication": {"explanation": 60, "apology": 30, "repair": 10},
    "safety": {"compensation": 55, "refund": 30, "explanation": 40, "apology": 10},
    "privacy": {"explanation": 60, "apology": 50, "compensation": 20},
    "other": {"explanation": 60, "discount": 15, "apology": 10},
}
TARGET_TYPE_WEIGHTS: dict[str, dict[str, float]] = {
    "service_attitude": {"staff": 45, "store": 35, "service": 20},
    "logistics": {"order": 60, "product": 30, "staff": 10},
    "billing_refund": {"order": 50, "service": 25, "product": 25},
    "communication": {"service": 50, "order": 25, "store": 25},
    "other": {"service": 40, "store": 40, "product": 20},
}
CHANNEL_WEIGHTS = {
    "app": 25,
    "phone": 20,
    "web": 16,
    "ecommerce": 15,
    "chat": 10,
    "social": 4,
    "counter": 3,
    "email": 2,
    "regulator": 2.5,
    "onsite": 1.5,
    "letter": 1,
}

# --- the lifecycle by age ---------------------------------------------------------------------

# (younger than this many days, weights of the statuses): recent complaints are still being
# handled, old ones are closed or archived, and a few are stuck.
STATUS_BY_AGE: tuple[tuple[float, dict[str, float]], ...] = (
    (
        1,
        {
            "received": 45,
            "triaged": 30,
            "assigned": 15,
            "investigating": 4,
            "waiting_customer": 2,
            "rejected": 2,
            "withdrawn": 1,
        },
    ),
    (
        3,
        {
            "received": 8,
            "triaged": 12,
            "assigned": 24,
            "investigating": 24,
            "waiting_customer": 8,
            "remedy_proposed": 8,
            "awaiting_approval": 4,
            "carrying_out": 4,
            "rejected": 4,
            "appealed": 1,
            "withdrawn": 2,
        },
    ),
    (
        15,
        {
            "investigating": 12,
            "remedy_proposed": 8,
            "awaiting_approval": 5,
            "carrying_out": 12,
            "waiting_customer": 8,
            "resolved": 15,
            "follow_up": 15,
            "closed": 15,
            "rejected": 5,
            "appealed": 1,
            "reopened": 1,
            "withdrawn": 3,
        },
    ),
    (
        60,
        {
            "closed": 60,
            "follow_up": 8,
            "resolved": 5,
            "archived": 4,
            "carrying_out": 3,
            "investigating": 2,
            "waiting_customer": 2,
            "reopened": 2,
            "rejected": 8,
            "appealed": 0.5,
            "withdrawn": 5,
        },
    ),
    (
        180,
        {
            "closed": 62,
            "archived": 20,
            "rejected": 8,
            "withdrawn": 6,
            "follow_up": 1,
            "resolved": 1,
            "reopened": 1,
            "investigating": 0.5,
            "waiting_customer": 0.5,
        },
    ),
    (
        math.inf,
        {
            "archived": 78,
            "closed": 10,
            "rejected": 6,
            "withdrawn": 5.5,
            "reopened": 0.3,
            "investigating": 0.2,
        },
    ),
)

# --- people and places ------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红文斌宇浩凯丹欣雪梅琳晨佳宁婷倩颖子涵雨轩浩然思远嘉怡欣怡俊杰梓萱一鸣"
ENGLISH_NAMES = ("Amy", "Tony", "Kevin", "Lisa", "Jack", "Coco", "David", "Vivian", "Leo", "Emma")
PHONE_PREFIXES = tuple(
    f"1{n}"
    for n in (
        30,
        31,
        32,
        33,
        35,
        36,
        37,
        38,
        39,
        50,
        51,
        52,
        53,
        55,
        56,
        57,
        58,
        59,
        66,
        77,
        80,
        81,
        82,
        83,
        85,
        86,
        87,
        88,
        89,
        91,
        98,
        99,
    )
)
MAIL_DOMAINS = ("163.com", "126.com", "sina.com", "foxmail.com", "outlook.com", "gmail.com")
SYLLABLES = ("wang", "li", "zhang", "liu", "chen", "yang", "huang", "zhao", "zhou", "wu", "xiao", "ming", "hua", "jing", "lei", "tian", "yu", "fei", "lin", "xin")  # fmt: skip

# (province, city, districts, weight by rough population of complainants)
REGIONS: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("", "北京市", ("朝阳区", "海淀区", "丰台区", "东城区", "西城区", "通州区", "昌平区"), 6),
    ("", "上海市", ("浦东新区", "闵行区", "徐汇区", "静安区", "宝山区", "杨浦区"), 6),
    ("", "天津市", ("和平区", "南开区", "滨海新区"), 2),
    ("", "重庆市", ("渝中区", "江北区", "渝北区", "沙坪坝区"), 3),
    ("广东省", "广州市", ("天河区", "越秀区", "海珠区", "白云区", "番禺区"), 5),
    ("广东省", "深圳市", ("南山区", "福田区", "宝安区", "龙岗区", "龙华区"), 5),
    ("广东省", "佛山市", ("禅城区", "南海区", "顺德区"), 2),
    ("浙江省", "杭州市", ("西湖区", "拱墅区", "余杭区", "滨江区", "上城区"), 4),
    ("浙江省", "宁波市", ("鄞州区", "海曙区", "江北区"), 2),
    ("浙江省", "金华市", ("义乌市", "婺城区"), 1),
    ("江苏省", "南京市", ("鼓楼区", "玄武区", "江宁区", "秦淮区"), 3),
    ("江苏省", "苏州市", ("姑苏区", "吴中区", "相城区", "昆山市"), 3),
    ("江苏省", "无锡市", ("梁溪区", "滨湖区"), 1.5),
    ("山东省", "济南市", ("历下区", "市中区", "槐荫区"), 2),
    ("山东省", "青岛市", ("市南区", "崂山区", "黄岛区"), 2),
    ("河南省", "郑州市", ("金水区", "二七区", "中原区"), 3),
    ("四川省", "成都市", ("武侯区", "锦江区", "青羊区", "成华区"), 4),
    ("湖北省", "武汉市", ("江汉区", "洪山区", "武昌区", "江岸区"), 3),
    ("湖南省", "长沙市", ("岳麓区", "芙蓉区", "雨花区"), 2.5),
    ("福建省", "福州市", ("鼓楼区", "仓山区"), 1.5),
    ("福建省", "厦门市", ("思明区", "湖里区"), 1.5),
    ("河北省", "石家庄市", ("长安区", "裕华区", "桥西区"), 2),
    ("陕西省", "西安市", ("雁塔区", "碑林区", "未央区"), 2.5),
    ("安徽省", "合肥市", ("蜀山区", "包河区", "庐阳区"), 2),
    ("辽宁省", "沈阳市", ("和平区", "沈河区", "浑南区"), 1.5),
    ("辽宁省", "大连市", ("中山区", "甘井子区"), 1),
    ("江西省", "南昌市", ("东湖区", "红谷滩区"), 1.5),
    ("广西壮族自治区", "南宁市", ("青秀区", "兴宁区"), 1.5),
    ("云南省", "昆明市", ("五华区", "盘龙区"), 1.5),
    ("黑龙江省", "哈尔滨市", ("南岗区", "道里区"), 1.5),
    ("吉林省", "长春市", ("朝阳区", "南关区"), 1),
    ("山西省", "太原市", ("小店区", "迎泽区"), 1),
    ("贵州省", "贵阳市", ("云岩区", "南明区"), 1),
    ("内蒙古自治区", "呼和浩特市", ("新城区", "赛罕区"), 0.5),
    ("新疆维吾尔自治区", "乌鲁木齐市", ("天山区", "沙依巴克区"), 0.5),
    ("甘肃省", "兰州市", ("城关区", "七里河区"), 0.5),
    ("海南省", "海口市", ("美兰区", "龙华区"), 0.5),
    ("宁夏回族自治区", "银川市", ("兴庆区",), 0.3),
    ("青海省", "西宁市", ("城东区",), 0.2),
    ("西藏自治区", "拉萨市", ("城关区",), 0.1),
)
ROADS = ("人民路", "解放路", "中山路", "建设路", "文三路", "长江路", "和平大街", "新华路")

# Complaints per hour of day (China time): mornings, after lunch and evenings.
HOUR_WEIGHTS = (
    0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.6, 1.0, 1.6, 1.9, 1.8,
    1.3, 1.2, 1.6, 1.7, 1.6, 1.4, 1.2, 1.4, 1.7, 1.6, 1.1, 0.6,
)  # fmt: skip
SPRING_FESTIVALS = (date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6))

TRADITIONAL_SHARE = 0.03
EMOJI_SHARE = 0.03
NEW_CUSTOMER_SHARE = 0.78
FREQUENT_SHARE = 0.02
"""Rows filed by a small set of serial complainants (about 20 complaints each)."""


# --- machinery --------------------------------------------------------------------------------


class _Weighted:
    """Weighted choice by one uniform draw and a bisect: much faster than ``random.choices``."""

    def __init__(self, weights: Mapping[str, float] | Sequence[tuple[Any, float]]) -> None:
        pairs = list(weights.items()) if isinstance(weights, Mapping) else list(weights)
        self.values = [value for value, _ in pairs]
        total = sum(weight for _, weight in pairs)
        self.cumulative = list(itertools.accumulate(weight / total for _, weight in pairs))
        self.cumulative[-1] = 1.0

    def pick(self, rng: random.Random) -> Any:
        return self.values[bisect.bisect_right(self.cumulative, rng.random())]


def _mix(value: int) -> int:
    """splitmix64: customer attributes are a pure function of the customer number and seed."""
    value = (value + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return value ^ (value >> 31)


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def simplified(text: str) -> str:
    """What a search that folds Traditional script to Simplified sees."""
    return str(_converter("t2s").convert(text))


@dataclass(frozen=True)
class _Customer:
    name: str
    phone: str | None
    email: str | None
    region: str | None


class _Context(dict[str, str]):
    """Template values drawn lazily, so a template pays only for the placeholders it has."""

    def __init__(
        self, rng: random.Random, line: Line, item: Item, fault: str, received_at: datetime
    ) -> None:
        super().__init__(noun=line.noun, short=item.short, item=item.short, fault=fault)
        self.rng = rng
        self.line = line
        self.received_at = received_at

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key == "n":
            value = str(rng.randint(2, 9))
        elif key == "days":
            value = str(rng.randint(3, 40))
        elif key == "money":
            value = str(rng.choice((5, 10, 20, 30, 50, 80, 100, 200, 300, 500)))
        elif key in {"month", "day"}:
            # A few days to two months before the complaint, never after it.
            bought = self.received_at - timedelta(days=int(rng.expovariate(1 / 12)) + 1)
            self["month"], self["day"] = str(bought.month), str(bought.day)
            return self[key]
        elif key == "place":
            value = rng.choice(self.line.places)
        elif key == "ticket":
            value = f"WO{rng.randrange(10**9, 10**10)}"
        elif key == "order":
            value = str(rng.randrange(10**15, 10**16))
        else:
            raise KeyError(key)
        self[key] = value
        return value


def _fill(template: str, context: _Context) -> str:
    return template.format_map(context) if "{" in template else template


class Generator:
    """One stream of rows; ``customers`` and the shares are known once it has run."""

    def __init__(
        self,
        count: int,
        seed: int,
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
        *,
        needles: bool = True,
    ) -> None:
        if count < 0:
            raise ValueError("count must not be negative")
        if start.tzinfo is None or end.tzinfo is None or not start < end:
            raise ValueError("start and end need timezones and start < end")
        self.count = count
        self.seed = seed
        self.start = start
        self.end = end
        self.needles = needles
        self.rng = random.Random(seed)
        self.frequent = max(5, count // 1000)
        # Customer numbers below ``frequent`` are the serial complainants.
        self.customers = self.frequent
        self.traditional_rows = 0
        self.last_traditional = False
        """Whether the row just yielded was converted to Traditional script."""
        self.emoji_rows = 0
        self._lines = _Weighted([(line, line.weight) for line in LINES])
        self._categories = _Weighted(CATEGORY_WEIGHTS)
        self._channels = _Weighted(CHANNEL_WEIGHTS)
        self._regions = _Weighted([(region, region[3]) for region in REGIONS])
        self._hours = _Weighted([(hour, weight) for hour, weight in enumerate(HOUR_WEIGHTS)])
        self._demand_picks = {name: _Weighted(weights) for name, weights in DEMAND_WEIGHTS.items()}
        self._target_types = {
            name: _Weighted(weights) for name, weights in TARGET_TYPE_WEIGHTS.items()
        }
        self._statuses = [(limit, _Weighted(weights)) for limit, weights in STATUS_BY_AGE]
        self._needles = [needle for needle in NEEDLES if needle.probability > 0]

    # The day of each row comes from per-day weights, so rows come out in time order (as an
    # export would) with weekday, festival and growth patterns instead of a flat spread.
    def _day_weights(self) -> list[tuple[datetime, float]]:
        days = []
        first = self.start.astimezone(CST).replace(hour=0, minute=0, second=0, microsecond=0)
        total = max(1, math.ceil((self.end - first).total_seconds() / 86400))
        for index in range(total):
            day = first + timedelta(days=index)
            weight = 0.7 + 0.6 * index / total  # the business grows
            weight *= (1.15, 1.0, 1.0, 1.0, 0.95, 0.85, 0.85)[day.weekday()]
            if day.month == 11 and 11 <= day.day <= 20:
                weight *= 2.2  # after Singles' Day
            elif day.month == 6 and 18 <= day.day <= 25:
                weight *= 1.6  # after the 618 sales
            if any(abs((day.date() - festival).days) <= 7 for festival in SPRING_FESTIVALS):
                weight *= 0.6
            days.append((day, weight))
        return days

    def _times(self) -> Iterator[datetime]:
        days = self._day_weights()
        total_weight = sum(weight for _, weight in days)
        rng = self.rng
        done = 0
        running = 0.0
        for day, weight in days:
            running += weight
            upto = self.count if day is days[-1][0] else round(self.count * running / total_weight)
            seconds = sorted(
                self._hours.pick(rng) * 3600 + rng.randrange(3600) for _ in range(upto - done)
            )
            done = upto
            for second in seconds:
                moment = day + timedelta(seconds=second)
                # Both ends are kept inside the window even on its partial first and last days.
                yield min(max(moment, self.start), self.end - timedelta(seconds=1))

    def _customer(self, number: int) -> _Customer:
        bits = _mix(number ^ (self.seed << 40))
        surname = SURNAMES[bits % len(SURNAMES)]
        style = (bits >> 8) % 100
        if style < 55:
            given = GIVEN[(bits >> 16) % len(GIVEN)]
            if (bits >> 24) % 3 == 0:
                given += GIVEN[(bits >> 28) % len(GIVEN)]
            name = surname + given
        elif style < 95:
            name = surname + ("女士" if style % 2 else "先生")
        else:
            name = f"{ENGLISH_NAMES[(bits >> 16) % len(ENGLISH_NAMES)]} {surname}"
        has_phone = (bits >> 34) % 100 < 95
        has_email = not has_phone or (bits >> 41) % 100 < 35
        phone = None
        if has_phone:
            # An odd multiplier not divisible by 5 is a bijection modulo 10^8: no two customers
            # of one run share a number.
            digits = (number * 3_456_789 + self.seed * 7_654_321) % 100_000_000
            phone = f"{PHONE_PREFIXES[(bits >> 44) % len(PHONE_PREFIXES)]}{digits:08d}"
        email = None
        if has_email:
            if (bits >> 50) % 2:
                email = f"{10_000 + (number * 7 + self.seed) % 3_000_000_000}@qq.com"
            else:
                handle = SYLLABLES[(bits >> 52) % len(SYLLABLES)]
                domain = MAIL_DOMAINS[(bits >> 57) % len(MAIL_DOMAINS)]
                email = f"{handle}{number}@{domain}"
        region = None
        if (bits >> 60) % 10:
            province, city, districts, _ = REGIONS[
                bisect.bisect_right(self._regions.cumulative, ((bits >> 12) % 10_000) / 10_000)
            ]
            region = province + city + districts[(bits >> 20) % len(districts)]
        return _Customer(name, phone, email, region)

    def _next_customer(self) -> _Customer:
        rng = self.rng
        draw = rng.random()
        if draw < FREQUENT_SHARE:
            return self._customer(rng.randrange(self.frequent))
        if draw < FREQUENT_SHARE + (1 - NEW_CUSTOMER_SHARE) and self.customers > self.frequent:
            # Someone who complained recently comes back (a follow-up, a second product).
            number = self.customers - 1 - int(rng.expovariate(1 / max(1.0, self.count / 200)))
            if number < self.frequent:  # early in the stream: anyone seen so far
                number = rng.randrange(self.frequent, self.customers)
            return self._customer(number)
        self.customers += 1
        return self._customer(self.customers - 1)

    def _target(self, category: str, line: Line, item: Item, region: str | None) -> tuple[str, str]:
        rng = self.rng
        kind = "product"
        if category in self._target_types:
            kind = self._target_types[category].pick(rng)
        elif rng.random() < 0.1:
            kind = rng.choice(("order", "store", "service"))
        if kind == "order":
            return kind, f"订单 {rng.randrange(10**15, 10**16)} {item.short}"
        if kind == "store":
            store = rng.choice(line.stores)
            if "（" not in store and region:
                store = f"{store}（{region[-3:]}{rng.choice(ROADS)}）"
            return kind, store
        if kind == "staff":
            staff = rng.choice(DELIVERY_STAFF if category == "logistics" else line.staff)
            return kind, f"{staff} 工号{rng.choice('ABCDK')}{rng.randrange(1000, 99999)}"
        if kind == "service":
            service = rng.choice(line.services)
            brand = item.target.split(" ")[0]
            return kind, service if " " in service else f"{brand} {service}"
        return kind, item.target

    def _demands(self, category: str) -> list[str]:
        rng = self.rng
        draw = rng.random()
        wanted = 1 if draw < 0.55 else 2 if draw < 0.9 else 3
        chosen: list[str] = []
        for _ in range(wanted * 2):
            demand = self._demand_picks[category].pick(rng)
            if demand not in chosen:
                chosen.append(demand)
            if len(chosen) == wanted:
                break
        return chosen

    def _text(
        self,
        category: str,
        line: Line,
        item: Item,
        demands: list[str],
        channel: str,
        received_at: datetime,
    ) -> tuple[str, str]:
        """The description and its priority (from what the text says: safety, threats, anger)."""
        rng = self.rng
        fault = rng.choice(line.faults)
        context = _Context(rng, line, item, fault, received_at)
        target_length = min(MAX_CHARS, max(MIN_CHARS, int(rng.lognormvariate(3.8, 0.85))))
        angry = threat = False
        parts: list[str] = []
        if target_length < 30:
            gripes = SAFETY_GRIPES[line.kind] if category == "safety" else SHORT_GRIPES[category]
            gripe = _fill(rng.choice(gripes), context)
            # A needle may follow: the gripe needs its own end.
            parts.append(gripe if gripe[-1] in "，。！？!?" else gripe + "，")
        else:
            if rng.random() < 0.6:
                parts.append(_fill(rng.choice(OPENERS_BY_LINE.get(line.name, OPENERS)), context))
            if category == "product_quality":
                durable = line.kind != "food" and line.name != "酒店"
                used = durable and rng.random() < 0.4
                issue = f"{'用了不到' + context['n'] + '天就' if used else ''}{fault}"
            elif category == "logistics" and not line.online:
                issue = _fill(rng.choice(ISSUES["communication"]), context)
            elif category == "safety":
                issue = _fill(rng.choice(SAFETY[line.kind]), context)
            else:
                issue = _fill(rng.choice(ISSUES[category]), context)
            parts.append(issue + "，")
            length = sum(map(len, parts))
            pool = []
            if target_length > 60:
                # A random start and a stride coprime with the length visit every fragment once
                # in a varied order, at a fraction of the cost of random.sample.
                size = len(ELABORATIONS)
                first, stride = rng.randrange(size), rng.choice(_STRIDES)
                pool = [ELABORATIONS[(first + step * stride) % size] for step in range(size)]
            if target_length > 60 and rng.random() < 0.5:
                pool.append(rng.choice(OPENERS).rstrip("，") + "。")
            while length < target_length - 20 and pool:
                part = _fill(pool.pop(), context)
                parts.append(part)
                length += len(part)
                if rng.random() < 0.15:
                    parts.append(rng.choice(FEELINGS))
            if rng.random() < 0.12:
                parts.append(rng.choice(ANGRY))
                angry = True
            if rng.random() < 0.07:
                parts.append(rng.choice(THREATS))
                threat = True
            for demand in demands[: 1 + (target_length > 120)]:
                parts.append(rng.choice(DEMAND_SENTENCES[demand]))
            parts.append(rng.choice(CLOSERS))
        if self.needles:
            for needle in self._needles:
                if (not needle.lines or line.name in needle.lines) and (
                    rng.random() < needle.probability
                ):
                    # After the opener, so the needle sits mid-sentence as words usually do.
                    parts.insert(min(1, len(parts)), rng.choice(needle.phrases) + "，")
        if channel in CHANNEL_PREFIX:
            parts.insert(0, rng.choice(CHANNEL_PREFIX[channel]))
        text = "".join(parts).replace("，。", "。").replace("，，", "，")
        if text.endswith("，"):
            text = text[:-1] + "。"
        if rng.random() < EMOJI_SHARE:
            text += rng.choice(EMOJI)
            self.emoji_rows += 1
        if len(text) < MIN_CHARS:
            text += ("" if text[-1] in "。！？!?" else "，") + rng.choice(PADDING)
        if len(text) > MAX_CHARS:
            cut = text.rfind("。", 0, MAX_CHARS)
            text = text[: cut + 1] if cut >= MIN_CHARS else text[:MAX_CHARS]
        if category == "safety":
            priority = "P1" if rng.random() < 0.7 else "P2"
        elif threat:
            priority = "P1" if angry else "P2"
        elif angry:
            priority = "P3"
        else:
            priority = "P4" if rng.random() < 0.8 else "P3"
        return text, priority

    def __iter__(self) -> Iterator[Row]:
        rng = self.rng
        statuses = self._statuses
        for received_at in self._times():
            line: Line = self._lines.pick(rng)
            category: str = self._categories.pick(rng)
            if category == "logistics" and not line.online and rng.random() < 0.7:
                category = "communication"
            item = rng.choice(line.items)
            customer = self._next_customer()
            channel: str = self._channels.pick(rng)
            demands = self._demands(category)
            target_type, target = self._target(category, line, item, customer.region)
            description, priority = self._text(category, line, item, demands, channel, received_at)
            self.last_traditional = rng.random() < TRADITIONAL_SHARE
            if self.last_traditional:
                description = _converter(rng.choice(("s2t", "s2tw", "s2hk"))).convert(description)
                self.traditional_rows += 1
            age = (self.end - received_at).total_seconds() / 86400
            status = next(pick for limit, pick in statuses if age < limit).pick(rng)
            yield Row(
                complainant_name=customer.name,
                phone=customer.phone,
                email=customer.email,
                channel=channel,
                region=customer.region,
                target=target,
                target_type=target_type,
                product_line=line.name,
                description=description,
                demands=demands,
                received_at=received_at,
                status=status,
                category=category,
                priority=priority,
            )


def rows(
    count: int, seed: int = 1, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END
) -> Iterator[Row]:
    """``count`` complaints received between ``start`` and ``end``, in time order."""
    return iter(Generator(count, seed, start, end))


def csv_record(row: Row) -> list[str]:
    return [
        row["complainant_name"],
        row["phone"] or "",
        row["email"] or "",
        row["channel"],
        row["region"] or "",
        row["target"],
        row["target_type"],
        row["product_line"],
        row["description"],
        ";".join(row["demands"]),
        row["received_at"].isoformat(),
        row["status"],
        row["category"],
        row["priority"],
    ]


def sidecar_path(csv_path: Path | str) -> Path:
    """``complaints.csv`` → ``complaints.stats.json``."""
    path = Path(csv_path)
    return path.with_name(path.stem + ".stats.json")


MatchField = Literal["description", "description_simplified", "target", "any_text"]
MATCH_FIELDS: tuple[MatchField, ...] = (
    "description",
    "description_simplified",
    "target",
    "any_text",
)


class _NeedleCounter:
    """Rows holding each word: exactly as stored, after folding Traditional script, in the
    target, and in any text column."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        self.counts = {word: Counter[str]() for word in self.words}

    def add(self, row: Row, traditional: bool) -> None:
        description = row["description"]
        # Only Traditional rows change when folded: the templates are written in Simplified.
        folded = simplified(description) if traditional else description
        for word in self.words:
            counts = self.counts[word]
            exact = word in description
            if exact:
                counts["description"] += 1
            if exact or word in folded:
                counts["description_simplified"] += 1
            in_target = word in row["target"]
            if in_target:
                counts["target"] += 1
            if (
                exact
                or in_target
                or word in row["complainant_name"]
                or word in row["product_line"]
                or word in (row["region"] or "")
            ):
                counts["any_text"] += 1


def write_csv(
    path: Path | str,
    count: int,
    seed: int = 1,
    start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END,
) -> dict[str, Any]:
    """Write ``count`` rows and the sidecar JSON of their counts; returns what the sidecar holds."""
    generator = Generator(count, seed, start, end)
    needles = _NeedleCounter([needle.word for needle in NEEDLES])
    categories: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    channels: Counter[str] = Counter()
    lengths: list[int] = []
    phones: Counter[int] = Counter()
    started = time.perf_counter()
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for row in generator:
            writer.writerow(csv_record(row))
            needles.add(row, generator.last_traditional)
            categories[row["category"]] += 1
            statuses[row["status"]] += 1
            channels[row["channel"]] += 1
            lengths.append(len(row["description"]))
            if row["phone"] is not None:
                phones[int(row["phone"])] += 1
    lengths.sort()

    def at(share: float) -> int:
        return lengths[min(len(lengths) - 1, int(share * len(lengths)))] if lengths else 0

    stats: dict[str, Any] = {
        "generator_version": VERSION,
        "count": count,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "seconds": round(time.perf_counter() - started, 1),
        "needles": {
            needle.word: {
                "inserted_with_probability": needle.probability,
                "for_product_lines": list(needle.lines),
                **{name: needles.counts[needle.word][name] for name in MATCH_FIELDS},
            }
            for needle in NEEDLES
        },
        "description_length": {
            "min": at(0),
            "p50": at(0.5),
            "p90": at(0.9),
            "p99": at(0.99),
            "max": lengths[-1] if lengths else 0,
        },
        "categories": dict(categories.most_common()),
        "statuses": dict(statuses.most_common()),
        "channels": dict(channels.most_common()),
        "customers": generator.customers,
        "phones": len(phones),
        "phones_on_several_complaints": sum(1 for uses in phones.values() if uses > 1),
        "most_complaints_on_one_phone": max(phones.values(), default=0),
        "traditional_rows": generator.traditional_rows,
        "emoji_rows": generator.emoji_rows,
    }
    sidecar_path(path).write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n")
    return stats


def expected_matches(csv_path: Path | str, word: str, field: MatchField = "description") -> int:
    """Rows of a generated CSV holding a needle, from its sidecar."""
    stats = json.loads(sidecar_path(csv_path).read_text(encoding="utf-8"))
    if word not in stats["needles"]:
        raise KeyError(f"{word} is not a needle; use count_matches")
    return int(stats["needles"][word][field])


def count_matches(
    word: str,
    count: int,
    seed: int = 1,
    field: MatchField = "description",
    start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END,
) -> int:
    """Rows holding any ``word``, by generating the same rows again (about 30 s per million)."""
    counter = _NeedleCounter([word])
    generator = Generator(count, seed, start, end)
    for row in generator:
        counter.add(row, generator.last_traditional)
    return counter.counts[word][field]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--end",
        type=datetime.fromisoformat,
        default=DEFAULT_END,
        help="Newest received_at, with timezone (default %(default)s); the rows span two years.",
    )
    args = parser.parse_args(argv)
    end: datetime = args.end
    started = time.perf_counter()
    stats = write_csv(args.out, args.count, args.seed, end - timedelta(days=730), end)
    elapsed = time.perf_counter() - started
    print(
        f"{args.count:,} complaints → {args.out} in {elapsed:.1f} s "
        f"({args.count / elapsed:,.0f} rows/s); counts in {sidecar_path(args.out)}"
    )
    for word, counts in stats["needles"].items():
        print(
            f"  {word}: {counts['description']:,} rows ({counts['description_simplified']:,} folded)"
        )


if __name__ == "__main__":
    main()
