"""The standard form 项目支出绩效目标申报表 as PDF (WeasyPrint), from the same ``build_form`` data
as the Excel copy (targets/standard_form.py). Fonts come from fontconfig: the CJK faces are
named in templates/targets/print.html (Noto Sans/Serif CJK SC, from the fonts-noto-cjk package)."""

from django.template.loader import render_to_string

from .standard_form import TITLE, WHOLE_SECTION, YEAR_SECTION, build_form

TEMPLATE = "targets/print.html"


def _spanned(rows) -> list[dict]:
    """The rows with the rowspans of their 一级/二级指标 cells (0: covered by the cell above), so
    a level is printed once for its consecutive rows, as on the paper form."""
    out = [{**vars(row), "level1_span": 0, "level2_span": 0} for row in rows]
    for key, span_key in (
        (lambda r: r["level1"], "level1_span"),
        (lambda r: (r["level1"], r["level2"]), "level2_span"),
    ):
        start = 0
        for index in range(1, len(out) + 1):
            if index == len(out) or key(out[index]) != key(out[start]):
                out[start][span_key] = index - start
                start = index
    return out


def render_form_html(sheet) -> str:
    form = build_form(sheet)
    sections = []
    if form.multi_year or form.whole_rows:
        sections.append((WHOLE_SECTION, form.whole_rows))
    sections.append((YEAR_SECTION, form.year_rows))
    context = {
        "form": form,
        "title": TITLE,
        "sections": [
            {"label": label, "rows": _spanned(rows), "span": 1 + max(len(rows), 1)} for label, rows in sections
        ],
    }
    return render_to_string(TEMPLATE, context)


def _refuse_fetch(url, *args, **kwargs):
    # The template needs no outside resource; user text must never make the server fetch one.
    raise ValueError(f"refused to fetch {url!r} while rendering a PDF")


def render_form_pdf(sheet) -> bytes:
    """The printable form of one sheet (styles are inline in the template)."""
    from weasyprint import HTML  # imported here: loading it (Pango, fonts) is slow and most requests never print

    return HTML(string=render_form_html(sheet), base_url=None, url_fetcher=_refuse_fetch).write_pdf()
