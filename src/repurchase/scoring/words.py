"""The words of the lists, in English and Chinese (``export.language``): one sentence per feature
family, said the way a CRM agent would say it, and the labels of segments, bands, offers and
category kinds. Numbers are rounded for people (whole days, money without cents, one decimal for
ratios, whole percents); an internal model's probability is never shown, only what it means. A
phrase returns "" when a feature has nothing worth saying to an agent (the reason is left out).
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

import numpy as np

from repurchase.scoring.label_words import EVENT_TYPES_EN, EVENT_TYPES_ZH, WEEKDAYS
from repurchase.scoring.numbers import _finite, ago, count, days, duration, pct, ratio, whole

LANGUAGES = ("en", "zh")

# --- feature families ------------------------------------------------------------------------------

Phrase = Callable[[str, float, Mapping[str, float]], str]

#: a usual gap to compare recency with: the recent median gap, else the mean
_GAP_COLUMNS = ("gap_median_last10_days", "gap_mean_days")

def _usual_gap(row: Mapping[str, float]) -> float | None:
    for col in _GAP_COLUMNS:
        g = row.get(col)
        if _finite(g) and g > 0:
            return float(g)
    return None


def last_order(lang: str, v: float, row: Mapping[str, float]) -> str:
    """Recency against the customer's own rhythm."""
    g = _usual_gap(row)
    when = ago(lang, v)
    if g is None:
        return f"上次购买是{when}" if lang == "zh" else f"last bought {when}"
    r, n_gap = v / g, int(round(g))
    times = f"{r:.1f}" if r < 10 else f"{r:.0f}"
    if lang == "zh":
        head = f"上次购买是{when}"
        if r >= 3:
            return f"{head}，是平时 {n_gap} 天间隔的 {times} 倍"
        if r >= 2:
            return f"{head}，比平时 {n_gap} 天的间隔长了一倍多"
        if r >= 1.2:
            return f"{head}，比平时 {n_gap} 天的间隔更久"
        if r < 0.8:
            return f"{when.strip()}刚买过（平时每 {n_gap} 天买一次）"
        return f"{head}，接近平时 {n_gap} 天的间隔"
    head, usual_gap = f"last bought {when}", f"{n_gap:,}-day gap"
    if r >= 3:
        return f"{head}, {times} times the usual {usual_gap}"
    if r >= 2:
        return f"{head}, more than twice the usual {usual_gap}"
    if r >= 1.2:
        return f"{head}, longer than the usual {usual_gap}"
    if r < 0.8:
        return f"bought only {when} (usually every {days(lang, g)})"
    return f"{head}, about the usual {usual_gap}"


def _trend(what_en: str, what_zh: str, w: int) -> Phrase:
    """(a - b) / (a + b) of the last w days against the w before, as a change people read."""
    def phrase(lang: str, t: float, row) -> str:
        if t >= 1:
            return f"近 {w} 天才开始{what_zh}" if lang == "zh" else f"{what_en} started in the last {w} days"
        if t <= -1:
            return (f"近 {w} 天没有{what_zh}（之前 {w} 天有）" if lang == "zh"
                    else f"no {what_en} in the last {w} days, after some in the {w} before")
        change = 200 * t / (1 - t)
        if abs(change) < 5:
            return f"近 {w} 天{what_zh}与之前持平" if lang == "zh" else f"{what_en} steady over the last {w} days"
        if lang == "zh":
            return f"近 {w} 天{what_zh}比之前 {w} 天{'增加' if change > 0 else '减少'} {abs(change):.0f}%"
        return f"{what_en} {'up' if change > 0 else 'down'} {abs(change):.0f}% in the last {w} days (vs the {w} before)"
    return phrase


def _quintile(high_en: str, low_en: str, high_zh: str, low_zh: str) -> Phrase:
    def phrase(lang: str, q: float, row) -> str:
        if q >= 4:
            return high_zh if lang == "zh" else high_en
        if q <= 2:
            return low_zh if lang == "zh" else low_en
        return ""  # the middle of the population says nothing
    return phrase


#: how a sentence's one number is written, per kind of quantity
FORMATS: dict[str, Callable[[str, float], str]] = {
    "days": days,
    "ago": ago,
    "money": lambda lang, v: whole(v),
    "ratio": lambda lang, v: ratio(v),
    "pct": lambda lang, v: pct(v),
    "orders": lambda lang, v: count(lang, v, "order", "orders", "次"),
    "hour": lambda lang, v: f"{int(v) % 24}:00" if lang == "en" else f"{int(v) % 24} 点",
}


def _simple(en: str, zh: str, kind: str) -> Phrase:
    """A sentence with one number ``{v}``, written as a ``kind`` of :data:`FORMATS`."""
    return lambda lang, v, row: (zh if lang == "zh" else en).format(v=FORMATS[kind](lang, v)).strip()


def _or_zero(phrase: Phrase, en: str, zh: str) -> Phrase:
    """``phrase``, but ``en`` / ``zh`` when the value rounds to 0 ("nothing spent", not "spent 0";
    "" to say nothing)."""
    return lambda lang, v, row: (zh if lang == "zh" else en) if round(v, 2) == 0 else phrase(lang, v, row)


def _or_within_a_day(phrase: Phrase) -> Phrase:
    """A gap under half a day is orders placed the same day, not "every 0 days"."""
    return lambda lang, v, row: (("通常当天再次下单" if lang == "zh" else "usually orders again the same day")
                                 if v < 0.5 else phrase(lang, v, row))


def _weekday(lang: str, v: float, row) -> str:
    day = WEEKDAYS[lang][int(v) % 7]
    return f"通常在{day}购买" if lang == "zh" else f"usually buys on {day}"


def _flag(en_yes: str, en_no: str, zh_yes: str, zh_no: str) -> Phrase:
    return lambda lang, v, row: (zh_yes if v >= 0.5 else zh_no) if lang == "zh" else (en_yes if v >= 0.5 else en_no)


def _rhythm_steadiness(lang: str, sd: float, row) -> str:
    mean = row.get("gap_mean_days")
    if not (_finite(mean) and mean > 0):
        return ""
    steady = sd / mean < 0.5
    if lang == "zh":
        return "购买节奏很规律" if steady else "购买节奏不太规律"
    return "buys at a steady rhythm" if steady else "buys at an irregular rhythm"


#: feature name -> phrase; windowed names (orders_90d) and per-category ones are in :func:`phrase_for`
PHRASES: dict[str, Phrase] = {
    "days_since_last_order": last_order,
    "days_since_first_order": lambda lang, v, row: (f"已是 {duration(lang, v)}的老顾客" if lang == "zh"
                                                    else f"a customer for {duration(lang, v)}"),
    "orders_count": _simple("{v} in all", "累计下单 {v}", "orders"),
    "spend_total": _simple("spent {v} in all", "累计消费 {v}", "money"),
    "avg_order_value": _simple("orders average {v}", "平均每单 {v}", "money"),
    "max_order_value": _simple("largest order {v}", "最大一单 {v}", "money"),
    "r_score": _quintile("bought more recently than most customers", "has not bought as recently as most customers",
                         "比多数顾客买得更近", "比多数顾客更久没买"),
    "f_score": _quintile("buys more often than most customers", "buys less often than most customers",
                         "比多数顾客买得更勤", "比多数顾客买得少"),
    "m_score": _quintile("spends more than most customers", "spends less than most customers",
                         "比多数顾客花得多", "比多数顾客花得少"),
    "gap_mean_days": _or_within_a_day(_simple("usually buys every {v}", "平均每 {v}买一次", "days")),
    "gap_std_days": _rhythm_steadiness,
    "gap_median_last10_days": _or_within_a_day(_simple("lately buys every {v}", "最近每 {v}买一次", "days")),
    "due_ratio": _simple("{v} times their usual gap since the last order", "距上次购买已是平时间隔的 {v} 倍", "ratio"),
    "orders_trend_90d": _trend("orders", "下单", 90),
    "preferred_weekday": _weekday,
    "preferred_hour": _simple("usually buys around {v}", "通常在 {v}左右购买", "hour"),
    "categories_bought_count": lambda lang, v, row: (f"买过 {int(round(v))} 个品类" if lang == "zh"
                                                     else f"has bought {count(lang, v, 'category', 'categories', '')}"),
    "top_category_share": _or_zero(_simple("{v} of purchases in their favourite category", "{v} 的购买集中在最常买的品类",
                                           "pct"), "", ""),
    "categories_due_count": lambda lang, v, row: (f"{int(round(v))} 个常买品类到了回购周期" if lang == "zh"
                                                  else f"{count(lang, v, 'usual category is', 'usual categories are', '')} due for a refill"),
    "max_category_due_ratio": _simple("a usual category at {v} times its cycle", "有常买品类已到平时周期的 {v} 倍", "ratio"),
    "discount_order_share": _simple("{v} of orders used a discount", "{v} 的订单用了优惠", "pct"),
    "avg_discount_depth": _simple("discounts average {v} off", "平均优惠幅度 {v}", "pct"),
    "coupon_redeem_rate": _simple("used {v} of the coupons they claimed", "领到的券用掉了 {v}", "pct"),
    "coupons_open": lambda lang, v, row: (f"有 {int(round(v))} 张未用的优惠券" if lang == "zh"
                                          else f"{count(lang, v, 'unused coupon', 'unused coupons', '')}"),
    "days_to_coupon_expiry": _simple("a coupon expires in {v}", "有优惠券 {v}后到期", "days"),
    "events_30d": lambda lang, v, row: (f"近 30 天社群互动 {int(round(v))} 次" if lang == "zh"
                                        else f"{count(lang, v, 'community activity', 'community activities', '')} in the last 30 days"),
    "engagement_trend_30d": _trend("community activity", "社群互动", 30),
    "days_since_last_engagement": _simple("last active in the community {v}", "最近一次社群互动是{v}", "ago"),
    "most_active_hour_90d": _simple("most active around {v}", "通常在 {v}左右活跃", "hour"),
    "referrals_made": lambda lang, v, row: (f"推荐了 {int(round(v))} 位好友" if lang == "zh"
                                            else f"referred {count(lang, v, 'friend', 'friends', '')}"),
    "in_group": _flag("in a community group", "not in a community group", "在社群中", "不在社群中"),
    "days_since_joined_group": _simple("joined the group {v}", "{v}入群", "ago"),
    "checkin_rate_30d": _simple("checked in on {v} of the last 30 days", "近 30 天签到率 {v}", "pct"),
    "days_since_registered": lambda lang, v, row: (f"注册已 {duration(lang, v)}" if lang == "zh"
                                                   else f"registered {duration(lang, v)} ago"),
    # the btyd group: the customer's rhythm in words, never the internal model's name or probability
    "btyd_repeat_days": lambda lang, v, row: (f"首购后又在 {int(round(v))} 个不同的日子买过" if lang == "zh"
                                              else f"bought on {count(lang, v, 'more day', 'more days', '')} after the first"),
    "btyd_recency_days": _or_zero(_simple("{v} between their first and last purchase", "首购到最近一次购买相隔 {v}", "days"),
                                  "bought on one day only", "只在一天买过"),
    "btyd_age_days": _simple("first bought {v}", "首次购买是{v}", "ago"),
    "bgnbd_p_alive": _flag("still buying at their usual rhythm", "has gone quiet for their usual rhythm",
                           "仍按平时的节奏在购买", "按平时的节奏看已经沉寂"),
    "bgnbd_expected_purchases_90d": _simple("about {v} purchases expected in 90 days at their rhythm",
                                            "按购买节奏，90 天内预计购买约 {v} 次", "ratio"),
}

#: what to say when the value is missing (a customer who never did the thing); absent: say nothing
MISSING = {
    "days_since_last_engagement": ("never active in the community", "从未参与社群互动"),
    "days_to_coupon_expiry": ("no open coupon", "没有未用的优惠券"),
    "checkin_rate_30d": ("no check-ins", "没有签到"),
    "days_since_joined_group": ("not in a community group", "不在社群中"),
    "engagement_trend_30d": ("no community activity lately", "近期没有社群互动"),
}

_WINDOW = re.compile(r"^(?P<base>.+)_(?P<w>\d+)d$")


def _windowed(base: str, w: int, event_types: bool) -> Phrase | None:
    if base == "orders":
        return _or_zero(lambda lang, v, row: (f"近 {w} 天下单 {int(round(v))} 次" if lang == "zh"
                                              else f"{count(lang, v, 'order', 'orders', '')} in the last {w} days"),
                        f"no orders in the last {w} days", f"近 {w} 天没有下单")
    if base == "spend":
        return _or_zero(lambda lang, v, row: f"近 {w} 天消费 {whole(v)}" if lang == "zh" else f"spent {whole(v)} in the last {w} days",
                        f"nothing spent in the last {w} days", f"近 {w} 天没有消费")
    if base == "events":
        return lambda lang, v, row: (f"近 {w} 天社群互动 {int(round(v))} 次" if lang == "zh"
                                     else f"{count(lang, v, 'community activity', 'community activities', '')} in the last {w} days")
    if base.startswith("bgnbd_p_buy"):
        return None
    if event_types:  # {event_type}_{w}d
        en = EVENT_TYPES_EN.get(base, base.replace("_", " "))
        zh = EVENT_TYPES_ZH.get(base, base)
        return lambda lang, v, row: f"近 {w} 天{zh} {int(round(v))} 次" if lang == "zh" else f"{whole(v)} {en} in the last {w} days"
    return None


def phrase_for(name: str, group: str | None) -> tuple[Phrase | None, tuple[str, str] | None]:
    """The phrase of a feature column (and its words for a missing value), from its family.

    ``group``: the feature's catalog group (None: not in the catalog; it is then not explained).
    """
    if name in PHRASES:
        return PHRASES[name], MISSING.get(name)
    if name.startswith("due_ratio_"):
        cat = name[len("due_ratio_"):]
        return (lambda lang, v, row: (f"「{cat}」距上次购买已是平时周期的 {ratio(v)} 倍" if lang == "zh"
                                      else f"{cat}: last bought {ratio(v)} times its usual cycle ago"),
                (f"never bought {cat}", f"从未买过「{cat}」"))
    m = _WINDOW.match(name)
    if m is not None:
        base, w = m.group("base"), int(m.group("w"))
        if base == "bgnbd_p_buy":
            return (lambda lang, v, row: (f"按购买节奏，{w} 天内很可能再买" if v >= 0.5 else f"按购买节奏，{w} 天内不太可能再买")
                    if lang == "zh" else (f"by their buying rhythm, likely to buy within {w} days" if v >= 0.5
                                          else f"by their buying rhythm, unlikely to buy within {w} days")), None
        return _windowed(base, w, group == "engagement"), None
    return None, None


def leaning(name: str, values: np.ndarray) -> np.ndarray:
    """Per value: +1 when the sentence of ``name`` reads as a sign of buying again ("still buying
    at their usual rhythm"), -1 as a sign of lapsing ("unlikely to buy within 90 days"), 0 when it
    reads neither way (missing values too). A churn reason must not read as a sign of buying, nor
    a need reason as one of lapsing, even where the trees' interactions credit it so."""
    v = np.asarray(values, float)
    out = np.zeros(len(v), dtype=np.int8)
    ok = np.isfinite(v)
    if name == "bgnbd_p_alive" or name.startswith("bgnbd_p_buy_"):
        out[ok] = np.where(v[ok] >= 0.5, 1, -1)
    elif name in ("r_score", "f_score"):
        out[ok] = np.where(v[ok] >= 4, 1, np.where(v[ok] <= 2, -1, 0))
    elif name == "in_group":
        out[ok] = np.where(v[ok] >= 1, 1, -1)
    return out


def say(name: str, group: str | None, lang: str, value: float, row: Mapping[str, float]) -> str:
    """One feature's sentence for one row ("" when there is nothing worth saying)."""
    phrase, missing = phrase_for(name, group)
    if phrase is None:
        return ""
    if not _finite(value):
        return "" if missing is None else missing[LANGUAGES.index(lang)]
    return phrase(lang, float(value), row)
