"""The bilingual topic glossary: common study topics as written in English and in Chinese, mapped to one term."""

from __future__ import annotations

import re
from collections.abc import Sequence

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")

# Common study topics as people write them in English and in Chinese, each mapped to one shared term, so that
# a member who writes 机器学习 and one who writes "machine learning" share a term in the TF-IDF part of the
# interest vector, and the shared name joins the text the n-gram encoder reads (n-grams see no likeness
# between the two scripts). Topic names only, not a dictionary: a form found in a text adds its topic beside
# the words themselves. English forms match as whole words (plural "s" too), Chinese forms as substrings.
# To add a topic, add a line; keep forms specific enough not to fire on everyday chat.
TOPIC_GLOSSARY: dict[str, tuple[str, ...]] = {
    "programming": ("programming", "coding", "编程", "程序设计", "写代码"),
    "web development": (
        "web development",
        "frontend",
        "front-end",
        "backend",
        "back-end",
        "前端",
        "后端",
        "网页开发",
        "网站开发",
    ),
    "algorithms": ("algorithm", "data structure", "算法", "数据结构"),
    "databases": ("database", "数据库"),
    "data analysis": ("data analysis", "data analytics", "数据分析"),
    "data science": ("data science", "数据科学"),
    "statistics": ("statistics", "统计学", "概率论"),
    "mathematics": (
        "math",
        "maths",
        "mathematics",
        "calculus",
        "linear algebra",
        "数学",
        "微积分",
        "线性代数",
    ),
    "machine learning": ("machine learning", "机器学习"),
    "deep learning": ("deep learning", "neural network", "深度学习", "神经网络"),
    "ai": ("artificial intelligence", "ai", "人工智能"),
    "design": ("design", "设计"),
    "ui": ("ui", "user interface", "界面"),
    "ux": ("ux", "user experience", "用户体验", "交互设计"),
    "english": ("english", "英语", "英文"),
    "japanese": ("japanese", "日语", "日文"),
    "chinese": ("chinese", "mandarin", "中文", "汉语", "普通话"),
    "speaking": ("speaking", "spoken", "口语"),
    "ielts": ("ielts", "雅思"),
    "toefl": ("toefl", "托福"),
    "writing": ("writing", "写作"),
    "project management": ("project management", "project manager", "项目管理", "项目经理"),
    "agile": ("agile", "scrum", "敏捷"),
    "product management": ("product management", "product manager", "产品经理", "产品管理"),
    "marketing": ("marketing", "营销", "市场推广"),
    "seo": ("seo", "search engine optimisation", "search engine optimization", "搜索引擎优化"),
    "social media": ("social media", "社交媒体", "自媒体"),
    "copywriting": ("copywriting", "文案"),
    "finance": ("finance", "financial", "金融", "财务", "理财"),
    "investing": ("investing", "investment", "投资"),
    "accounting": ("accounting", "accountant", "会计"),
    "economics": ("economics", "经济学"),
    "photography": ("photography", "摄影"),
    "video editing": ("video editing", "视频剪辑", "剪辑"),
    "job interviews": ("job interview", "interview", "面试", "简历", "resume"),
}
GLOSSARY_PREFIX = "topic:"  # glossary terms live beside words without colliding with them ("design" the word)


def _glossary_pattern(forms: Sequence[str]) -> re.Pattern[str]:
    latin = sorted((f for f in forms if not CJK.search(f)), key=len, reverse=True)
    cjk = sorted((f for f in forms if CJK.search(f)), key=len, reverse=True)
    alts = []
    if latin:
        # whole words, plural "s"/"es" allowed; a space or hyphen in a form matches either ("front end")
        words = "|".join(re.escape(f).replace(r"\ ", r"[\s-]+").replace(r"\-", r"[\s-]*") for f in latin)
        alts.append(r"(?<![A-Za-z0-9+#])(?:" + words + r")(?:s|es)?(?![A-Za-z0-9+#])")
    if cjk:
        alts.append("|".join(re.escape(f) for f in cjk))
    return re.compile("|".join(alts), re.IGNORECASE)


_GLOSSARY = [
    (GLOSSARY_PREFIX + concept, _glossary_pattern(forms)) for concept, forms in TOPIC_GLOSSARY.items()
]


def glossary_terms(text: str) -> list[tuple[str, str]]:
    """(shared term, the text as written) for each glossary topic found in ``text``, once per occurrence."""
    out: list[tuple[str, str]] = []
    for term, pattern in _GLOSSARY:
        out.extend((term, m.group(0)) for m in pattern.finditer(text))
    return out
