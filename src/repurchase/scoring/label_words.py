"""Labels of the lists in ``export.language``: RFM segments, bands, offers and the kinds of the
need list's categories. The codes stay in their own columns for machines (``rfm_code``, ``band``,
``offer``); these are the words beside them for people."""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

from repurchase.config.features import DEFAULT_SEGMENT_LABELS

if TYPE_CHECKING:
    from repurchase.config import Config

#: the words beside the codes, appended to both lists
LABEL_COLUMNS = ["segment_label", "band_label", "offer_label"]

EVENT_TYPES_ZH = {"message": "群内发言", "checkin": "签到", "share": "分享", "coupon_claim": "领券",
                  "coupon_redeem": "用券", "referral": "推荐", "group_join": "入群", "group_leave": "退群",
                  "campaign_receipt": "收到活动"}
EVENT_TYPES_EN = {"message": "group messages", "checkin": "check-ins", "share": "shares", "coupon_claim": "coupons claimed",
                  "coupon_redeem": "coupons used", "referral": "referrals", "group_join": "group joins",
                  "group_leave": "group exits", "campaign_receipt": "campaign mailings"}
WEEKDAYS = {"en": ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"],
            "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]}


SEGMENTS_ZH = {"111": "重要价值客户", "011": "重要保持客户", "101": "重要发展客户", "001": "重要挽留客户",
               "110": "一般价值客户", "010": "一般保持客户", "100": "一般发展客户", "000": "一般挽留客户"}
BANDS = {"en": {"high": "high", "medium": "medium", "low": "low"}, "zh": {"high": "高", "medium": "中", "low": "低"}}
KINDS = {"en": {"due": "due", "upgrade": "upgrade", "related": "related", "next": "next", "regular": "regular"},
         "zh": {"due": "到期", "upgrade": "升级", "related": "关联", "next": "接着买", "regular": "常买"}}
_KIND_TEXT = re.compile(r"\((due|upgrade|related|next|regular)\)")


def offer_label(lang: str, discount_pct: float, expiry_days: int) -> str:
    """'50% off, valid 7 days' / '5折券，7天有效'; a tier without a discount is a reminder."""
    if not discount_pct:
        return "提醒（无优惠）" if lang == "zh" else "reminder, no discount"
    if lang == "zh":
        pay = (100 - discount_pct) / 10
        fold = f"{pay:g}折券"
        return fold + (f"，{int(expiry_days)}天有效" if expiry_days else "")
    valid = f", valid {int(expiry_days)} day{'' if int(expiry_days) == 1 else 's'}" if expiry_days else ""
    return f"{discount_pct:g}% off{valid}"


def segment_label(lang: str, code: str, configured: str, default: str) -> str:
    """The RFM segment in ``lang``: the configured label when the shop renamed it, else ours."""
    if lang == "zh" and configured == default:
        return SEGMENTS_ZH.get(code, configured)
    return configured


def kinds_in(lang: str, text: str) -> str:
    """The need list's ``top_categories`` with its kinds ("(due)") in ``lang``."""
    if lang == "en" or not text:
        return text
    return _KIND_TEXT.sub(lambda m: f"({KINDS[lang][m.group(1)]})", text)


def list_labels(frame, config: "Config") -> dict:
    """``segment_label``, ``band_label`` and ``offer_label`` for the rows of a list ``frame``
    (columns ``rfm_code``, ``rfm_segment``, ``band``, ``offer``) in ``export.language``, the offers
    described from their tiers (``scoring.offers``)."""
    lang, offers = config.export.language, config.scoring.offers
    segment_labels, default_labels = config.features.segment_labels, DEFAULT_SEGMENT_LABELS
    tiers = {t.name: offer_label(lang, t.discount_pct, t.expiry_days) for t in offers}
    none = "无优惠" if lang == "zh" else "no offer"
    seg = {code: segment_label(lang, code, segment_labels.get(code, default_labels.get(code, code)),
                               default_labels.get(code, "")) for code in default_labels}
    return {"segment_label": [seg.get(c, s) for c, s in zip(frame["rfm_code"], frame["rfm_segment"])],
            "band_label": [BANDS[lang].get(b, b) for b in frame["band"]],
            "offer_label": [tiers.get(o, none) for o in frame["offer"]]}
